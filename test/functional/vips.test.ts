// VIPs of amphora load balancers: resolved against the network model and allocated from the
// subnet in the creating transaction, with Octavia's (and Neutron's) refusals. The noop
// provider keeps Octavia's noop network: any ids, the placeholder 198.51.100.1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { testApp } from '../kit/app.ts';
import type { Reply, TestApp } from '../kit/app.ts';
import { testPostgres } from '../kit/postgres.ts';
import { LOOPBACK } from '../../src/service/networks.ts';
import { assertFault, MISSING } from './pool-fixtures.ts';

const create = (app: TestApp, body: Record<string, unknown>, project = 'vip') =>
  app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: body }, project);

async function created(app: TestApp, body: Record<string, unknown>) {
  const res = await create(app, body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await app.settle();
  return res.body.loadbalancer;
}

/** Adds a network with the given subnets (the API has no create: Neutron is read-only here). */
async function addNetwork(app: TestApp, subnets: { cidr: string; gateway_ip?: string | null }[]) {
  const stamp = new Date().toISOString();
  const network = { id: randomUUID(), project_id: '', name: `net-${subnets.length}`, created_at: stamp };
  const rows = subnets.map((s) => ({
    id: randomUUID(), network_id: network.id, project_id: '', name: s.cidr, cidr: s.cidr,
    ip_version: s.cidr.includes(':') ? 6 : 4, gateway_ip: s.gateway_ip ?? null, created_at: stamp,
  }));
  await app.runtime.store.transaction((tx) => tx.insertNetwork(network, rows));
  return { networkId: network.id, subnetIds: rows.map((r) => r.id) };
}

describe('amphora VIPs on the loopback network', () => {
  let app: TestApp;
  before(async () => { app = await testApp(); });
  after(async () => { await app.close(); });

  test('the first free addresses are taken in order, skipping the network address and the gateway', async () => {
    const a = await created(app, { vip_subnet_id: LOOPBACK.subnetId });
    const b = await created(app, { vip_subnet_id: LOOPBACK.subnetId, provider: 'octavia' });
    assert.equal(a.vip_address, '127.42.0.2');
    assert.equal(b.vip_address, '127.42.0.3');
    assert.equal(a.vip_network_id, LOOPBACK.networkId);
    assert.equal(a.vip_subnet_id, LOOPBACK.subnetId);
    assert.notEqual(a.vip_port_id, b.vip_port_id);
  });

  test('a deleted load balancer frees its address for the next one', async () => {
    const lb = await created(app, { vip_subnet_id: LOOPBACK.subnetId });
    assert.equal((await app.req('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`, undefined, 'vip')).status, 204);
    // While it is being deleted its HAProxy still binds the address.
    const meanwhile = await app.req('GET', `/v2/lbaas/loadbalancers/${lb.id}`, undefined, 'vip');
    // Already applied, the row is DELETED, which Octavia's show hides (404).
    assert.ok(meanwhile.status === 404 || meanwhile.body.loadbalancer.provisioning_status === 'PENDING_DELETE');
    await app.settle();
    const next = await created(app, { vip_subnet_id: LOOPBACK.subnetId });
    assert.equal(next.vip_address, lb.vip_address);
  });

  test('a network alone picks its subnet; network and subnet together must match', async () => {
    const lb = await created(app, { vip_network_id: LOOPBACK.networkId });
    assert.equal(lb.vip_subnet_id, LOOPBACK.subnetId);
    assert.match(lb.vip_address, /^127\.42\./);
    const both = await created(app, { vip_network_id: LOOPBACK.networkId, vip_subnet_id: LOOPBACK.subnetId });
    assert.equal(both.vip_subnet_id, LOOPBACK.subnetId);
    assertFault(await create(app, { vip_network_id: LOOPBACK.networkId, vip_subnet_id: MISSING }), 400, `Subnet ${MISSING} not found.`);
  });

  test('a requested address in the subnet is used, canonically spelled', async () => {
    const lb = await created(app, { vip_subnet_id: LOOPBACK.subnetId, vip_address: '127.42.7.7' });
    assert.equal(lb.vip_address, '127.42.7.7');
    const viaNetwork = await created(app, { vip_network_id: LOOPBACK.networkId, vip_address: '127.42.7.8' });
    assert.equal(viaNetwork.vip_subnet_id, LOOPBACK.subnetId);
  });

  test('an address in use is 409, one outside the subnet or unallocatable is 400, as Neutron answers', async () => {
    await created(app, { vip_subnet_id: LOOPBACK.subnetId, vip_address: '127.42.9.9' });
    assertFault(await create(app, { vip_subnet_id: LOOPBACK.subnetId, vip_address: '127.42.9.9' }), 409,
      `Unable to complete operation for network ${LOOPBACK.networkId}. The IP address 127.42.9.9 is in use.`);
    assertFault(await create(app, { vip_subnet_id: LOOPBACK.subnetId, vip_address: LOOPBACK.gatewayIp }), 409,
      `Unable to complete operation for network ${LOOPBACK.networkId}. The IP address ${LOOPBACK.gatewayIp} is in use.`);
    for (const address of ['10.0.0.5', '127.43.0.5', '127.42.0.0', '127.42.255.255', '2001:db8::5']) {
      assertFault(await create(app, { vip_subnet_id: LOOPBACK.subnetId, vip_address: address }), 400,
        `IP address ${address} is not a valid IP for the specified subnet.`);
    }
    assertFault(await create(app, { vip_network_id: LOOPBACK.networkId, vip_address: '10.0.0.5' }), 400,
      'Validation failure: Supplied network does not contain a subnet for VIP address specified.');
  });

  test('unknown subnets, networks and ports are 400', async () => {
    assertFault(await create(app, { vip_subnet_id: MISSING }), 400, `Subnet ${MISSING} not found.`);
    assertFault(await create(app, { vip_network_id: MISSING }), 400, `Network ${MISSING} not found.`);
    assertFault(await create(app, { vip_port_id: MISSING }), 400, `Port ${MISSING} not found.`);
    assertFault(await create(app, { vip_subnet_id: LOOPBACK.subnetId, additional_vips: [{ subnet_id: MISSING }] }), 400,
      `Subnet ${MISSING} not found.`);
  });

  test('the VIP port of another load balancer is in use', async () => {
    const owner = await created(app, { vip_subnet_id: LOOPBACK.subnetId });
    assertFault(await create(app, { vip_port_id: owner.vip_port_id }), 400,
      `Validation failure: Port ${owner.vip_port_id} is already used by device lb-${owner.id}.`);
  });

  test('additional VIPs: one per subnet, all on the VIP\'s network, each allocated', async () => {
    const dual = await addNetwork(app, [{ cidr: '10.30.0.0/24', gateway_ip: '10.30.0.1' }, { cidr: '2001:db8:30::/64' }]);
    const [v4, v6] = dual.subnetIds;
    const lb = await created(app, { vip_subnet_id: v4, additional_vips: [{ subnet_id: v6 }] });
    assert.equal(lb.vip_address, '10.30.0.2');
    assert.deepEqual(lb.additional_vips, [{ subnet_id: v6, ip_address: '2001:db8:30::1' }]);
    const named = await created(app, { vip_subnet_id: v4, additional_vips: [{ subnet_id: v6, ip_address: '2001:DB8:30:0::0:9' }] });
    assert.deepEqual(named.additional_vips, [{ subnet_id: v6, ip_address: '2001:db8:30::9' }]);
    assertFault(await create(app, { vip_subnet_id: v4, additional_vips: [{ subnet_id: v6, ip_address: '2001:db8:30::9' }] }), 409,
      `Unable to complete operation for network ${dual.networkId}. The IP address 2001:db8:30::9 is in use.`);
    assertFault(await create(app, { vip_subnet_id: v4, additional_vips: [{ subnet_id: v4 }] }), 400,
      'Validation failure: Duplicate VIP subnet(s) specified. Only one IP can be bound per subnet.');
    assertFault(await create(app, { vip_subnet_id: v4, additional_vips: [{ subnet_id: LOOPBACK.subnetId }] }), 400,
      'Validation failure: All VIP subnets must belong to the same network.');
  });

  test('a full subnet is 409 and a refusal writes nothing', async () => {
    const tiny = await addNetwork(app, [{ cidr: '10.40.0.0/30', gateway_ip: '10.40.0.1' }]);
    const only = await created(app, { vip_subnet_id: tiny.subnetIds[0] });
    assert.equal(only.vip_address, '10.40.0.2');
    const before = await app.runtime.store.count('load_balancer');
    assertFault(await create(app, { vip_subnet_id: tiny.subnetIds[0] }), 409, `No more IP addresses available on network ${tiny.networkId}.`);
    assertFault(await create(app, { vip_subnet_id: MISSING }), 400);
    assert.equal(await app.runtime.store.count('load_balancer'), before);
  });

  test('a network without subnets cannot hold a VIP', async () => {
    const empty = await addNetwork(app, []);
    assertFault(await create(app, { vip_network_id: empty.networkId }), 400, 'Validation failure: Supplied network does not contain a subnet.');
  });

  test('the noop provider keeps Octavia\'s noop network: any subnet, a placeholder address, nothing taken', async () => {
    const any = randomUUID();
    const lb = await created(app, { vip_subnet_id: any, provider: 'noop' });
    assert.equal(lb.vip_address, '198.51.100.1');
    assert.equal(lb.vip_subnet_id, any);
    const port = randomUUID();
    const byPort = await created(app, { vip_port_id: port, provider: 'noop', vip_address: '127.42.200.1' });
    assert.equal(byPort.vip_port_id, port);
    // A noop load balancer that names a loopback address on another network does not hold it.
    const amphora = await created(app, { vip_subnet_id: LOOPBACK.subnetId, vip_address: '127.42.200.1' });
    assert.equal(amphora.vip_address, '127.42.200.1');
  });
});

const pg = await testPostgres();
const DATABASES = [
  { name: 'SQLite', skip: false as string | false, url: async () => 'sqlite::memory:' },
  { name: 'PostgreSQL', skip: pg.skip, url: () => pg.fresh({ migrated: true }) },
];

for (const database of DATABASES) {
  describe(`parallel VIP allocation on ${database.name}`, { skip: database.skip }, () => {
    const apps: TestApp[] = [];
    after(async () => {
      for (const a of apps.splice(0)) await a.close();
      if (database.name === 'PostgreSQL') await pg.dropAll();
    });

    test('parallel creates from two processes never share an address', async () => {
      const url = await database.url();
      const [one, two] = [await testApp({ databaseUrl: url }), await testApp({ databaseUrl: url })];
      apps.push(one, two);
      // In-memory SQLite is one database per process: only PostgreSQL shares it between two.
      const second = database.name === 'PostgreSQL' ? two : one;
      const replies: Reply[] = await Promise.all(Array.from({ length: 16 }, (_, i) =>
        // One project each: the quota lock of a shared project would serialise them anyway.
        create(i % 2 ? second : one, { vip_subnet_id: LOOPBACK.subnetId }, `racer-${i}`)));
      assert.deepEqual(replies.map((r) => r.status), replies.map(() => 201));
      const addresses = replies.map((r) => r.body.loadbalancer.vip_address);
      assert.equal(new Set(addresses).size, addresses.length, addresses.join(' '));
      await Promise.all([one.settle(), two.settle()]);
    });
  });
}
