import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, SUBNET } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';

const full = () => ({
  name: 'graph',
  vip_subnet_id: SUBNET,
  listeners: [{
    name: 'http', protocol: 'HTTP', protocol_port: 80,
    default_pool: {
      name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
      healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3, url_path: '/health' },
      members: [{ address: '192.0.2.10', protocol_port: 8080 }, { address: '192.0.2.11', protocol_port: 8080, weight: 5 }],
    },
    l7policies: [{
      name: 'api', action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'api' },
      rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' }],
    }, { action: 'REJECT', rules: [{ type: 'HEADER', key: 'X-Bad', compare_type: 'EQUAL_TO', value: 'yes' }] }],
  }],
  pools: [{ name: 'api', protocol: 'HTTP', lb_algorithm: 'LEAST_CONNECTIONS', members: [{ address: '192.0.2.20', protocol_port: 9000 }] }],
});

describe('fully populated load balancer create', () => {
  let app: TestApp;
  before(async () => { app = await testApp(); });
  after(async () => { await app.close(); });

  test('creates the whole tree in one call and answers it in full', async () => {
    app.gate.hold();
    const res = await app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: full() });
    app.gate.release();
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const lb = res.body.loadbalancer;
    assert.equal(lb.listeners.length, 1);
    assert.equal(lb.pools.length, 2);
    const listener = lb.listeners[0];
    assert.equal(listener.provisioning_status, 'PENDING_CREATE');
    assert.equal(listener.l7policies.length, 2);
    assert.equal(listener.l7policies[0].rules[0].value, '/api');
    const web = lb.pools.find((p: any) => p.name === 'web');
    const api = lb.pools.find((p: any) => p.name === 'api');
    assert.equal(listener.default_pool_id, web.id);
    assert.equal(listener.l7policies[0].redirect_pool_id, api.id);
    assert.equal(web.members.length, 2);
    assert.equal(web.healthmonitor.url_path, '/health');
    // Octavia's full pool type names its monitor in full only (no healthmonitor_id key).
    assert.ok(!('healthmonitor_id' in web));
    assert.ok(web.healthmonitor.id);
    await app.settle();
    const tree = await app.req('GET', `/v2/lbaas/loadbalancers/${lb.id}/status`);
    assert.equal(tree.status, 200);
    const l = tree.body.statuses.loadbalancer;
    assert.equal(l.provisioning_status, 'ACTIVE');
    assert.equal(l.listeners[0].provisioning_status, 'ACTIVE');
    const webStatus = l.listeners[0].pools.find((p: any) => p.id === web.id);
    assert.equal(webStatus.members.length, 2);
    assert.equal(webStatus.health_monitor.operating_status, 'ONLINE');
    assert.ok(l.listeners[0].pools.some((p: any) => p.id === api.id), 'redirect pools appear under the listener');
  });

  test('a plain create answers empty full lists', async () => {
    const res = await app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.loadbalancer.listeners, []);
    assert.deepEqual(res.body.loadbalancer.pools, []);
    await app.settle();
  });

  const refusals: [string, (b: any) => void, RegExp][] = [
    ['unnamed nested pool', (b) => { delete b.listeners[0].default_pool.name; }, /must be named/],
    ['reference without a definition', (b) => { b.pools = []; }, /'api' was referenced but no full definition/],
    ['duplicate pool names', (b) => { b.pools.push({ name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }); }, /must be unique/],
    ['pool definition without lb_algorithm', (b) => { delete b.pools[0].lb_algorithm; }, /missing required attribute: lb_algorithm/],
    ['bad member address', (b) => { b.listeners[0].default_pool.members[0].address = 'nope'; }, /address/],
    ['listener without port', (b) => { delete b.listeners[0].protocol_port; }, /protocol_port/],
    ['pool protocol the listener cannot use', (b) => { b.listeners[0].default_pool.protocol = 'TCP'; }, /protocol/i],
    ['unknown field in a nested rule', (b) => { b.listeners[0].l7policies[0].rules[0].bogus = 1; }, /bogus/],
    ['two listeners on one port', (b) => { b.listeners.push({ protocol: 'TCP', protocol_port: 80 }); }, /protocol_port/],
  ];
  for (const [name, mutate, message] of refusals) {
    test(`refuses ${name} and writes nothing`, async () => {
      const body = full();
      mutate(body);
      const before = await app.runtime.store.count('load_balancer');
      const pools = await app.runtime.store.count('pool');
      const res = await app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: body });
      assert.ok(res.status === 400 || res.status === 409, `${res.status} ${JSON.stringify(res.body)}`);
      assert.match(res.body.faultstring, message);
      assert.equal(await app.runtime.store.count('load_balancer'), before);
      assert.equal(await app.runtime.store.count('pool'), pools);
    });
  }

  test('quota on pools counts the whole tree', async () => {
    await app.req('PUT', '/v2/lbaas/quotas/small', { quota: { pool: 1 } });
    const res = await app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: full() }, 'small');
    assert.equal(res.status, 403);
    assert.equal(await app.runtime.store.count('load_balancer', { project_id: 'small' }), 0);
  });

  test('cascade delete removes the whole tree', async () => {
    const res = await app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: full() }, 'cascade');
    await app.settle();
    const id = res.body.loadbalancer.id;
    assert.equal((await app.req('DELETE', `/v2/lbaas/loadbalancers/${id}`, undefined, 'cascade')).status, 400);
    assert.equal((await app.req('DELETE', `/v2/lbaas/loadbalancers/${id}?cascade=true`, undefined, 'cascade')).status, 204);
    await app.settle();
    for (const kind of ['listener', 'pool', 'member', 'health_monitor', 'l7policy', 'l7rule'] as const) {
      assert.equal(await app.runtime.store.count(kind, { load_balancer_id: id }), 0, kind);
    }
    // The DELETED row lingers, but Octavia's show hides it.
    assert.equal((await app.req('GET', `/v2/lbaas/loadbalancers/${id}`, undefined, 'cascade')).status, 404);
  });
});
