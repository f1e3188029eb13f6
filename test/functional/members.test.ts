import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { testApp, activeLoadBalancer } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { activePool, addListener, addRedirect, assertFault, assertParent404, KNOWN_SUBNET, MISSING, setStatus, status } from './pool-fixtures.ts';

const MEMBER_KEYS = [
  'address', 'admin_state_up', 'backup', 'created_at', 'id', 'monitor_address', 'monitor_port', 'name',
  'operating_status', 'project_id', 'protocol_port', 'provisioning_status', 'subnet_id', 'tags', 'tenant_id',
  'updated_at', 'weight',
];

describe('members', () => {
  let app: TestApp;
  before(async () => { app = await testApp(); });
  after(async () => { await app.close(); });
  // A test that fails while holding the gate must not leave the others waiting on the worker.
  afterEach(() => { app.gate.release(); });

  const path = (poolId: string) => `/v2/lbaas/pools/${poolId}/members`;
  const post = (poolId: string, member: Record<string, unknown>) => app.req('POST', path(poolId), { member });
  const put = (poolId: string, id: string, member: Record<string, unknown>) => app.req('PUT', `${path(poolId)}/${id}`, { member });
  const batch = (poolId: string, members: unknown, query = '') => app.req('PUT', `${path(poolId)}${query}`, { members });
  const list = async (poolId: string) => (await app.req('GET', path(poolId))).body.members as any[];
  const byAddress = (members: any[]) => Object.fromEntries(members.map((m) => [`${m.address}:${m.protocol_port}`, m]));

  /** An ACTIVE load balancer with an HTTP listener whose default pool is ACTIVE. */
  async function setup(extra: Record<string, unknown> = {}, lbExtra: Record<string, unknown> = {}) {
    const lb = await activeLoadBalancer(app, lbExtra);
    const listener = await addListener(app, lb, (extra.protocol as any) ?? 'HTTP');
    const pool = await activePool(app, { listener_id: listener.id, ...extra });
    return { lb, listener, pool };
  }

  async function activeMember(poolId: string, member: Record<string, unknown>) {
    const res = await post(poolId, member);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await app.settle();
    return res.body.member;
  }

  test('create: 201 PENDING_CREATE/NO_MONITOR with Octavia\'s fields; pool, listener and LB go PENDING_UPDATE', async () => {
    const { lb, listener, pool } = await setup();
    app.gate.hold();
    const res = await post(pool.id, { address: '192.0.2.1', protocol_port: 80 });
    assert.equal(res.status, 201);
    const m = res.body.member;
    assert.deepEqual(Object.keys(m).sort(), MEMBER_KEYS);
    assert.equal(m.provisioning_status, 'PENDING_CREATE');
    assert.equal(m.operating_status, 'NO_MONITOR');
    assert.deepEqual([m.name, m.weight, m.backup, m.admin_state_up, m.subnet_id, m.monitor_address, m.monitor_port, m.tags],
      ['', 1, false, true, null, null, null, []]);
    assert.deepEqual([m.project_id, m.tenant_id, m.updated_at], ['p1', 'p1', null]);
    assert.equal(await status(app, 'pool', pool.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'listener', listener.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'load_balancer', lb.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
    const shown = await app.req('GET', `${path(pool.id)}/${m.id}`);
    assert.equal(shown.body.member.provisioning_status, 'ACTIVE');
    assert.equal(await status(app, 'pool', pool.id), 'ACTIVE');
    assert.deepEqual((await app.req('GET', `/v2/lbaas/pools/${pool.id}`)).body.pool.members, [{ id: m.id }]);
  });

  test('create with every field, on a pool without a listener (listeners untouched)', async () => {
    const lb = await activeLoadBalancer(app);
    const listener = await addListener(app, lb);
    const pool = await activePool(app, { loadbalancer_id: lb.id });
    app.gate.hold();
    const res = await post(pool.id, {
      address: '2001:db8::5', protocol_port: 8080, name: 'm', weight: 0, backup: true, admin_state_up: false,
      subnet_id: KNOWN_SUBNET, monitor_address: '192.0.2.9', monitor_port: 9090, tags: ['a', 'b'],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const m = res.body.member;
    assert.deepEqual([m.address, m.protocol_port, m.name, m.weight, m.backup, m.admin_state_up, m.subnet_id, m.monitor_address, m.monitor_port, m.tags],
      ['2001:db8::5', 8080, 'm', 0, true, false, KNOWN_SUBNET, '192.0.2.9', 9090, ['a', 'b']]);
    assert.equal(await status(app, 'listener', listener.id), 'ACTIVE');
    assert.equal(await status(app, 'pool', pool.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
  });

  test('a member of a monitored pool starts OFFLINE', async () => {
    const { pool } = await setup();
    const hm = await app.req('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pool.id, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1 } });
    assert.equal(hm.status, 201);
    await app.settle();
    const m = await activeMember(pool.id, { address: '192.0.2.1', protocol_port: 80 });
    assert.equal(m.operating_status, 'OFFLINE');
  });

  test('one member per address and port in a pool (409); the same pair in another pool is fine', async () => {
    const { lb, pool } = await setup();
    await activeMember(pool.id, { address: '192.0.2.1', protocol_port: 80 });
    assertFault(await post(pool.id, { address: '192.0.2.1', protocol_port: 80 }), 409,
      'Another member on this pool is already using ip 192.0.2.1 on protocol_port 80');
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
    await activeMember(pool.id, { address: '192.0.2.1', protocol_port: 81 });
    const other = await activePool(app, { loadbalancer_id: lb.id });
    await activeMember(other.id, { address: '192.0.2.1', protocol_port: 80 });
  });

  test('the metadata address is reserved', async () => {
    const { pool } = await setup();
    assertFault(await post(pool.id, { address: '169.254.169.254', protocol_port: 80 }), 400,
      '169.254.169.254 is not a valid option for member address');
  });

  test('weight 0..256 and ports 1..65535, with WSME\'s messages', async () => {
    const { pool } = await setup();
    assertFault(await post(pool.id, { address: '192.0.2.3', protocol_port: 0 }), 400, /Value should be greater or equal to 1/);
    assertFault(await post(pool.id, { address: '192.0.2.3', protocol_port: 65536 }), 400, /Value should be lower or equal to 65535/);
    assertFault(await post(pool.id, { address: '192.0.2.3', protocol_port: 80, weight: -1 }), 400, /greater or equal to 0/);
    assertFault(await post(pool.id, { address: '192.0.2.3', protocol_port: 80, weight: 257 }), 400, /lower or equal to 256/);
    assertFault(await post(pool.id, { address: '192.0.2.3', protocol_port: 80, monitor_port: 0 }), 400);
    assertFault(await post(pool.id, { address: '192.0.2.3', protocol_port: 80, monitor_port: 65536 }), 400);
    assert.equal((await activeMember(pool.id, { address: '192.0.2.3', protocol_port: 65535, weight: 256 })).weight, 256);
    assert.equal((await activeMember(pool.id, { address: '192.0.2.3', protocol_port: 1, weight: '7' })).weight, 7);
  });

  test('malformed bodies are 400 with a fault body', async () => {
    const { lb, pool } = await setup();
    const base = { address: '192.0.2.4', protocol_port: 80 };
    for (const member of [
      { protocol_port: 80 }, { address: '192.0.2.4' }, { name: 'test1' },
      { ...base, address: '192.0.2.300' }, { ...base, address: 'example.com' }, { ...base, address: 5 },
      { ...base, protocol_port: 'ten' }, { ...base, bogus: 1 }, { ...base, subnet_id: 'subnet' },
      { ...base, monitor_address: 'nowhere' }, { ...base, backup: 'perhaps' }, { ...base, admin_state_up: [] },
      { ...base, name: 'x'.repeat(256) }, { ...base, tags: 'a' }, { ...base, tags: [1] }, { ...base, weight: 1.5 },
      { ...base, project_id: 'x'.repeat(37) },
    ]) {
      assertFault(await post(pool.id, member), 400);
    }
    for (const body of [{ members: base }, { member: [] }, { member: base, extra: 1 }, '{', null]) {
      assertFault(await app.req('POST', path(pool.id), body), 400);
    }
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
  });

  test('subnet_id must name a known subnet', async () => {
    const { pool } = await setup();
    assertFault(await post(pool.id, { address: '192.0.2.5', protocol_port: 80, subnet_id: MISSING }), 400, `Subnet ${MISSING} not found.`);
    assert.equal((await activeMember(pool.id, { address: '192.0.2.5', protocol_port: 80, subnet_id: KNOWN_SUBNET })).subnet_id, KNOWN_SUBNET);
  });

  test('the project comes from the pool; project_id in the body is ignored', async () => {
    const { pool } = await setup();
    const res = await app.req('POST', path(pool.id), { member: { address: '192.0.2.6', protocol_port: 80, project_id: 'other', tenant_id: 'x' } }, 'p2');
    assert.equal(res.status, 201);
    assert.equal(res.body.member.project_id, 'p1');
    await app.settle();
  });

  test('unknown pool or member: 404 naming it (an unknown pool in the path is an HTTP-layer 404, as Octavia routes)', async () => {
    const { pool } = await setup();
    assertParent404(await post(MISSING, { address: '192.0.2.1', protocol_port: 80 }), `Pool ${MISSING} not found.`);
    assertParent404(await app.req('GET', path(MISSING)), `Pool ${MISSING} not found.`);
    assertParent404(await batch(MISSING, []), `Pool ${MISSING} not found.`);
    assertFault(await app.req('GET', `${path(pool.id)}/${MISSING}`), 404, `Member ${MISSING} not found.`);
    assertFault(await put(pool.id, MISSING, { name: 'x' }), 404, `Member ${MISSING} not found.`);
    assertFault(await app.req('DELETE', `${path(pool.id)}/${MISSING}`), 404, `Member ${MISSING} not found.`);
  });

  test('a member is reached through its own pool only (404 through another)', async () => {
    const { lb, pool } = await setup();
    const other = await activePool(app, { loadbalancer_id: lb.id });
    const m = await activeMember(pool.id, { address: '192.0.2.7', protocol_port: 80 });
    for (const [method, body] of [['GET', undefined], ['PUT', { member: { name: 'x' } }], ['DELETE', undefined]] as const) {
      assertFault(await app.req(method, `${path(other.id)}/${m.id}`, body), 404, `Member ${m.id} not found.`);
    }
    assert.deepEqual(await list(other.id), []);
    assert.equal(await status(app, 'member', m.id), 'ACTIVE');
  });

  test('a pool in ERROR or PENDING takes no member writes (409 naming the pool)', async () => {
    const { lb, pool } = await setup();
    const m = await activeMember(pool.id, { address: '192.0.2.8', protocol_port: 80 });
    for (const state of ['ERROR', 'PENDING_UPDATE']) {
      await setStatus(app, 'pool', pool.id, state);
      const message = `Pool ${pool.id} is immutable and cannot be updated.`;
      assertFault(await post(pool.id, { address: '192.0.2.9', protocol_port: 80 }), 409, message);
      assertFault(await put(pool.id, m.id, { name: 'x' }), 409, message);
      assertFault(await app.req('DELETE', `${path(pool.id)}/${m.id}`), 409, message);
      assertFault(await batch(pool.id, []), 409, message);
      assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
    }
    await setStatus(app, 'pool', pool.id, 'ACTIVE');
  });

  test('writes while the load balancer is not ACTIVE are 409', async () => {
    const { lb, pool } = await setup();
    const m = await activeMember(pool.id, { address: '192.0.2.10', protocol_port: 80 });
    app.gate.hold();
    assert.equal((await app.req('PUT', `/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: 'busy' } })).status, 200);
    const message = `Load Balancer ${lb.id} is immutable and cannot be updated.`;
    assertFault(await post(pool.id, { address: '192.0.2.11', protocol_port: 80 }), 409, message);
    assertFault(await put(pool.id, m.id, { name: 'x' }), 409, message);
    assertFault(await app.req('DELETE', `${path(pool.id)}/${m.id}`), 409, message);
    assertFault(await batch(pool.id, [{ address: '192.0.2.12', protocol_port: 80 }]), 409, message);
    app.gate.release();
    await app.settle();
    assert.equal((await list(pool.id)).length, 1);
  });

  test('update: 200 with the member PENDING_UPDATE and its pool, listener and LB locked', async () => {
    const { lb, listener, pool } = await setup();
    const m = await activeMember(pool.id, { address: '192.0.2.13', protocol_port: 80, name: 'old', tags: ['x'] });
    app.gate.hold();
    const res = await put(pool.id, m.id, { name: 'new', weight: 10, backup: true, admin_state_up: false, monitor_port: 8080, monitor_address: '192.0.2.99', tags: ['y'] });
    assert.equal(res.status, 200);
    const u = res.body.member;
    assert.deepEqual([u.name, u.weight, u.backup, u.admin_state_up, u.monitor_port, u.monitor_address, u.tags, u.provisioning_status],
      ['new', 10, true, false, 8080, '192.0.2.99', ['y'], 'PENDING_UPDATE']);
    assert.equal(u.created_at, m.created_at);
    assert.notEqual(u.updated_at, null);
    assert.equal(await status(app, 'pool', pool.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'listener', listener.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'load_balancer', lb.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
    assert.equal(await status(app, 'member', m.id), 'ACTIVE');
  });

  test('update with nulls resets to the defaults, as Octavia', async () => {
    const { pool } = await setup();
    const m = await activeMember(pool.id, { address: '192.0.2.14', protocol_port: 80, name: 'n', backup: true, weight: 10, monitor_address: '192.0.2.2', monitor_port: 8888, tags: ['keep'] });
    const res = await put(pool.id, m.id, { name: null, backup: null, weight: null, monitor_address: null, monitor_port: null, tags: null, admin_state_up: null });
    const u = res.body.member;
    assert.deepEqual([u.name, u.backup, u.weight, u.monitor_address, u.monitor_port, u.tags, u.admin_state_up],
      ['', false, 1, null, null, ['keep'], false]);
    await app.settle();
  });

  test('update refuses what a PUT cannot change and malformed values', async () => {
    const { pool } = await setup();
    const m = await activeMember(pool.id, { address: '192.0.2.15', protocol_port: 80 });
    for (const body of [{ address: '192.0.2.16' }, { protocol_port: 81 }, { subnet_id: KNOWN_SUBNET }, { protocol_port: 'ten' }, { weight: 300 }, { monitor_address: 'x' }]) {
      assertFault(await put(pool.id, m.id, body), 400);
    }
    assert.equal(await status(app, 'member', m.id), 'ACTIVE');
  });

  test('delete: 204 PENDING_DELETE, pool PENDING_UPDATE; gone once applied', async () => {
    const { listener, pool } = await setup();
    const m = await activeMember(pool.id, { address: '192.0.2.17', protocol_port: 80 });
    app.gate.hold();
    assert.equal((await app.req('DELETE', `${path(pool.id)}/${m.id}`)).status, 204);
    assert.equal(await status(app, 'member', m.id), 'PENDING_DELETE');
    assert.equal(await status(app, 'pool', pool.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'listener', listener.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
    assertFault(await app.req('GET', `${path(pool.id)}/${m.id}`), 404);
    assertFault(await app.req('DELETE', `${path(pool.id)}/${m.id}`), 404);
    assert.deepEqual((await app.req('GET', `/v2/lbaas/pools/${pool.id}`)).body.pool.members, []);
  });

  test('list: per pool, with filters, sorting, fields and pagination links', async () => {
    const { pool } = await setup();
    const a = await activeMember(pool.id, { address: '192.0.2.20', protocol_port: 80, name: 'a', tags: ['t1'] });
    const b = await activeMember(pool.id, { address: '192.0.2.21', protocol_port: 80, name: 'b', weight: 5 });
    const all = await app.req('GET', `${path(pool.id)}?sort=name:desc`);
    assert.deepEqual(all.body.members.map((m: any) => m.id), [b.id, a.id]);
    assert.deepEqual(all.body.members_links, []);
    assert.deepEqual((await app.req('GET', `${path(pool.id)}?weight=5`)).body.members.map((m: any) => m.id), [b.id]);
    assert.deepEqual((await app.req('GET', `${path(pool.id)}?tags=t1`)).body.members.map((m: any) => m.id), [a.id]);
    const fields = await app.req('GET', `${path(pool.id)}?fields=address`);
    assert.deepEqual(fields.body.members.map((m: any) => Object.keys(m)), [['address'], ['address']]);
    const page = await app.req('GET', `${path(pool.id)}?limit=1`);
    assert.equal(page.body.members.length, 1);
    assert.equal(page.body.members_links[0].rel, 'next');
    const one = await app.req('GET', `/v2.0/lbaas/pools/${pool.id}/members/${a.id}?fields=name`);
    assert.deepEqual(one.body.member, { name: 'a' });
  });

  test('member quota is enforced (403), the batch counts its net growth', async () => {
    const quota = await testApp({ quotas: { load_balancer: -1, listener: -1, pool: -1, member: 2, health_monitor: -1, l7policy: -1, l7rule: -1 } });
    try {
      const lb = await activeLoadBalancer(quota);
      const pool = await activePool(quota, { loadbalancer_id: lb.id });
      const add = (address: string) => quota.req('POST', path(pool.id), { member: { address, protocol_port: 80 } });
      assert.equal((await add('192.0.2.1')).status, 201);
      await quota.settle();
      assert.equal((await add('192.0.2.2')).status, 201);
      await quota.settle();
      assertFault(await add('192.0.2.3'), 403, 'Quota has been met for resources: Member');
      const swap = [{ address: '192.0.2.1', protocol_port: 80 }, { address: '192.0.2.3', protocol_port: 80 }];
      assert.equal((await quota.req('PUT', path(pool.id), { members: swap })).status, 202);
      await quota.settle();
      const grow = [...swap, { address: '192.0.2.4', protocol_port: 80 }];
      assertFault(await quota.req('PUT', path(pool.id), { members: grow }), 403, 'Quota has been met for resources: Member');
      assertFault(await quota.req('PUT', `${path(pool.id)}?additive_only=true`, { members: [{ address: '192.0.2.5', protocol_port: 80 }] }), 403);
      assert.equal(await status(quota, 'load_balancer', lb.id), 'ACTIVE');
    } finally {
      await quota.close();
    }
  });

  test('UDP pools on the amphora provider refuse members of a family no VIP has (501)', async () => {
    const { pool } = await setup({ protocol: 'UDP' });
    assertFault(await post(pool.id, { address: '2001:db8::1', protocol_port: 53 }), 501,
      "Provider 'amphora' does not support a requested option: This provider doesn't support mixing IPv4 and IPv6 addresses for its VIP and members in UDP load balancers.");
    assertFault(await batch(pool.id, [{ address: '2001:db8::1', protocol_port: 53 }]), 501);
    await activeMember(pool.id, { address: '192.0.2.30', protocol_port: 53 });
    // A dual-stack network: the additional VIP must be on a subnet of the VIP's network.
    const [v4, v6] = [randomUUID(), randomUUID()];
    const network = { id: randomUUID(), project_id: '', name: 'dual', created_at: new Date().toISOString() };
    await app.runtime.store.transaction((tx) => tx.insertNetwork(network, [
      { id: v4, network_id: network.id, project_id: '', name: 'v4', cidr: '10.20.0.0/24', ip_version: 4, gateway_ip: '10.20.0.1', created_at: network.created_at },
      { id: v6, network_id: network.id, project_id: '', name: 'v6', cidr: '2001:db8::/64', ip_version: 6, gateway_ip: null, created_at: network.created_at },
    ]));
    const dual = await setup({ protocol: 'UDP' }, { vip_subnet_id: v4, additional_vips: [{ subnet_id: v6, ip_address: '2001:db8::100' }] });
    await activeMember(dual.pool.id, { address: '2001:db8::1', protocol_port: 53 });
    const noop = await setup({ protocol: 'UDP' }, { provider: 'noop' });
    await activeMember(noop.pool.id, { address: '2001:db8::1', protocol_port: 53 });
    // A UDP pool no listener uses is not checked.
    const lb = await activeLoadBalancer(app);
    const lonely = await activePool(app, { loadbalancer_id: lb.id, protocol: 'UDP' });
    await activeMember(lonely.id, { address: '2001:db8::1', protocol_port: 53 });
  });

  test('batch: creates the new, updates the matched, deletes the missing; 202 with no body', async () => {
    const { lb, listener, pool } = await setup();
    for (const last of [1, 2, 3, 4]) await activeMember(pool.id, { address: `192.0.2.${last}`, protocol_port: 80, name: `m${last}`, weight: 9 });
    app.gate.hold();
    const res = await batch(pool.id, [1, 2, 5, 6].map((last) => ({ address: `192.0.2.${last}`, protocol_port: 80 })));
    assert.equal(res.status, 202);
    assert.equal(res.body, undefined);
    const members = byAddress(await list(pool.id));
    assert.deepEqual(Object.fromEntries(Object.entries(members).map(([k, m]) => [k, m.provisioning_status])), {
      '192.0.2.1:80': 'PENDING_UPDATE', '192.0.2.2:80': 'PENDING_UPDATE', '192.0.2.3:80': 'PENDING_DELETE',
      '192.0.2.4:80': 'PENDING_DELETE', '192.0.2.5:80': 'PENDING_CREATE', '192.0.2.6:80': 'PENDING_CREATE',
    });
    // An update entry is a full member POST: absent weight takes the default, absent name is kept.
    assert.deepEqual([members['192.0.2.1:80'].weight, members['192.0.2.1:80'].name], [1, 'm1']);
    assert.equal(members['192.0.2.5:80'].operating_status, 'NO_MONITOR');
    assert.equal(await status(app, 'pool', pool.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'listener', listener.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'load_balancer', lb.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
    const after = await list(pool.id);
    assert.deepEqual(after.map((m) => m.address).sort(), ['192.0.2.1', '192.0.2.2', '192.0.2.5', '192.0.2.6']);
    assert.ok(after.every((m) => m.provisioning_status === 'ACTIVE'));
  });

  test('batch with additive_only leaves the missing members alone', async () => {
    const { pool } = await setup();
    for (const last of [1, 2, 3]) await activeMember(pool.id, { address: `192.0.2.${last}`, protocol_port: 80 });
    app.gate.hold();
    assert.equal((await batch(pool.id, [{ address: '192.0.2.1', protocol_port: 80, name: 'renamed' }, { address: '192.0.2.9', protocol_port: 80 }], '?additive_only=True')).status, 202);
    const members = byAddress(await list(pool.id));
    assert.deepEqual(Object.fromEntries(Object.entries(members).map(([k, m]) => [k, m.provisioning_status])), {
      '192.0.2.1:80': 'PENDING_UPDATE', '192.0.2.2:80': 'ACTIVE', '192.0.2.3:80': 'ACTIVE', '192.0.2.9:80': 'PENDING_CREATE',
    });
    assert.equal(members['192.0.2.1:80'].name, 'renamed');
    app.gate.release();
    await app.settle();
    // Anything but a true-like word is false, as oslo reads it.
    assert.equal((await batch(pool.id, [{ address: '192.0.2.1', protocol_port: 80 }], '?additive_only=nope')).status, 202);
    await app.settle();
    assert.deepEqual((await list(pool.id)).map((m) => m.address), ['192.0.2.1']);
  });

  test('batch with an empty list: deletes every member; on an empty pool it is a no-op that locks nothing', async () => {
    const { lb, pool } = await setup();
    assert.equal((await batch(pool.id, [])).status, 202);
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
    assert.equal(await status(app, 'pool', pool.id), 'ACTIVE');
    await activeMember(pool.id, { address: '192.0.2.1', protocol_port: 80 });
    await activeMember(pool.id, { address: '192.0.2.2', protocol_port: 80 });
    app.gate.hold();
    assert.equal((await batch(pool.id, [])).status, 202);
    assert.deepEqual((await list(pool.id)).map((m) => m.provisioning_status), ['PENDING_DELETE', 'PENDING_DELETE']);
    app.gate.release();
    await app.settle();
    assert.deepEqual(await list(pool.id), []);
    // The no-op still refuses a locked load balancer.
    app.gate.hold();
    await app.req('PUT', `/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: 'busy' } });
    assertFault(await batch(pool.id, []), 409, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
    app.gate.release();
    await app.settle();
  });

  test('batch refusals: reserved address, unknown subnet, duplicates, malformed bodies', async () => {
    const { lb, pool } = await setup();
    await activeMember(pool.id, { address: '192.0.2.1', protocol_port: 80 });
    assertFault(await batch(pool.id, [{ address: '169.254.169.254', protocol_port: 80 }]), 400, '169.254.169.254 is not a valid option for member address');
    assertFault(await batch(pool.id, [{ address: '10.0.0.5', protocol_port: 80, subnet_id: MISSING }]), 400, `Subnet ${MISSING} not found.`);
    assertFault(await batch(pool.id, [{ address: '192.0.2.2', protocol_port: 80 }, { address: '192.0.2.2', protocol_port: 80 }]), 409,
      'Another member on this pool is already using ip 192.0.2.2 on protocol_port 80');
    for (const body of [{}, { members: {} }, { members: 'x' }, { members: [{ protocol_port: 80 }] }, { members: [{ address: '192.0.2.3', protocol_port: 80, bogus: 1 }] },
      { members: [null] }, { members: [], extra: 1 }, [], '{"members": [']) {
      assertFault(await app.req('PUT', path(pool.id), body), 400);
    }
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
    assert.deepEqual((await list(pool.id)).map((m) => m.provisioning_status), ['ACTIVE']);
  });

  test('batch entries take subnets and tags; a known subnet passes', async () => {
    const { pool } = await setup();
    const res = await batch(pool.id, [
      { address: '192.0.2.5', protocol_port: 80, subnet_id: KNOWN_SUBNET, tags: ['t1'] },
      { address: '192.0.2.6', protocol_port: 80, subnet_id: KNOWN_SUBNET, tags: ['t2'], monitor_port: 81 },
    ]);
    assert.equal(res.status, 202);
    await app.settle();
    const members = byAddress(await list(pool.id));
    assert.deepEqual(members['192.0.2.5:80'].tags, ['t1']);
    assert.deepEqual([members['192.0.2.6:80'].subnet_id, members['192.0.2.6:80'].monitor_port], [KNOWN_SUBNET, 81]);
  });

  test('a pool used through an L7 redirect locks that listener too', async () => {
    const { lb, pool } = await setup();
    const other = await addListener(app, lb);
    await addRedirect(app, lb, other.id, pool.id);
    app.gate.hold();
    assert.equal((await post(pool.id, { address: '192.0.2.40', protocol_port: 80 })).status, 201);
    assert.equal(await status(app, 'listener', other.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
  });

  test('members follow their pool away when it is deleted', async () => {
    const { lb } = await setup();
    const pool = await activePool(app, { loadbalancer_id: lb.id });
    const m = await activeMember(pool.id, { address: '192.0.2.50', protocol_port: 80 });
    assert.equal((await app.req('DELETE', `/v2/lbaas/pools/${pool.id}`)).status, 204);
    await app.settle();
    assert.equal(await app.runtime.store.get('member', m.id), undefined);
    assertParent404(await app.req('GET', path(pool.id)), `Pool ${pool.id} not found.`);
  });

  test('batch members of a monitored pool start OFFLINE', async () => {
    const { pool } = await setup();
    assert.equal((await app.req('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pool.id, type: 'TCP', delay: 1, timeout: 1, max_retries: 1 } })).status, 201);
    await app.settle();
    assert.equal((await batch(pool.id, [{ address: '192.0.2.60', protocol_port: 80 }])).status, 202);
    assert.deepEqual((await list(pool.id)).map((m) => m.operating_status), ['OFFLINE']);
    await app.settle();
  });

  test('additive_only takes oslo\'s true-like words', async () => {
    const { pool } = await setup();
    await activeMember(pool.id, { address: '192.0.2.70', protocol_port: 80 });
    for (const [i, word] of ['1', 'yes', 'ON', 't', 'y'].entries()) {
      assert.equal((await batch(pool.id, [{ address: `192.0.2.${80 + i}`, protocol_port: 80 }], `?additive_only=${word}`)).status, 202);
      await app.settle();
    }
    assert.equal((await list(pool.id)).length, 6);
  });

  test('a cascade delete of the load balancer takes the members with it', async () => {
    const { lb, pool } = await setup();
    const m = await activeMember(pool.id, { address: '192.0.2.90', protocol_port: 80 });
    app.gate.hold();
    assert.equal((await app.req('DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`)).status, 204);
    assertFault(await post(pool.id, { address: '192.0.2.91', protocol_port: 80 }), 409, `Pool ${pool.id} is immutable and cannot be updated.`);
    assert.equal(await status(app, 'member', m.id), 'PENDING_DELETE');
    app.gate.release();
    await app.settle();
    assert.equal(await app.runtime.store.get('member', m.id), undefined);
    assertParent404(await app.req('GET', `${path(pool.id)}/${m.id}`), `Pool ${pool.id} not found.`);
  });
});
