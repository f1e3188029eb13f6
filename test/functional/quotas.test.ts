import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, activeLoadBalancer, SUBNET } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import * as quotas from '../../src/service/quotas.ts';
import { testPostgres } from '../kit/postgres.ts';

const DEFAULTS = { load_balancer: 10, listener: 20, pool: 30, member: 40, health_monitor: 50, l7policy: 60, l7rule: 70 };
const WIRE_DEFAULTS = { ...DEFAULTS };
const member = { projectId: 'p9', userId: null, roles: ['member'], isAdmin: false };

describe('quotas', () => {
  let app: TestApp;
  before(async () => { app = await testApp({ quotas: { ...DEFAULTS } }); });
  after(async () => { await app.close(); });

  const createLb = (project: string) =>
    app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } }, project);

  test('the list is empty until a quota is set', async () => {
    const res = await app.req('GET', '/v2/lbaas/quotas');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { quotas: [], quotas_links: [] });
  });

  test('a project without quotas of its own answers the defaults, with the old spellings only', async () => {
    const res = await app.req('GET', '/v2/lbaas/quotas/fresh-project');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { quota: WIRE_DEFAULTS });
  });

  test('defaults answer at /quotas/defaults and /quotas/{project_id}/default', async () => {
    await app.req('PUT', '/v2/lbaas/quotas/pdef', { quota: { load_balancer: 1 } });
    for (const path of ['/v2/lbaas/quotas/defaults', '/v2.0/lbaas/quotas/pdef/default']) {
      const res = await app.req('GET', path);
      assert.equal(res.status, 200, path);
      assert.deepEqual(res.body, { quota: WIRE_DEFAULTS }, path);
    }
  });

  test('PUT answers 202 with the limits in force and GET shows them', async () => {
    const quota = { load_balancer: -1, listener: 30, pool: 31, health_monitor: 32, member: 33, l7policy: 34, l7rule: 35 };
    const put = await app.req('PUT', '/v2/lbaas/quotas/pfull', { quota });
    assert.equal(put.status, 202);
    assert.deepEqual(put.body, { quota });
    const got = await app.req('GET', '/v2/lbaas/quotas/pfull');
    assert.deepEqual(got.body, { quota });
  });

  test('the list shows each project under both spellings, with tenant_id, and null for defaults', async () => {
    await app.req('PUT', '/v2/lbaas/quotas/plist', { quota: { loadbalancer: 5, healthmonitor: 6, member: 7 } });
    const res = await app.req('GET', '/v2/lbaas/quotas?project_id=plist');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.quotas, [{
      project_id: 'plist', tenant_id: 'plist', loadbalancer: 5, load_balancer: 5, listener: null, member: 7,
      pool: null, healthmonitor: 6, health_monitor: 6, l7policy: null, l7rule: null,
    }]);
  });

  test('the new spellings win over the deprecated ones when both are sent', async () => {
    const put = await app.req('PUT', '/v2/lbaas/quotas/pboth', { quota: { loadbalancer: 8, load_balancer: 9, healthmonitor: 1, health_monitor: 2 } });
    assert.equal(put.status, 202);
    assert.equal(put.body.quota.load_balancer, 8);
    assert.equal(put.body.quota.health_monitor, 1);
  });

  test('an absent limit is kept, a null one returns to the default', async () => {
    await app.req('PUT', '/v2/lbaas/quotas/ppartial', { quota: { load_balancer: 3, listener: 4, pool: 5 } });
    const put = await app.req('PUT', '/v2/lbaas/quotas/ppartial', { quota: { listener: null, member: 9 } });
    assert.equal(put.status, 202);
    assert.deepEqual(put.body.quota, { ...WIRE_DEFAULTS, load_balancer: 3, pool: 5, member: 9 });
  });

  test('limits out of range, of the wrong type, or unknown are 400', async () => {
    for (const quota of [
      { load_balancer: -2 }, { listener: 2000000001 }, { pool: 'many' }, { member: 1.5 }, { l7rule: true },
      { l7policy: [] }, { bogus: 1 },
    ]) {
      const res = await app.req('PUT', '/v2/lbaas/quotas/pbad', { quota });
      assert.equal(res.status, 400, JSON.stringify(quota));
      assert.equal(res.body.faultcode, 'Client');
    }
    for (const body of [{ quota: [] }, { quota: 5 }, { quotas: {} }, [], '{nope']) {
      assert.equal((await app.req('PUT', '/v2/lbaas/quotas/pbad', body)).status, 400, JSON.stringify(body));
    }
    const edges = await app.req('PUT', '/v2/lbaas/quotas/pedge', { quota: { load_balancer: -1, listener: 2000000000, pool: '7' } });
    assert.equal(edges.status, 202);
    assert.deepEqual([edges.body.quota.load_balancer, edges.body.quota.listener, edges.body.quota.pool], [-1, 2000000000, 7]);
    assert.equal((await app.req('GET', '/v2/lbaas/quotas/pbad')).body.quota.load_balancer, DEFAULTS.load_balancer);
  });

  test('DELETE answers 202 and returns the project to the defaults; the reset row stays listed; a project never set is 404', async () => {
    await app.req('PUT', '/v2/lbaas/quotas/preset', { quota: { load_balancer: 1, l7rule: 2 } });
    const del = await app.req('DELETE', '/v2/lbaas/quotas/preset');
    assert.equal(del.status, 202);
    assert.deepEqual((await app.req('GET', '/v2/lbaas/quotas/preset')).body, { quota: WIRE_DEFAULTS });
    // As Octavia: the row stays, listed with every limit null, and a second DELETE is 202 again.
    const list = await app.req('GET', '/v2/lbaas/quotas?project_id=preset');
    assert.equal(list.body.quotas.length, 1);
    assert.equal(list.body.quotas[0].load_balancer, null);
    assert.equal(list.body.quotas[0].l7rule, null);
    assert.equal((await app.req('DELETE', '/v2/lbaas/quotas/preset')).status, 202);
    const never = await app.req('DELETE', '/v2/lbaas/quotas/bogus');
    assert.equal(never.status, 404);
    assert.equal(never.body.faultstring, 'Quotas bogus not found.');
  });

  test('the list sorts, paginates with the project id as marker, and selects fields', async () => {
    for (const [p, lb] of [['sort-a', 3], ['sort-b', 1], ['sort-c', 2]] as const) {
      await app.req('PUT', `/v2/lbaas/quotas/${p}`, { quota: { load_balancer: lb, l7rule: 999 } });
    }
    const asc = await app.req('GET', '/v2/lbaas/quotas?l7rule=999&sort=load_balancer:asc');
    assert.deepEqual(asc.body.quotas.map((q: any) => q.project_id), ['sort-b', 'sort-c', 'sort-a']);
    const desc = await app.req('GET', '/v2/lbaas/quotas?l7rule=999&sort=load_balancer:desc');
    assert.deepEqual(desc.body.quotas.map((q: any) => q.project_id), ['sort-a', 'sort-c', 'sort-b']);
    const page = await app.req('GET', '/v2/lbaas/quotas?l7rule=999&sort=load_balancer:asc&limit=2&fields=project_id');
    assert.deepEqual(page.body.quotas, [{ project_id: 'sort-b' }, { project_id: 'sort-c' }]);
    const next = page.body.quotas_links.find((l: any) => l.rel === 'next');
    assert.equal(new URL(next.href).searchParams.get('marker'), 'sort-c');
    const rest = await app.req('GET', '/v2/lbaas/quotas?l7rule=999&sort=load_balancer:asc&limit=2&marker=sort-c');
    assert.deepEqual(rest.body.quotas.map((q: any) => q.project_id), ['sort-a']);
  });

  test('a quota of 2 load balancers refuses the third with 403, and a delete frees a slot', async () => {
    assert.equal((await app.req('PUT', '/v2/lbaas/quotas/qlimit', { quota: { load_balancer: 2 } })).status, 202);
    const first = await activeLoadBalancer(app, {}, 'qlimit');
    await activeLoadBalancer(app, {}, 'qlimit');
    const third = await createLb('qlimit');
    assert.equal(third.status, 403);
    assert.equal(third.body.faultstring, 'Quota has been met for resources: Load Balancer');
    assert.equal((await app.req('DELETE', `/v2/lbaas/loadbalancers/${first.id}`, undefined, 'qlimit')).status, 204);
    await app.settle();
    assert.equal((await createLb('qlimit')).status, 201);
    await app.settle();
  });

  test('quota 0 refuses every create and -1 lifts the limit', async () => {
    await app.req('PUT', '/v2/lbaas/quotas/qzero', { quota: { load_balancer: 0 } });
    assert.equal((await createLb('qzero')).status, 403);
    await app.req('PUT', '/v2/lbaas/quotas/qzero', { quota: { load_balancer: -1 } });
    assert.equal((await createLb('qzero')).status, 201);
    await app.settle();
  });

  test('a reset quota falls back to the configured default for enforcement', async () => {
    const small = await testApp({ quotas: { ...DEFAULTS, load_balancer: 1 } });
    try {
      await small.req('PUT', '/v2/lbaas/quotas/qd', { quota: { load_balancer: 5 } });
      await activeLoadBalancer(small, {}, 'qd');
      await activeLoadBalancer(small, {}, 'qd');
      assert.equal((await small.req('DELETE', '/v2/lbaas/quotas/qd')).status, 202);
      const res = await small.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } }, 'qd');
      assert.equal(res.status, 403);
      await small.settle();
    } finally {
      await small.close();
    }
  });

  test('10 parallel creates against a quota of 3: exactly 3 succeed', async () => {
    await app.req('PUT', '/v2/lbaas/quotas/qrace', { quota: { load_balancer: 3 } });
    const results = await Promise.all(Array.from({ length: 10 }, () => createLb('qrace')));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 201, 201, 403, 403, 403, 403, 403, 403, 403]);
    await app.settle();
    const list = await app.req('GET', '/v2/lbaas/loadbalancers?project_id=qrace', undefined, 'qrace');
    assert.equal(list.body.loadbalancers.length, 3);
  });

  test('only admins write quotas; members read only their own project', async () => {
    const deps = app.runtime.deps;
    await assert.rejects(quotas.updateQuota(deps, member, 'p9', { load_balancer: 100 }), { status: 403 });
    await assert.rejects(quotas.resetQuota(deps, member, 'p9'), { status: 403 });
    await assert.rejects(quotas.getQuota(deps, member, 'other'), { status: 403 });
    assert.throws(() => quotas.defaultQuota(deps, member, 'other'), { status: 403 });
    assert.equal((await quotas.getQuota(deps, member, 'p9')).load_balancer, DEFAULTS.load_balancer);
    await quotas.updateQuota(deps, { ...member, isAdmin: true }, 'p9', { pool: 3 });
    await quotas.updateQuota(deps, { ...member, isAdmin: true }, 'p10', { pool: 3 });
    assert.deepEqual((await quotas.listQuotas(deps, member)).map((q) => q.project_id), ['p9']);
  });
});

describe('quotas on PostgreSQL', async () => {
  const pg = await testPostgres();
  let app: TestApp;
  before(async () => {
    if (pg.skip) return;
    app = await testApp({ databaseUrl: await pg.fresh(), quotas: { ...DEFAULTS } });
  });
  after(async () => {
    if (pg.skip) return;
    await app.close();
    await pg.dropAll();
  });

  test('10 parallel creates against a quota of 3: exactly 3 succeed', { skip: pg.skip }, async () => {
    await app.req('PUT', '/v2/lbaas/quotas/pgrace', { quota: { load_balancer: 3 } });
    const results = await Promise.all(Array.from({ length: 10 }, () =>
      app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } }, 'pgrace')));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 201, 201, 403, 403, 403, 403, 403, 403, 403]);
    await app.settle();
  });

  test('parallel PUTs to a new project all land, and the last word per limit wins', { skip: pg.skip }, async () => {
    const puts = await Promise.all([1, 2, 3, 4, 5].map((n) =>
      app.req('PUT', '/v2/lbaas/quotas/pgput', { quota: n % 2 ? { pool: n } : { member: n } })));
    assert.deepEqual(puts.map((r) => r.status), [202, 202, 202, 202, 202]);
    const got = (await app.req('GET', '/v2/lbaas/quotas/pgput')).body.quota;
    assert.ok([1, 3, 5].includes(got.pool) && [2, 4].includes(got.member), JSON.stringify(got));
  });

  test('projects that only ever met the quota lock are listed with null limits, as Octavia lists tracked projects', { skip: pg.skip }, async () => {
    await activeLoadBalancer(app, {}, 'pglocked');
    const list = await app.req('GET', '/v2/lbaas/quotas?project_id=pglocked');
    assert.equal(list.body.quotas.length, 1);
    assert.equal(list.body.quotas[0].listener, null);
    assert.equal((await app.req('DELETE', '/v2/lbaas/quotas/pglocked')).status, 202);
    assert.equal((await app.req('PUT', '/v2/lbaas/quotas/pglocked', { quota: { listener: 1 } })).status, 202);
    assert.equal((await app.req('GET', '/v2/lbaas/quotas?project_id=pglocked')).body.quotas.length, 1);
  });
});
