import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, activeLoadBalancer } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { addListener, addPool, setStatus, MISSING } from './l7-fixtures.ts';
import * as policies from '../../src/service/l7policies.ts';
import type { Listener, Pool } from '../../src/domain/entities.ts';

const PATH = '/v2/lbaas/l7policies';

describe('L7 policies', () => {
  let app: TestApp;
  let lb: { id: string; project_id: string };
  let listener: Listener;
  let pool: Pool;

  before(async () => {
    app = await testApp();
    lb = await activeLoadBalancer(app);
    listener = await addListener(app, lb);
    pool = await addPool(app, lb);
  });
  after(async () => { await app.close(); });
  // A test that fails while holding the gate must not leave the others waiting on the worker.
  afterEach(() => { app.gate.release(); });

  const post = (body: Record<string, unknown>) => app.req('POST', PATH, { l7policy: body });
  const put = (id: string, body: Record<string, unknown>) => app.req('PUT', `${PATH}/${id}`, { l7policy: body });
  const status = async (kind: 'load_balancer' | 'listener' | 'l7policy' | 'l7rule', id: string) =>
    (await app.runtime.store.get(kind, id))?.provisioning_status;

  /** Creates a policy, waits for ACTIVE, answers the create response's body. */
  async function created(body: Record<string, unknown>, on: Listener = listener) {
    const res = await post({ listener_id: on.id, ...body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await app.settle();
    return res.body.l7policy;
  }

  /** A fresh listener (and LB) so position tests start from an empty list. */
  async function freshListener(protocol: Listener['protocol'] = 'HTTP', extra: Record<string, unknown> = {}) {
    const own = await activeLoadBalancer(app, extra);
    return { lb: own, listener: await addListener(app, own, protocol), pool: await addPool(app, own) };
  }

  async function positionsOn(listenerId: string): Promise<string[]> {
    const res = await app.req('GET', `${PATH}?listener_id=${listenerId}&sort=position:asc`);
    assert.equal(res.status, 200);
    const items = res.body.l7policies as { id: string; position: number }[];
    assert.deepEqual(items.map((p) => p.position), items.map((_, i) => i + 1), 'positions are 1..n');
    return items.map((p) => p.id);
  }

  describe('create', () => {
    test('REJECT answers 201 PENDING_CREATE/OFFLINE with Octavia\'s fields; LB and listener go PENDING_UPDATE', async () => {
      app.gate.hold();
      const res = await post({ listener_id: listener.id, action: 'REJECT', name: 'deny', tags: ['t1'] });
      assert.equal(res.status, 201);
      const p = res.body.l7policy;
      assert.deepEqual(Object.keys(p).sort(), [
        'action', 'admin_state_up', 'created_at', 'description', 'id', 'listener_id', 'name', 'operating_status', 'position',
        'project_id', 'provisioning_status', 'redirect_http_code', 'redirect_pool_id', 'redirect_prefix', 'redirect_url',
        'rules', 'tags', 'tenant_id', 'updated_at',
      ]);
      assert.equal(p.action, 'REJECT');
      assert.equal(p.name, 'deny');
      assert.equal(p.description, '');
      assert.equal(p.provisioning_status, 'PENDING_CREATE');
      assert.equal(p.operating_status, 'OFFLINE');
      assert.equal(p.admin_state_up, true);
      assert.equal(p.project_id, lb.project_id);
      assert.equal(p.tenant_id, lb.project_id);
      assert.equal(p.listener_id, listener.id);
      assert.equal(p.redirect_pool_id, null);
      assert.equal(p.redirect_url, null);
      assert.equal(p.redirect_prefix, null);
      assert.equal(p.redirect_http_code, null);
      assert.deepEqual(p.rules, []);
      assert.deepEqual(p.tags, ['t1']);
      assert.equal(p.updated_at, null);
      assert.match(p.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      assert.equal(await status('load_balancer', lb.id), 'PENDING_UPDATE');
      assert.equal(await status('listener', listener.id), 'PENDING_UPDATE');
      app.gate.release();
      await app.settle();
      const shown = await app.req('GET', `${PATH}/${p.id}`);
      assert.equal(shown.body.l7policy.provisioning_status, 'ACTIVE');
      assert.equal(await status('listener', listener.id), 'ACTIVE');
    });

    test('REDIRECT_TO_URL and REDIRECT_PREFIX default their HTTP code to 302 and keep one given', async () => {
      const url = await created({ action: 'REDIRECT_TO_URL', redirect_url: 'http://www.example.com' });
      assert.equal(url.redirect_url, 'http://www.example.com');
      assert.equal(url.redirect_http_code, 302);
      const prefix = await created({ action: 'REDIRECT_PREFIX', redirect_prefix: 'https://example.com', redirect_http_code: 308 });
      assert.equal(prefix.redirect_prefix, 'https://example.com');
      assert.equal(prefix.redirect_http_code, 308);
      assert.equal(prefix.redirect_url, null);
      for (const code of [301, 302, 303, 307, 308, '301']) {
        const p = await created({ action: 'REDIRECT_TO_URL', redirect_url: 'http://a.com/', redirect_http_code: code });
        assert.equal(p.redirect_http_code, Number(code));
      }
    });

    test('REDIRECT_TO_POOL names a pool of the LB and drops any HTTP code', async () => {
      const p = await created({ action: 'REDIRECT_TO_POOL', redirect_pool_id: pool.id, redirect_http_code: 308 });
      assert.equal(p.action, 'REDIRECT_TO_POOL');
      assert.equal(p.redirect_pool_id, pool.id);
      assert.equal(p.redirect_http_code, null);
      assert.equal(p.redirect_url, null);
    });

    test('a redirect action without its target is 400', async () => {
      for (const [action, msg] of [
        ['REDIRECT_TO_URL', 'redirect_url must not be None'],
        ['REDIRECT_PREFIX', 'redirect_prefix must not be None'],
        ['REDIRECT_TO_POOL', 'redirect_pool_id or redirect_pool must not be None'],
      ]) {
        const res = await post({ listener_id: listener.id, action });
        assert.equal(res.status, 400, action);
        assert.equal(res.body.faultstring, `Invalid L7 Policy arguments: ${msg}`);
      }
    });

    test('URLs must be absolute http(s) URLs with a valid host', async () => {
      for (const bad of ['bad url', 'bad-url', 'ftp://a.com', 'HTTP://a.com', 'http://', 'http://a b.com', 'http://a.com/\n', 'http://1.2.3.999/', `http://a.com/${'x'.repeat(250)}`, 5]) {
        for (const field of ['redirect_url', 'redirect_prefix']) {
          const action = field === 'redirect_url' ? 'REDIRECT_TO_URL' : 'REDIRECT_PREFIX';
          const res = await post({ listener_id: listener.id, action, [field]: bad });
          assert.equal(res.status, 400, `${field} ${JSON.stringify(bad)}`);
          assert.match(res.body.faultstring, new RegExp(`^Invalid input for field/attribute ${field}\\.`));
        }
      }
      const res = await post({ listener_id: listener.id, action: 'REDIRECT_TO_URL', redirect_url: 'bad url' });
      assert.equal(res.body.faultstring, "Invalid input for field/attribute redirect_url. Value: 'bad url'. Value must be a valid URL string");
    });

    test('HTTP codes outside 301, 302, 303, 307, 308 are 400', async () => {
      for (const code of [1, '', 'HTTPCODE', 300, 304, true, 302.5]) {
        const res = await post({ listener_id: listener.id, action: 'REDIRECT_TO_URL', redirect_url: 'http://a.com', redirect_http_code: code });
        assert.equal(res.status, 400, JSON.stringify(code));
        assert.match(res.body.faultstring, /redirect_http_code/);
      }
    });

    test('a pool together with a URL or prefix is 400', async () => {
      const res = await post({ listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: pool.id, redirect_prefix: 'http://a.com' });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, 'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time');
    });

    test('REJECT drops a URL; a prefix turns it into REDIRECT_PREFIX, as Octavia resolves them', async () => {
      const dropped = await created({ action: 'REJECT', redirect_url: 'http://a.com', redirect_http_code: 301 });
      assert.equal(dropped.action, 'REJECT');
      assert.equal(dropped.redirect_url, null);
      assert.equal(dropped.redirect_http_code, null);
      const prefixed = await created({ action: 'REJECT', redirect_prefix: 'http://a.com' });
      assert.equal(prefixed.action, 'REDIRECT_PREFIX');
      assert.equal(prefixed.redirect_http_code, 302);
    });

    test('the redirect pool must exist (404), speak a protocol the listener forwards to (400), and be on the same LB (404)', async () => {
      let res = await post({ listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: MISSING });
      assert.equal(res.status, 404);
      assert.equal(res.body.faultstring, `Pool ${MISSING} not found.`);
      const tcpPool = await addPool(app, lb, 'TCP');
      res = await post({ listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: tcpPool.id });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, "Validation failure: The pool protocol 'TCP' is invalid while the listener protocol is 'HTTP'.");
      const other = await freshListener();
      res = await post({ listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: other.pool.id });
      assert.equal(res.status, 404);
      assert.equal(res.body.faultstring, `Pool ${other.pool.id} not found.`);
      assert.equal(await status('load_balancer', lb.id), 'ACTIVE', 'a refused create leaves the LB unlocked');
    });

    test('pools of every compatible protocol are accepted on HTTP and TERMINATED_HTTPS listeners', async () => {
      for (const protocol of ['HTTP', 'TERMINATED_HTTPS'] as const) {
        const own = await freshListener(protocol);
        for (const poolProtocol of ['HTTP', 'PROXY', 'PROXYV2'] as const) {
          const target = await addPool(app, own.lb, poolProtocol);
          const p = await created({ action: 'REDIRECT_TO_POOL', redirect_pool_id: target.id }, own.listener);
          assert.equal(p.redirect_pool_id, target.id);
        }
        const https = await addPool(app, own.lb, 'HTTPS');
        const res = await post({ listener_id: own.listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: https.id });
        assert.equal(res.status, 400);
      }
    });

    test('malformed bodies are 400 with a fault body', async () => {
      for (const body of [
        { l7policy: { listener_id: listener.id } },
        { l7policy: { action: 'REJECT' } },
        { l7policy: { listener_id: 'not-a-uuid', action: 'REJECT' } },
        { l7policy: { listener_id: listener.id, action: 'DROP' } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', bogus: 1 } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', name: 5 } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', name: 'x'.repeat(256) } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', description: 'x'.repeat(256) } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', admin_state_up: 'maybe' } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', position: 0 } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', position: 2147483648 } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', position: 'first' } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', position: 1.5 } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', tags: 'a' } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', tags: [1] } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', redirect_pool_id: 'nope' } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', rules: {} } },
        { l7policy: { listener_id: listener.id, action: 'REJECT', project_id: 'x'.repeat(37) } },
        { l7policy: [] },
        { l7policy: null },
        { policy: {} },
        { l7policy: { listener_id: listener.id, action: 'REJECT' }, extra: 1 },
        [],
        '{not json',
      ]) {
        const res = await app.req('POST', PATH, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(Object.keys(res.body).sort(), ['debuginfo', 'faultcode', 'faultstring']);
        assert.equal(res.body.faultcode, 'Client');
      }
    });

    test('an unknown listener is 404; a PROMETHEUS listener cannot have policies', async () => {
      let res = await post({ listener_id: MISSING, action: 'REJECT' });
      assert.equal(res.status, 404);
      assert.equal(res.body.faultstring, `Listener ${MISSING} not found.`);
      const prometheus = await addListener(app, lb, 'PROMETHEUS');
      res = await post({ listener_id: prometheus.id, action: 'REJECT' });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, 'Protocol PROMETHEUS listeners cannot have child objects.');
    });

    test('the amphora provider refuses policies on non-HTTP listeners (501); the noop provider accepts them', async () => {
      for (const protocol of ['TCP', 'UDP', 'HTTPS', 'SCTP'] as const) {
        const own = await freshListener(protocol);
        const res = await post({ listener_id: own.listener.id, action: 'REJECT' });
        assert.equal(res.status, 501, protocol);
        assert.equal(res.body.faultstring,
          `Provider 'amphora' does not support a requested option: ${protocol} protocol listeners do not support L7 policies`);
        assert.equal(await status('load_balancer', own.lb.id), 'ACTIVE');
        assert.equal((await app.runtime.store.find('l7policy', { listener_id: own.listener.id })).length, 0);
      }
      const noop = await freshListener('TCP', { provider: 'noop' });
      const p = await created({ action: 'REJECT' }, noop.listener);
      assert.equal(p.listener_id, noop.listener.id);
    });

    test('the policy belongs to its load balancer\'s project whatever the body says', async () => {
      const p = await created({ action: 'REJECT', project_id: 'someone-else', tenant_id: 'someone-else' });
      assert.equal(p.project_id, lb.project_id);
    });

    test('admin_state_up: absent is true, null is false (as Octavia)', async () => {
      assert.equal((await created({ action: 'REJECT' })).admin_state_up, true);
      assert.equal((await created({ action: 'REJECT', admin_state_up: null })).admin_state_up, false);
      assert.equal((await created({ action: 'REJECT', admin_state_up: false })).admin_state_up, false);
    });

    test('rules may be created with the policy, in the same transaction', async () => {
      const own = await freshListener();
      app.gate.hold();
      const res = await post({
        listener_id: own.listener.id, action: 'REJECT',
        rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' }, { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-A', value: 'b', invert: true }],
      });
      assert.equal(res.status, 201);
      const ids = res.body.l7policy.rules.map((r: { id: string }) => r.id);
      assert.equal(ids.length, 2);
      const rules = await app.runtime.store.find('l7rule', { l7policy_id: res.body.l7policy.id });
      assert.deepEqual(rules.map((r) => r.id).sort(), [...ids].sort());
      assert.ok(rules.every((r) => r.provisioning_status === 'PENDING_CREATE' && r.project_id === own.lb.project_id));
      app.gate.release();
      await app.settle();
      const listed = await app.req('GET', `${PATH}/${res.body.l7policy.id}/rules`);
      assert.equal(listed.body.rules.length, 2);
    });

    test('an invalid rule in the body refuses the whole policy; more than 50 rules is 409', async () => {
      const own = await freshListener();
      let res = await post({ listener_id: own.listener.id, action: 'REJECT', rules: [{ type: 'HEADER', compare_type: 'EQUAL_TO', value: 'x' }] });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key');
      res = await post({ listener_id: own.listener.id, action: 'REJECT', rules: [{ type: 'PATH', value: '/x' }] });
      assert.equal(res.status, 400);
      const many = Array.from({ length: 51 }, () => ({ type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' }));
      res = await post({ listener_id: own.listener.id, action: 'REJECT', rules: many });
      assert.equal(res.status, 409);
      assert.match(res.body.faultstring, /^Too many rules on L7 policy [0-9a-f-]{36}$/);
      assert.equal((await app.runtime.store.find('l7policy', { listener_id: own.listener.id })).length, 0);
      assert.equal(await status('load_balancer', own.lb.id), 'ACTIVE');
    });

    test('writes while the load balancer is not ACTIVE are 409', async () => {
      const p = await created({ action: 'REJECT' });
      app.gate.hold();
      assert.equal((await app.req('PUT', `/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: 'busy' } })).status, 200);
      const create = await post({ listener_id: listener.id, action: 'REJECT' });
      assert.equal(create.status, 409);
      // A child write names the load balancer as Octavia does (its "Invalid state" is for LB writes).
      assert.equal(create.body.faultstring, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
      assert.equal((await put(p.id, { name: 'x' })).status, 409);
      assert.equal((await app.req('DELETE', `${PATH}/${p.id}`)).status, 409);
      app.gate.release();
      await app.settle();
      assert.equal((await app.req('GET', `${PATH}/${p.id}`)).body.l7policy.name, '');
    });
  });

  describe('positions', () => {
    test('the default appends; a position inserts and shifts the others; past the end appends', async () => {
      const own = await freshListener();
      const a = await created({ action: 'REJECT', name: 'a' }, own.listener);
      assert.equal(a.position, 1);
      const b = await created({ action: 'REJECT', name: 'b' }, own.listener);
      assert.equal(b.position, 2);
      const c = await created({ action: 'REJECT', name: 'c', position: 1 }, own.listener);
      assert.equal(c.position, 1);
      const d = await created({ action: 'REJECT', name: 'd', position: 2 }, own.listener);
      assert.equal(d.position, 2);
      const e = await created({ action: 'REJECT', name: 'e', position: 99 }, own.listener);
      assert.equal(e.position, 5);
      assert.deepEqual(await positionsOn(own.listener.id), [c.id, d.id, a.id, b.id, e.id]);
      assert.equal((await app.req('GET', `${PATH}/${a.id}`)).body.l7policy.position, 3);
    });

    test('an update moves a policy up or down; the others keep their order', async () => {
      const own = await freshListener();
      const ids: string[] = [];
      for (const name of ['a', 'b', 'c', 'd']) ids.push((await created({ action: 'REJECT', name }, own.listener)).id);
      let res = await put(ids[3], { position: 1 });
      assert.equal(res.status, 200);
      assert.equal(res.body.l7policy.position, 1);
      await app.settle();
      assert.deepEqual(await positionsOn(own.listener.id), [ids[3], ids[0], ids[1], ids[2]]);
      res = await put(ids[3], { position: 3 });
      assert.equal(res.body.l7policy.position, 3);
      await app.settle();
      assert.deepEqual(await positionsOn(own.listener.id), [ids[0], ids[1], ids[3], ids[2]]);
      res = await put(ids[0], { position: 2147483647 });
      assert.equal(res.body.l7policy.position, 4);
      await app.settle();
      assert.deepEqual(await positionsOn(own.listener.id), [ids[1], ids[3], ids[2], ids[0]]);
    });

    test('a delete compacts the positions once the policy is gone; until then it keeps its place', async () => {
      const own = await freshListener();
      const ids: string[] = [];
      for (const name of ['a', 'b', 'c']) ids.push((await created({ action: 'REJECT', name }, own.listener)).id);
      app.gate.hold();
      assert.equal((await app.req('DELETE', `${PATH}/${ids[0]}`)).status, 204);
      assert.equal((await app.req('GET', `${PATH}/${ids[1]}`)).body.l7policy.position, 2);
      app.gate.release();
      await app.settle();
      assert.deepEqual(await positionsOn(own.listener.id), [ids[1], ids[2]]);
      const next = await created({ action: 'REJECT', name: 'd' }, own.listener);
      assert.equal(next.position, 3);
      assert.deepEqual(await positionsOn(own.listener.id), [ids[1], ids[2], next.id]);
    });

    test('each listener numbers its own policies', async () => {
      const own = await freshListener();
      const second = await addListener(app, own.lb);
      const x = await created({ action: 'REJECT' }, own.listener);
      const y = await created({ action: 'REJECT' }, second);
      assert.equal(x.position, 1);
      assert.equal(y.position, 1);
    });
  });

  describe('update', () => {
    test('REJECT to REDIRECT_TO_URL with new tags answers 200 PENDING_UPDATE; LB and listener PENDING_UPDATE', async () => {
      const p = await created({ action: 'REJECT', tags: ['old'] });
      app.gate.hold();
      const res = await put(p.id, { action: 'REDIRECT_TO_URL', redirect_url: 'http://www.example.com', tags: ['new'] });
      assert.equal(res.status, 200);
      const u = res.body.l7policy;
      assert.equal(u.action, 'REDIRECT_TO_URL');
      assert.equal(u.redirect_url, 'http://www.example.com');
      assert.equal(u.redirect_http_code, 302);
      assert.deepEqual(u.tags, ['new']);
      assert.equal(u.provisioning_status, 'PENDING_UPDATE');
      assert.notEqual(u.updated_at, null);
      assert.equal(await status('load_balancer', lb.id), 'PENDING_UPDATE');
      assert.equal(await status('listener', listener.id), 'PENDING_UPDATE');
      app.gate.release();
      await app.settle();
      assert.equal(await status('l7policy', p.id), 'ACTIVE');
    });

    test('the HTTP code alone can be changed or cleared', async () => {
      const p = await created({ action: 'REDIRECT_TO_URL', redirect_url: 'http://www.example.com', redirect_http_code: 302 });
      let res = await put(p.id, { redirect_http_code: 308 });
      assert.equal(res.body.l7policy.redirect_http_code, 308);
      assert.equal(res.body.l7policy.action, 'REDIRECT_TO_URL');
      await app.settle();
      res = await put(p.id, { redirect_http_code: null });
      assert.equal(res.status, 200);
      assert.equal(res.body.l7policy.redirect_http_code, null);
      await app.settle();
    });

    test('naming a redirect field switches the action; REJECT clears every redirect field', async () => {
      const p = await created({ action: 'REDIRECT_TO_URL', redirect_url: 'http://a.com', redirect_http_code: 301 });
      let res = await put(p.id, { redirect_pool_id: pool.id });
      assert.equal(res.status, 200);
      assert.deepEqual(
        [res.body.l7policy.action, res.body.l7policy.redirect_pool_id, res.body.l7policy.redirect_url, res.body.l7policy.redirect_http_code],
        ['REDIRECT_TO_POOL', pool.id, null, null],
      );
      await app.settle();
      res = await put(p.id, { redirect_prefix: 'https://b.com' });
      assert.deepEqual([res.body.l7policy.action, res.body.l7policy.redirect_prefix, res.body.l7policy.redirect_pool_id], ['REDIRECT_PREFIX', 'https://b.com', null]);
      assert.equal(res.body.l7policy.redirect_http_code, 302);
      await app.settle();
      res = await put(p.id, { action: 'REJECT' });
      const r = res.body.l7policy;
      assert.deepEqual([r.action, r.redirect_url, r.redirect_pool_id, r.redirect_prefix, r.redirect_http_code], ['REJECT', null, null, null, null]);
      await app.settle();
    });

    test('redirect pool checks apply to updates too', async () => {
      const p = await created({ action: 'REJECT' });
      let res = await put(p.id, { redirect_pool_id: MISSING });
      assert.equal(res.status, 404);
      assert.equal(res.body.faultstring, `Pool ${MISSING} not found.`);
      const proxy = await addPool(app, lb, 'UDP');
      res = await put(p.id, { action: 'REDIRECT_TO_POOL', redirect_pool_id: proxy.id });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.");
      const other = await freshListener();
      res = await put(p.id, { redirect_pool_id: other.pool.id });
      assert.equal(res.status, 404);
      // REJECT drops the pool before it is looked up, as Octavia's sanitizing does.
      res = await put(p.id, { action: 'REJECT', redirect_pool_id: MISSING });
      assert.equal(res.status, 200);
      assert.deepEqual([res.body.l7policy.action, res.body.l7policy.redirect_pool_id], ['REJECT', null]);
      await app.settle();
      assert.equal(await status('load_balancer', lb.id), 'ACTIVE');
    });

    test('refused updates: empty, inconsistent, unknown fields, wrong types', async () => {
      const p = await created({ action: 'REDIRECT_TO_URL', redirect_url: 'http://a.com' });
      const cases: [Record<string, unknown>, RegExp][] = [
        [{}, /^Invalid L7 Policy arguments: Invalid update options$/],
        [{ redirect_url: null }, /^Invalid L7 Policy arguments: redirect_url must not be None$/],
        [{ action: 'REDIRECT_PREFIX' }, /^Invalid L7 Policy arguments: redirect_prefix must not be None$/],
        [{ action: null }, /^Invalid L7 Policy action specified: None$/],
        [{ action: 'bad action' }, /^Invalid input for field\/attribute action\./],
        [{ listener_id: listener.id }, /^Unknown attribute for argument l7policy_\.l7policy: listener_id$/],
        [{ redirect_url: 'bad-url' }, /Value must be a valid URL string/],
        [{ redirect_http_code: '' }, /redirect_http_code/],
        [{ position: 0 }, /position/],
        [{ redirect_pool_id: pool.id, redirect_url: 'http://b.com' }, /Cannot specify redirect_pool_id and redirect_url/],
      ];
      for (const [body, msg] of cases) {
        const res = await put(p.id, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(res.body.faultstring, msg, JSON.stringify(body));
      }
      assert.equal((await app.req('PUT', `${PATH}/${p.id}`, { rule: {} })).status, 400);
      assert.equal(await status('l7policy', p.id), 'ACTIVE');
    });

    test('null name and description read as empty; null admin_state_up as false; null tags as none', async () => {
      const p = await created({ action: 'REJECT', name: 'n', description: 'd', tags: ['x'] });
      const res = await put(p.id, { name: null, description: null, admin_state_up: null, tags: null });
      assert.equal(res.status, 200);
      assert.deepEqual([res.body.l7policy.name, res.body.l7policy.description, res.body.l7policy.admin_state_up, res.body.l7policy.tags], ['', '', false, []]);
      await app.settle();
    });

    test('an ERROR policy may be updated and deleted; a PENDING one is immutable', async () => {
      const p = await created({ action: 'REJECT' });
      await setStatus(app, 'l7policy', p.id, 'ERROR');
      assert.equal((await put(p.id, { name: 'fixed' })).status, 200);
      await app.settle();
      await setStatus(app, 'l7policy', p.id, 'PENDING_UPDATE');
      let res = await put(p.id, { name: 'again' });
      assert.equal(res.status, 409);
      assert.equal(res.body.faultstring, `L7Policy ${p.id} is immutable and cannot be updated.`);
      res = await app.req('DELETE', `${PATH}/${p.id}`);
      assert.equal(res.status, 409);
      await setStatus(app, 'l7policy', p.id, 'ERROR');
      assert.equal((await app.req('DELETE', `${PATH}/${p.id}`)).status, 204);
      await app.settle();
    });
  });

  describe('delete, show, list', () => {
    test('delete answers 204, marks the policy and its rules PENDING_DELETE, and the worker removes them', async () => {
      const p = await created({ action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/x' }] });
      app.gate.hold();
      assert.equal((await app.req('DELETE', `${PATH}/${p.id}`)).status, 204);
      assert.equal(await status('l7policy', p.id), 'PENDING_DELETE');
      assert.equal(await status('l7rule', p.rules[0].id), 'PENDING_DELETE');
      assert.equal(await status('listener', listener.id), 'PENDING_UPDATE');
      assert.equal(await status('load_balancer', lb.id), 'PENDING_UPDATE');
      app.gate.release();
      await app.settle();
      const gone = await app.req('GET', `${PATH}/${p.id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.faultstring, `L7 Policy ${p.id} not found.`);
      assert.equal(await status('l7rule', p.rules[0].id), undefined);
      assert.equal((await app.req('DELETE', `${PATH}/${p.id}`)).status, 404);
    });

    test('unknown ids are 404 for show, update and delete, malformed ones too', async () => {
      for (const id of [MISSING, 'not-a-uuid']) {
        for (const [method, body] of [['GET', undefined], ['PUT', { l7policy: { name: 'x' } }], ['DELETE', undefined]] as const) {
          const res = await app.req(method, `${PATH}/${id}`, body);
          assert.equal(res.status, 404, `${method} ${id}`);
          assert.equal(res.body.faultstring, `L7 Policy ${id} not found.`);
        }
      }
    });

    test('show selects fields; /v2.0 serves the same', async () => {
      const p = await created({ action: 'REJECT', name: 'shown' });
      const res = await app.req('GET', `/v2.0/lbaas/l7policies/${p.id}?fields=name&fields=position`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.l7policy, { name: 'shown', position: p.position });
    });

    test('list wraps l7policies with links, filters, sorts, pages and selects fields', async () => {
      const own = await freshListener();
      const made = [];
      for (const name of ['b', 'a', 'c']) made.push(await created({ action: 'REJECT', name, tags: [name === 'a' ? 'blue' : 'red'] }, own.listener));
      let res = await app.req('GET', `${PATH}?listener_id=${own.listener.id}`);
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body).sort(), ['l7policies', 'l7policies_links']);
      assert.equal(res.body.l7policies.length, 3);
      res = await app.req('GET', `${PATH}?listener_id=${own.listener.id}&sort=name:desc&fields=name`);
      assert.deepEqual(res.body.l7policies, [{ name: 'c' }, { name: 'b' }, { name: 'a' }]);
      res = await app.req('GET', `${PATH}?listener_id=${own.listener.id}&tags=blue`);
      assert.deepEqual(res.body.l7policies.map((p: { name: string }) => p.name), ['a']);
      res = await app.req('GET', `${PATH}?listener_id=${own.listener.id}&sort=position:desc&limit=2`);
      assert.deepEqual(res.body.l7policies.map((p: { position: number }) => p.position), [3, 2]);
      const next = res.body.l7policies_links.find((l: { rel: string }) => l.rel === 'next');
      assert.ok(next);
      const marker = new URL(next.href).searchParams.get('marker');
      res = await app.req('GET', `${PATH}?listener_id=${own.listener.id}&sort=position:desc&limit=2&marker=${marker}`);
      assert.deepEqual(res.body.l7policies.map((p: { id: string }) => p.id), [made[0].id]);
      res = await app.req('GET', `${PATH}?listener_id=${MISSING}`);
      assert.deepEqual(res.body.l7policies, []);
      assert.equal((await app.req('GET', `${PATH}?bogus=1`)).status, 400);
    });

    test('another project\'s policy is 403 to a non-admin, and hidden from its list', async () => {
      const p = await created({ action: 'REJECT' });
      const stranger = { projectId: 'stranger', userId: null, roles: ['member'], isAdmin: false };
      await assert.rejects(policies.getL7Policy(app.runtime.deps, stranger, p.id), { kind: 'Forbidden', status: 403 });
      await assert.rejects(policies.updateL7Policy(app.runtime.deps, stranger, p.id, { name: 'x' }), { kind: 'Forbidden' });
      await assert.rejects(policies.deleteL7Policy(app.runtime.deps, stranger, p.id), { kind: 'Forbidden' });
      await assert.rejects(policies.createL7Policy(app.runtime.deps, stranger, { listener_id: listener.id, action: 'REJECT' }), { kind: 'Forbidden' });
      assert.deepEqual(await policies.listL7Policies(app.runtime.deps, stranger), []);
      const owner = { ...stranger, projectId: lb.project_id };
      assert.ok((await policies.listL7Policies(app.runtime.deps, owner)).some((v) => v.policy.id === p.id));
    });
  });

  describe('quota', () => {
    test('the l7policy quota refuses the policy past the limit with 403', async () => {
      const quoted = await activeLoadBalancer(app, {}, 'tight');
      const own = await addListener(app, quoted);
      const limits = { l7policy: 1, l7rule: 1 };
      if (!(await app.runtime.store.update('quota', 'tight', limits))) {
        await app.runtime.store.insert('quota', {
          project_id: 'tight', load_balancer: null, listener: null, pool: null, member: null, health_monitor: null, ...limits,
        });
      }
      const first = await app.req('POST', PATH, { l7policy: { listener_id: own.id, action: 'REJECT' } }, 'tight');
      assert.equal(first.status, 201);
      await app.settle();
      const second = await app.req('POST', PATH, { l7policy: { listener_id: own.id, action: 'REJECT' } }, 'tight');
      assert.equal(second.status, 403);
      assert.equal(second.body.faultstring, 'Quota has been met for resources: L7 Policy');
      await app.runtime.store.update('quota', 'tight', { l7policy: -1 });
      const rules = Array.from({ length: 2 }, () => ({ type: 'PATH', compare_type: 'EQUAL_TO', value: '/x' }));
      const third = await app.req('POST', PATH, { l7policy: { listener_id: own.id, action: 'REJECT', rules } }, 'tight');
      assert.equal(third.status, 403);
      assert.equal(third.body.faultstring, 'Quota has been met for resources: L7 Rule');
      assert.equal(await status('load_balancer', quoted.id), 'ACTIVE');
    });
  });
});
