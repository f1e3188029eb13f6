import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, activeLoadBalancer, SUBNET } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';

describe('load balancers', () => {
  let app: TestApp;
  before(async () => { app = await testApp(); });
  after(async () => { await app.close(); });

  test('create answers 201 PENDING_CREATE and the worker makes it ACTIVE', async () => {
    app.gate.hold();
    const res = await app.req('POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { name: 'web', vip_subnet_id: SUBNET, tags: ['a'] } });
    assert.equal(res.status, 201);
    const lb = res.body.loadbalancer;
    assert.equal(lb.provisioning_status, 'PENDING_CREATE');
    assert.equal(lb.operating_status, 'OFFLINE');
    assert.equal(lb.tenant_id, 'p1');
    assert.equal(lb.provider, 'amphora');
    assert.deepEqual(lb.listeners, []);
    app.gate.release();
    await app.settle();
    const shown = await app.req('GET', `/v2/lbaas/loadbalancers/${lb.id}`);
    assert.equal(shown.body.loadbalancer.provisioning_status, 'ACTIVE');
  });

  test('a VIP is required', async () => {
    const res = await app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'x' } });
    assert.equal(res.status, 400);
    assert.match(res.body.faultstring, /VIP must contain one of/);
  });

  test('unknown attributes, wrong types and bad uuids are 400 with a fault body', async () => {
    for (const body of [
      { loadbalancer: { vip_subnet_id: SUBNET, bogus: 1 } },
      { loadbalancer: { vip_subnet_id: 'not-a-uuid' } },
      { loadbalancer: { vip_subnet_id: SUBNET, admin_state_up: 'maybe' } },
      { loadbalancer: { vip_subnet_id: SUBNET, name: 'x'.repeat(256) } },
      { loadbalancer: [] },
      { other: {} },
      '{not json',
    ]) {
      const res = await app.req('POST', '/v2/lbaas/loadbalancers', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(Object.keys(res.body).sort(), ['debuginfo', 'faultcode', 'faultstring']);
    }
  });

  test('writes while PENDING answer 409', async () => {
    app.gate.hold();
    const res = await app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
    const id = res.body.loadbalancer.id;
    const put = await app.req('PUT', `/v2/lbaas/loadbalancers/${id}`, { loadbalancer: { name: 'n' } });
    assert.equal(put.status, 409);
    assert.match(put.body.faultstring, /Invalid state PENDING_CREATE/);
    app.gate.release();
    await app.settle();
  });

  test('update, delete, then hide the DELETED row from show and list', async () => {
    const lb = await activeLoadBalancer(app, { name: 'old' });
    const put = await app.req('PUT', `/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: 'new', admin_state_up: false } });
    assert.equal(put.status, 200);
    assert.equal(put.body.loadbalancer.name, 'new');
    assert.equal(put.body.loadbalancer.provisioning_status, 'PENDING_UPDATE');
    await app.settle();
    assert.equal((await app.req('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).status, 204);
    await app.settle();
    // The row stays DELETED (quota and flavor checks read it), but Octavia's show hides it.
    const shown = await app.req('GET', `/v2/lbaas/loadbalancers/${lb.id}`);
    assert.equal(shown.status, 404);
    assert.equal((await app.runtime.store.get('load_balancer', lb.id))?.provisioning_status, 'DELETED');
    const list = await app.req('GET', '/v2/lbaas/loadbalancers');
    assert.ok(!list.body.loadbalancers.some((x: any) => x.id === lb.id));
    assert.equal((await app.req('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).status, 404);
  });

  test('unknown ids are 404', async () => {
    const res = await app.req('GET', '/v2/lbaas/loadbalancers/00000000-0000-0000-0000-000000000000');
    assert.equal(res.status, 404);
    assert.equal(res.body.faultstring, 'Load Balancer 00000000-0000-0000-0000-000000000000 not found.');
  });

  test('list paginates with links, sorts and selects fields', async () => {
    for (const name of ['c', 'a', 'b']) await activeLoadBalancer(app, { name }, 'pager');
    const res = await app.req('GET', '/v2/lbaas/loadbalancers?project_id=pager&sort=name:asc&limit=2&fields=name,id', undefined, 'pager');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.loadbalancers.map((x: any) => x.name), ['a', 'b']);
    assert.deepEqual(Object.keys(res.body.loadbalancers[0]).sort(), ['id', 'name']);
    const next = res.body.loadbalancers_links.find((l: any) => l.rel === 'next');
    assert.ok(next);
    const marker = new URL(next.href).searchParams.get('marker');
    const page2 = await app.req('GET', `/v2/lbaas/loadbalancers?project_id=pager&sort=name:asc&limit=2&marker=${marker}`, undefined, 'pager');
    assert.deepEqual(page2.body.loadbalancers.map((x: any) => x.name), ['c']);
  });
});
