import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { testApp, activeLoadBalancer } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import type { Amphora } from '../../src/domain/entities.ts';
import * as amphorae from '../../src/service/amphorae.ts';

const AMPS = '/v2/octavia/amphorae';
const member = { projectId: 'p1', userId: null, roles: ['member'], isAdmin: false };
const WIRE_FIELDS = [
  'id', 'loadbalancer_id', 'compute_id', 'lb_network_ip', 'vrrp_ip', 'ha_ip', 'vrrp_port_id', 'ha_port_id',
  'cert_expiration', 'cert_busy', 'role', 'status', 'vrrp_interface', 'vrrp_id', 'vrrp_priority', 'cached_zone',
  'created_at', 'updated_at', 'image_id', 'compute_flavor',
];

describe('amphorae', () => {
  let app: TestApp;
  let lb: any;
  before(async () => {
    app = await testApp();
    lb = await activeLoadBalancer(app, { name: 'amp-lb' }, 'amp-project');
  });
  after(async () => { await app.close(); });

  /** The data plane does not exist yet: amphorae are written straight into the store. */
  const insertAmphora = async (extra: Partial<Amphora> = {}): Promise<Amphora> => {
    const amphora: Amphora = {
      id: randomUUID(), load_balancer_id: lb.id, compute_id: randomUUID(), lb_network_ip: '192.168.1.2',
      vrrp_ip: '192.168.1.5', ha_ip: '192.168.1.10', vrrp_port_id: randomUUID(), ha_port_id: randomUUID(),
      cert_expiration: '2030-01-02T03:04:05.678Z', cert_busy: false, role: 'STANDALONE', status: 'ALLOCATED',
      vrrp_interface: 'eth1', vrrp_id: 1, vrrp_priority: 100, cached_zone: null, image_id: randomUUID(),
      compute_flavor: 'amphora-flavor', created_at: new Date().toISOString(), updated_at: null, ...extra,
    };
    await app.runtime.store.insert('amphora', amphora);
    return amphora;
  };

  test('the list starts empty', async () => {
    assert.deepEqual((await app.req('GET', AMPS)).body, { amphorae: [], amphorae_links: [] });
  });

  test('show answers Octavia\'s AmphoraResponse fields, the load balancer as loadbalancer_id', async () => {
    const amp = await insertAmphora({ cached_zone: 'nova' });
    const res = await app.req('GET', `${AMPS}/${amp.id}`);
    assert.equal(res.status, 200);
    const shown = res.body.amphora;
    assert.deepEqual(Object.keys(shown).sort(), [...WIRE_FIELDS].sort());
    assert.equal(shown.loadbalancer_id, lb.id);
    assert.equal(shown.cert_expiration, '2030-01-02T03:04:05');
    assert.equal(shown.updated_at, null);
    assert.equal(shown.cached_zone, 'nova');
    assert.deepEqual([shown.role, shown.status, shown.vrrp_id, shown.vrrp_priority, shown.cert_busy], ['STANDALONE', 'ALLOCATED', 1, 100, false]);
    assert.equal(shown.compute_flavor, 'amphora-flavor');
    const fields = await app.req('GET', `/v2.0/octavia/amphorae/${amp.id}?fields=id&fields=role`);
    assert.deepEqual(fields.body.amphora, { id: amp.id, role: 'STANDALONE' });
  });

  test('unknown and DELETED amphorae are 404 and DELETED ones are not listed', async () => {
    const missing = randomUUID();
    const res = await app.req('GET', `${AMPS}/${missing}`);
    assert.equal(res.status, 404);
    assert.equal(res.body.faultstring, `Amphora ${missing} not found.`);
    const gone = await insertAmphora({ status: 'DELETED' });
    assert.equal((await app.req('GET', `${AMPS}/${gone.id}`)).status, 404);
    const list = await app.req('GET', AMPS);
    assert.ok(!list.body.amphorae.some((a: any) => a.id === gone.id));
  });

  test('the list filters by load balancer, its project, id and role', async () => {
    const other = await activeLoadBalancer(app, {}, 'amp-other');
    const mine = await insertAmphora({ role: 'MASTER' });
    const theirs = await insertAmphora({ load_balancer_id: other.id, role: 'BACKUP' });
    const ids = async (q: string) => (await app.req('GET', `${AMPS}?${q}`)).body.amphorae.map((a: any) => a.id);
    assert.deepEqual(await ids(`loadbalancer_id=${other.id}`), [theirs.id]);
    assert.deepEqual(await ids('project_id=amp-other'), [theirs.id]);
    assert.ok((await ids('project_id=amp-project')).includes(mine.id));
    assert.ok(!(await ids('project_id=amp-project')).includes(theirs.id));
    assert.deepEqual(await ids(`id=${mine.id}`), [mine.id]);
    assert.deepEqual(await ids(`role=MASTER&loadbalancer_id=${lb.id}`), [mine.id]);
    assert.deepEqual(await ids(`loadbalancer_id=${randomUUID()}`), []);
    assert.equal((await app.req('GET', `${AMPS}?no_such_field=1`)).status, 400);
  });

  test('the list sorts, paginates with links and selects fields', async () => {
    const spareLb = await activeLoadBalancer(app, {}, 'amp-pages');
    for (const role of ['MASTER', 'BACKUP', 'STANDALONE']) await insertAmphora({ load_balancer_id: spareLb.id, role });
    const q = `loadbalancer_id=${spareLb.id}`;
    const desc = await app.req('GET', `${AMPS}?${q}&sort=role:desc`);
    assert.deepEqual(desc.body.amphorae.map((a: any) => a.role), ['STANDALONE', 'MASTER', 'BACKUP']);
    const first = await app.req('GET', `${AMPS}?${q}&sort=role:asc&limit=2&fields=role&fields=id`);
    assert.deepEqual(first.body.amphorae.map((a: any) => Object.keys(a).sort()), [['id', 'role'], ['id', 'role']]);
    assert.deepEqual(first.body.amphorae_links.map((l: any) => l.rel), ['next']);
    const marker = first.body.amphorae[1].id;
    const rest = await app.req('GET', `${AMPS}?${q}&sort=role:asc&limit=2&marker=${marker}`);
    assert.deepEqual(rest.body.amphorae.map((a: any) => a.role), ['STANDALONE']);
    assert.deepEqual(rest.body.amphorae_links.map((l: any) => l.rel), ['previous']);
  });

  test('stats answer one entry per listener the amphora reported', async () => {
    const amp = await insertAmphora();
    const [l1, l2] = [randomUUID(), randomUUID()];
    await app.runtime.store.insert('listener_stats', {
      listener_id: l1, amphora_id: amp.id, bytes_in: 1, bytes_out: 2, active_connections: 3, total_connections: 4, request_errors: 5,
    });
    await app.runtime.store.insert('listener_stats', {
      listener_id: l2, amphora_id: amp.id, bytes_in: 6, bytes_out: 7, active_connections: 8, total_connections: 9, request_errors: 10,
    });
    const res = await app.req('GET', `${AMPS}/${amp.id}/stats`);
    assert.equal(res.status, 200);
    const byListener = Object.fromEntries(res.body.amphora_stats.map((s: any) => [s.listener_id, s]));
    assert.deepEqual(byListener[l1], {
      id: amp.id, listener_id: l1, loadbalancer_id: lb.id, active_connections: 3, bytes_in: 1, bytes_out: 2, request_errors: 5, total_connections: 4,
    });
    assert.equal(byListener[l2].total_connections, 9);
  });

  test('stats of an amphora without listeners, or of an unknown one, are 404', async () => {
    const quiet = await insertAmphora();
    const res = await app.req('GET', `${AMPS}/${quiet.id}/stats`);
    assert.equal(res.status, 404);
    assert.equal(res.body.faultstring, `Amphora stats for ${quiet.id} not found.`);
    assert.equal((await app.req('GET', `${AMPS}/bogus_id/stats`)).status, 404);
  });

  test('failover answers 202 and puts its load balancer through PENDING_UPDATE', async () => {
    const amp = await insertAmphora();
    app.gate.hold();
    try {
      const res = await app.req('PUT', `${AMPS}/${amp.id}/failover`, {});
      assert.equal(res.status, 202);
      const pending = await app.req('GET', `/v2/lbaas/loadbalancers/${lb.id}`, undefined, 'amp-project');
      assert.equal(pending.body.loadbalancer.provisioning_status, 'PENDING_UPDATE');
      const again = await app.req('PUT', `${AMPS}/${amp.id}/failover`);
      assert.equal(again.status, 409);
      assert.match(again.body.faultstring, /Invalid state PENDING_UPDATE/);
    } finally {
      app.gate.release();
    }
    await app.settle();
    const settled = await app.req('GET', `/v2/lbaas/loadbalancers/${lb.id}`, undefined, 'amp-project');
    assert.equal(settled.body.loadbalancer.provisioning_status, 'ACTIVE');
  });

  test('failover of a spare answers 202; of a DELETED or unknown amphora 404', async () => {
    const spare = await insertAmphora({ load_balancer_id: null, status: 'READY' });
    assert.equal((await app.req('PUT', `${AMPS}/${spare.id}/failover`)).status, 202);
    const gone = await insertAmphora({ status: 'DELETED' });
    assert.equal((await app.req('PUT', `${AMPS}/${gone.id}/failover`)).status, 404);
    assert.equal((await app.req('PUT', `${AMPS}/asdf/failover`)).status, 404);
  });

  test('config answers 202 for a live amphora and 404 otherwise', async () => {
    const amp = await insertAmphora();
    const res = await app.req('PUT', `${AMPS}/${amp.id}/config`, {});
    assert.equal(res.status, 202);
    assert.equal(res.body, undefined);
    const gone = await insertAmphora({ status: 'DELETED' });
    assert.equal((await app.req('PUT', `${AMPS}/${gone.id}/config`)).status, 404);
    assert.equal((await app.req('PUT', `${AMPS}/bogus/config`)).status, 404);
  });

  test('delete takes READY and ERROR amphorae to PENDING_DELETE; others are immutable', async () => {
    for (const status of ['READY', 'ERROR']) {
      const amp = await insertAmphora({ load_balancer_id: null, status });
      assert.equal((await app.req('DELETE', `${AMPS}/${amp.id}`)).status, 204, status);
      assert.equal((await app.req('GET', `${AMPS}/${amp.id}`)).body.amphora.status, 'PENDING_DELETE');
    }
    const busy = await insertAmphora({ status: 'ALLOCATED' });
    const res = await app.req('DELETE', `${AMPS}/${busy.id}`);
    assert.equal(res.status, 409);
    assert.equal(res.body.faultstring, `Amphora ${busy.id} is immutable and cannot be updated.`);
    assert.equal((await app.req('GET', `${AMPS}/${busy.id}`)).body.amphora.status, 'ALLOCATED');
    assert.equal((await app.req('DELETE', `${AMPS}/bogus-id`)).status, 404);
  });

  test('only admins may see or act on amphorae', async () => {
    const deps = app.runtime.deps;
    const amp = await insertAmphora({ load_balancer_id: null, status: 'READY' });
    await assert.rejects(amphorae.listAmphorae(deps, member), { status: 403 });
    await assert.rejects(amphorae.getAmphora(deps, member, amp.id), { status: 403 });
    await assert.rejects(amphorae.amphoraStats(deps, member, amp.id), { status: 403 });
    await assert.rejects(amphorae.failoverAmphora(deps, member, amp.id), { status: 403 });
    await assert.rejects(amphorae.configureAmphora(deps, member, amp.id), { status: 403 });
    await assert.rejects(amphorae.deleteAmphora(deps, member, amp.id), { status: 403 });
    assert.equal((await app.req('GET', `${AMPS}/${amp.id}`)).body.amphora.status, 'READY');
  });
});
