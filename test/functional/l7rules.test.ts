import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, activeLoadBalancer } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { addListener, setStatus, MISSING } from './l7-fixtures.ts';
import * as rules from '../../src/service/l7rules.ts';
import type { Listener } from '../../src/domain/entities.ts';

describe('L7 rules', () => {
  let app: TestApp;
  let lb: { id: string; project_id: string };
  let listener: Listener;

  before(async () => {
    app = await testApp();
    lb = await activeLoadBalancer(app);
    listener = await addListener(app, lb);
  });
  after(async () => { await app.close(); });
  // A test that fails while holding the gate must not leave the others waiting on the worker.
  afterEach(() => { app.gate.release(); });

  const rulesPath = (policyId: string) => `/v2/lbaas/l7policies/${policyId}/rules`;
  const status = async (kind: 'load_balancer' | 'listener' | 'l7policy' | 'l7rule', id: string) =>
    (await app.runtime.store.get(kind, id))?.provisioning_status;

  /** A fresh ACTIVE REJECT policy on the shared listener. */
  async function policy(): Promise<string> {
    const res = await app.req('POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: listener.id, action: 'REJECT' } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await app.settle();
    return res.body.l7policy.id;
  }

  const post = (policyId: string, body: unknown) => app.req('POST', rulesPath(policyId), { rule: body });
  const put = (policyId: string, id: string, body: unknown) => app.req('PUT', `${rulesPath(policyId)}/${id}`, { rule: body });

  /** Creates a rule, waits for ACTIVE, answers the create response's rule. */
  async function created(policyId: string, body: Record<string, unknown>) {
    const res = await post(policyId, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await app.settle();
    return res.body.rule;
  }

  const path = { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' };

  describe('create', () => {
    test('HOST_NAME answers 201 PENDING_CREATE/OFFLINE with Octavia\'s fields; LB, listener and policy go PENDING_UPDATE', async () => {
      const pid = await policy();
      app.gate.hold();
      const res = await post(pid, { type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'www.example.com', tags: ['a'] });
      assert.equal(res.status, 201);
      const r = res.body.rule;
      assert.deepEqual(Object.keys(r).sort(), [
        'admin_state_up', 'compare_type', 'created_at', 'id', 'invert', 'key', 'operating_status', 'project_id',
        'provisioning_status', 'tags', 'tenant_id', 'type', 'updated_at', 'value',
      ]);
      assert.deepEqual([r.type, r.compare_type, r.value, r.key, r.invert, r.admin_state_up], ['HOST_NAME', 'EQUAL_TO', 'www.example.com', null, false, true]);
      assert.deepEqual([r.provisioning_status, r.operating_status], ['PENDING_CREATE', 'OFFLINE']);
      assert.deepEqual([r.project_id, r.tenant_id, r.updated_at], [lb.project_id, lb.project_id, null]);
      assert.deepEqual(r.tags, ['a']);
      assert.equal(await status('load_balancer', lb.id), 'PENDING_UPDATE');
      assert.equal(await status('listener', listener.id), 'PENDING_UPDATE');
      assert.equal(await status('l7policy', pid), 'PENDING_UPDATE');
      app.gate.release();
      await app.settle();
      assert.equal(await status('l7rule', r.id), 'ACTIVE');
      assert.equal(await status('l7policy', pid), 'ACTIVE');
      const shown = await app.req('GET', `/v2/lbaas/l7policies/${pid}`);
      assert.deepEqual(shown.body.l7policy.rules, [{ id: r.id }]);
    });

    test('PATH with invert, FILE_TYPE regex, HEADER with a quoted value, COOKIE', async () => {
      const pid = await policy();
      const p = await created(pid, { ...path, invert: true });
      assert.deepEqual([p.type, p.compare_type, p.value, p.invert], ['PATH', 'STARTS_WITH', '/api', true]);
      const f = await created(pid, { type: 'FILE_TYPE', compare_type: 'REGEX', value: 'jpg|png' });
      assert.equal(f.value, 'jpg|png');
      const h = await created(pid, { type: 'HEADER', compare_type: 'ENDS_WITH', key: 'Some-header', value: '"some string"' });
      assert.deepEqual([h.key, h.value], ['Some-header', '"some string"']);
      const c = await created(pid, { type: 'COOKIE', compare_type: 'CONTAINS', key: 'some-cookie', value: 'some-value' });
      assert.deepEqual([c.key, c.value], ['some-cookie', 'some-value']);
    });

    test('the SSL rule types with their valid values', async () => {
      const pid = await policy();
      const has = await created(pid, { type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'tRuE' });
      assert.equal(has.value, 'tRuE');
      const verify = await created(pid, { type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0' });
      assert.equal(verify.value, '0');
      const dn = await created(pid, { type: 'SSL_DN_FIELD', compare_type: 'STARTS_WITH', key: 'st-1', value: 'ST-FIELD1-PREFIX' });
      assert.deepEqual([dn.key, dn.value], ['st-1', 'ST-FIELD1-PREFIX']);
      const cn = await created(pid, { type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: 'CN', value: 'Jane Doe, "Example" Inc' });
      assert.equal(cn.value, 'Jane Doe, "Example" Inc');
    });

    test('rules Octavia refuses, with its messages', async () => {
      const pid = await policy();
      const cases: [Record<string, unknown>, string][] = [
        [{ type: 'HOST_NAME', compare_type: 'STARTS_WITH', value: '' }, 'Invalid L7 Rule: L7 rule type requires a value'],
        [{ type: 'PATH', compare_type: 'REGEX', value: 'bad string\\' }, 'Unable to parse regular expression: bad escape (end of pattern) at position 10'],
        [{ type: 'FILE_TYPE', compare_type: 'STARTS_WITH', value: 'png' }, 'Invalid L7 Rule: invalid comparison type for rule type'],
        [{ type: 'HEADER', compare_type: 'CONTAINS', value: 'some-string' }, 'Invalid L7 Rule: L7 rule type requires a key'],
        [{ type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'bad cookie name', value: 'some-string' }, 'Invalid characters in key'],
        [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-A', value: 'two words' }, 'Invalid characters in header value'],
        [{ type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'c', value: 'a;b' }, 'Invalid characters in cookie value'],
        [{ type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'www.exa mple.com' }, 'Invalid characters in comparison value'],
        [{ type: 'PATH', compare_type: 'CONTAINS', value: '/caf\u00e9' }, 'Invalid characters in comparison value'],
        [{ type: 'PATH', compare_type: 'EQUAL_TO', key: 'k\u0007', value: '/x' }, 'Invalid characters in key'],
        [{ type: 'PATH', compare_type: 'REGEX', value: 'a\u0009b' }, 'Unable to parse regular expression: contains control characters'],
      ];
      for (const [body, msg] of cases) {
        const res = await post(pid, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.faultstring, `Error parsing L7Rule: ${msg}`, JSON.stringify(body));
      }
      assert.equal((await app.runtime.store.find('l7rule', { l7policy_id: pid })).length, 0);
      assert.equal(await status('l7policy', pid), 'ACTIVE');
    });

    test('the SSL rule types refuse what Octavia refuses', async () => {
      const pid = await policy();
      for (const [body, msg] of sslRefusals()) {
        const res = await post(pid, { invert: false, admin_state_up: true, ...body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.ok(res.body.faultstring.includes(msg), `${res.body.faultstring} should include ${msg}`);
      }
    });

    test('malformed bodies are 400 with a fault body', async () => {
      const pid = await policy();
      for (const body of [
        { rule: { name: 'test1' } },
        { rule: { type: 'HOST_NAME', compare_type: 'STARTS_WITH' } },
        { rule: { compare_type: 'EQUAL_TO', value: 'x' } },
        { rule: { type: 'HOST_NAME', value: 'x' } },
        { rule: { type: 'URL', compare_type: 'EQUAL_TO', value: 'x' } },
        { rule: { type: 'PATH', compare_type: 'LIKE', value: 'x' } },
        { rule: { ...path, value: 5 } },
        { rule: { ...path, value: 'x'.repeat(256) } },
        { rule: { ...path, key: 'x'.repeat(256) } },
        { rule: { ...path, value: '/a\nb' } },
        { rule: { ...path, value: '/a\r' } },
        { rule: { ...path, key: 'a\nb' } },
        { rule: { ...path, invert: 'sometimes' } },
        { rule: { ...path, admin_state_up: 'maybe' } },
        { rule: { ...path, tags: [1] } },
        { rule: { ...path, bogus: true } },
        { rule: { ...path, l7policy_id: pid } },
        { l7rule: path },
        { rule: [] },
        { rule: null },
        [],
        '{not json',
      ]) {
        const res = await app.req('POST', rulesPath(pid), body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(Object.keys(res.body).sort(), ['debuginfo', 'faultcode', 'faultstring']);
      }
      const res = await post(pid, { ...path, value: '/a\nb' });
      assert.match(res.body.faultstring, /^Invalid input for field\/attribute value\. .*Value should match the pattern/s);
    });

    test('project_id and tenant_id are accepted and ignored; invert and admin_state_up default false and true, null reads false', async () => {
      const pid = await policy();
      const r = await created(pid, { ...path, project_id: 'other', tenant_id: 'other' });
      assert.deepEqual([r.project_id, r.invert, r.admin_state_up], [lb.project_id, false, true]);
      const n = await created(pid, { ...path, invert: null, admin_state_up: null });
      assert.deepEqual([n.invert, n.admin_state_up], [false, false]);
    });

    test('a policy holds at most 50 rules (409)', async () => {
      const pid = await policy();
      for (let i = 0; i < 50; i++) {
        assert.equal((await post(pid, path)).status, 201);
        await app.settle();
      }
      const res = await post(pid, path);
      assert.equal(res.status, 409);
      assert.equal(res.body.faultstring, `Too many rules on L7 policy ${pid}`);
      const listed = await app.req('GET', `${rulesPath(pid)}?limit=infinite`);
      assert.equal(listed.body.rules.length, 50);
    });

    test('a policy in ERROR or PENDING takes no rule writes (409 naming the policy)', async () => {
      const pid = await policy();
      const r = await created(pid, path);
      for (const state of ['ERROR', 'PENDING_UPDATE']) {
        await setStatus(app, 'l7policy', pid, state);
        for (const res of [
          await post(pid, path),
          await put(pid, r.id, { value: '/x' }),
          await app.req('DELETE', `${rulesPath(pid)}/${r.id}`),
        ]) {
          assert.equal(res.status, 409, state);
          assert.equal(res.body.faultstring, `L7Policy ${pid} is immutable and cannot be updated.`);
        }
      }
      assert.equal(await status('load_balancer', lb.id), 'ACTIVE');
      await setStatus(app, 'l7policy', pid, 'ACTIVE');
    });

    test('writes while the load balancer is not ACTIVE are 409', async () => {
      const pid = await policy();
      const r = await created(pid, path);
      app.gate.hold();
      assert.equal((await app.req('PUT', `/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: 'busy' } })).status, 200);
      const create = await post(pid, { type: 'PATH', compare_type: 'EQUAL_TO', value: '/api' });
      assert.equal(create.status, 409);
      // A child write names the load balancer as Octavia does (its "Invalid state" is for LB writes).
      assert.equal(create.body.faultstring, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
      assert.equal((await put(pid, r.id, { type: 'HOST_NAME', compare_type: 'REGEX', value: '.*.example.com' })).status, 409);
      assert.equal((await app.req('DELETE', `${rulesPath(pid)}/${r.id}`)).status, 409);
      app.gate.release();
      await app.settle();
      assert.equal((await app.req('GET', `${rulesPath(pid)}/${r.id}`)).body.rule.value, '/api');
    });

    test('the l7rule quota refuses the rule past the limit with 403', async () => {
      const quoted = await activeLoadBalancer(app, {}, 'rule-quota');
      const own = await addListener(app, quoted);
      const made = await app.req('POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: own.id, action: 'REJECT' } }, 'rule-quota');
      await app.settle();
      const limits = { l7rule: 1 };
      if (!(await app.runtime.store.update('quota', 'rule-quota', limits))) {
        await app.runtime.store.insert('quota', {
          project_id: 'rule-quota', load_balancer: null, listener: null, pool: null, member: null, health_monitor: null, l7policy: null, ...limits,
        });
      }
      const pid = made.body.l7policy.id;
      assert.equal((await app.req('POST', rulesPath(pid), { rule: path }, 'rule-quota')).status, 201);
      await app.settle();
      const over = await app.req('POST', rulesPath(pid), { rule: path }, 'rule-quota');
      assert.equal(over.status, 403);
      assert.equal(over.body.faultstring, 'Quota has been met for resources: L7 Rule');
    });
  });

  describe('update', () => {
    test('value and tags change; the rule, policy, listener and LB go PENDING_UPDATE', async () => {
      const pid = await policy();
      const r = await created(pid, { ...path, tags: ['old_tag'] });
      app.gate.hold();
      const res = await put(pid, r.id, { value: '/images', tags: ['new_tag'] });
      assert.equal(res.status, 200);
      assert.deepEqual([res.body.rule.value, res.body.rule.tags, res.body.rule.provisioning_status], ['/images', ['new_tag'], 'PENDING_UPDATE']);
      assert.deepEqual([res.body.rule.type, res.body.rule.compare_type], ['PATH', 'STARTS_WITH'], 'what the body does not name is kept');
      assert.notEqual(res.body.rule.updated_at, null);
      assert.equal(await status('l7policy', pid), 'PENDING_UPDATE');
      assert.equal(await status('listener', listener.id), 'PENDING_UPDATE');
      assert.equal(await status('load_balancer', lb.id), 'PENDING_UPDATE');
      app.gate.release();
      await app.settle();
      assert.equal(await status('l7rule', r.id), 'ACTIVE');
    });

    test('the merged rule is validated as a whole; a refused update changes nothing', async () => {
      const pid = await policy();
      const r = await created(pid, path);
      const cases: [Record<string, unknown>, string][] = [
        [{ compare_type: 'REGEX', value: 'bad string\\' }, 'Unable to parse regular expression'],
        [{ type: 'HEADER' }, 'L7 rule type requires a key'],
        [{ type: 'FILE_TYPE' }, 'invalid comparison type for rule type'],
        [{ value: null }, 'L7 rule type requires a value'],
        [{ type: null }, 'invalid rule type'],
        [{ compare_type: null }, 'invalid comparison type for rule type'],
        [{ value: 'two words' }, 'Invalid characters in comparison value'],
      ];
      for (const [body, msg] of cases) {
        const res = await put(pid, r.id, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.ok(res.body.faultstring.startsWith('Error parsing L7Rule: ') && res.body.faultstring.includes(msg), res.body.faultstring);
      }
      for (const body of [{ type: 'bad type' }, { project_id: 'x' }, { value: 'a\nb' }, { invert: 'x' }]) {
        assert.equal((await put(pid, r.id, body)).status, 400, JSON.stringify(body));
      }
      const shown = await app.req('GET', `${rulesPath(pid)}/${r.id}`);
      assert.deepEqual([shown.body.rule.provisioning_status, shown.body.rule.value], ['ACTIVE', '/api']);
      assert.equal(await status('l7policy', pid), 'ACTIVE');
    });

    test('a rule can change type with the fields the new type needs, and clear its key', async () => {
      const pid = await policy();
      const r = await created(pid, path);
      let res = await put(pid, r.id, { type: 'HEADER', key: 'X-Env', compare_type: 'EQUAL_TO', value: 'prod' });
      assert.equal(res.status, 200);
      assert.deepEqual([res.body.rule.type, res.body.rule.key], ['HEADER', 'X-Env']);
      await app.settle();
      res = await put(pid, r.id, { key: null });
      assert.equal(res.status, 400);
      res = await put(pid, r.id, { type: 'HOST_NAME', key: null, value: 'www.example.com' });
      assert.equal(res.status, 200);
      assert.equal(res.body.rule.key, null);
      await app.settle();
    });

    test('each SSL rule type is reachable by update, and refuses what Octavia refuses', async () => {
      const pid = await policy();
      for (const body of [
        { type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'tRuE' },
        { type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0' },
        { type: 'SSL_DN_FIELD', compare_type: 'STARTS_WITH', key: 'st-1', value: 'ST-FIELD1-PREFIX' },
      ]) {
        const r = await created(pid, path);
        const res = await put(pid, r.id, body);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual([res.body.rule.type, res.body.rule.value, res.body.rule.invert], [body.type, body.value, false]);
        await app.settle();
      }
      const target = await created(pid, path);
      for (const [body, msg] of sslRefusals()) {
        const res = await put(pid, target.id, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.ok(res.body.faultstring.includes(msg), `${res.body.faultstring} should include ${msg}`);
      }
    });

    test('invert null reads false; admin_state_up null reads false; tags null reads none', async () => {
      const pid = await policy();
      const r = await created(pid, { ...path, tags: ['old_tag'], invert: true });
      const res = await put(pid, r.id, { invert: null, admin_state_up: null, tags: null });
      assert.equal(res.status, 200);
      assert.deepEqual([res.body.rule.invert, res.body.rule.admin_state_up, res.body.rule.tags], [false, false, []]);
      await app.settle();
    });

    test('an empty update is accepted and only moves the rule to PENDING_UPDATE', async () => {
      const pid = await policy();
      const r = await created(pid, path);
      const res = await put(pid, r.id, {});
      assert.equal(res.status, 200);
      assert.equal(res.body.rule.provisioning_status, 'PENDING_UPDATE');
      assert.equal(res.body.rule.value, '/api');
      await app.settle();
    });

    test('a PENDING rule is immutable (409 naming the rule)', async () => {
      const pid = await policy();
      const r = await created(pid, path);
      await setStatus(app, 'l7rule', r.id, 'PENDING_UPDATE');
      let res = await put(pid, r.id, { value: '/x' });
      assert.equal(res.status, 409);
      assert.equal(res.body.faultstring, `L7Rule ${r.id} is immutable and cannot be updated.`);
      res = await app.req('DELETE', `${rulesPath(pid)}/${r.id}`);
      assert.equal(res.status, 409);
      await setStatus(app, 'l7rule', r.id, 'ACTIVE');
    });
  });

  describe('delete, show, list', () => {
    test('delete answers 204, the rule goes PENDING_DELETE with its policy, listener and LB PENDING_UPDATE, then it is gone', async () => {
      const pid = await policy();
      const r = await created(pid, path);
      app.gate.hold();
      assert.equal((await app.req('DELETE', `${rulesPath(pid)}/${r.id}`)).status, 204);
      assert.equal(await status('l7rule', r.id), 'PENDING_DELETE');
      assert.equal(await status('l7policy', pid), 'PENDING_UPDATE');
      assert.equal(await status('listener', listener.id), 'PENDING_UPDATE');
      assert.equal(await status('load_balancer', lb.id), 'PENDING_UPDATE');
      app.gate.release();
      await app.settle();
      const gone = await app.req('GET', `${rulesPath(pid)}/${r.id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.faultstring, `L7 Rule ${r.id} not found.`);
      assert.deepEqual((await app.req('GET', `/v2/lbaas/l7policies/${pid}`)).body.l7policy.rules, []);
      assert.equal((await app.req('DELETE', `${rulesPath(pid)}/${r.id}`)).status, 404);
    });

    test('an unknown policy in the path is 404 for every operation, from the HTTP layer as Octavia routes it', async () => {
      for (const [method, suffix, body] of [
        ['GET', '', undefined], ['POST', '', { rule: path }], ['GET', `/${MISSING}`, undefined],
        ['PUT', `/${MISSING}`, { rule: { value: '/x' } }], ['DELETE', `/${MISSING}`, undefined],
      ] as const) {
        const res = await app.req(method, `${rulesPath(MISSING)}${suffix}`, body);
        assert.equal(res.status, 404, `${method} ${suffix}`);
        assert.match(String(res.headers['content-type']), /^text\/plain/);
        assert.ok(String(res.body).endsWith(` L7Policy ${MISSING} not found.  `), String(res.body));
      }
      // With a JSON Accept header the body is {code, title, description}, title and all as Octavia's.
      const json = await app.runtime.app.inject({ method: 'GET', url: rulesPath(MISSING), headers: { accept: 'application/json', 'x-project-id': 'p1' } });
      assert.equal(json.statusCode, 404);
      assert.deepEqual(JSON.parse(json.body), { code: 404, title: 'Bad Request', description: `L7Policy ${MISSING} not found.` });
    });

    test('an unknown rule, or a rule of another policy, is 404 under this policy', async () => {
      const pid = await policy();
      const other = await policy();
      const r = await created(other, path);
      for (const id of [MISSING, r.id, 'not-a-uuid']) {
        for (const [method, body] of [['GET', undefined], ['PUT', { rule: { value: '/x' } }], ['DELETE', undefined]] as const) {
          const res = await app.req(method, `${rulesPath(pid)}/${id}`, body);
          assert.equal(res.status, 404, `${method} ${id}`);
          assert.equal(res.body.faultstring, `L7 Rule ${id} not found.`);
        }
      }
      assert.equal(await status('l7rule', r.id), 'ACTIVE');
    });

    test('show selects fields; /v2.0 serves the same', async () => {
      const pid = await policy();
      const r = await created(pid, path);
      const res = await app.req('GET', `/v2.0/lbaas/l7policies/${pid}/rules/${r.id}?fields=type,value`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.rule, { type: 'PATH', value: '/api' });
    });

    test('list wraps rules with links, only this policy\'s, filters, sorts and selects fields', async () => {
      const pid = await policy();
      const other = await policy();
      await created(other, path);
      const a = await created(pid, { ...path, tags: ['test_tag1'] });
      const b = await created(pid, { type: 'COOKIE', compare_type: 'CONTAINS', key: 'some-cookie', value: 'some-value', tags: ['test_tag2'] });
      let res = await app.req('GET', rulesPath(pid));
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body).sort(), ['rules', 'rules_links']);
      assert.deepEqual(res.body.rules.map((x: { id: string }) => x.id).sort(), [a.id, b.id].sort());
      res = await app.req('GET', `${rulesPath(pid)}?type=COOKIE`);
      assert.deepEqual(res.body.rules.map((x: { id: string }) => x.id), [b.id]);
      res = await app.req('GET', `${rulesPath(pid)}?tags=test_tag1&fields=id,tags`);
      assert.deepEqual(res.body.rules, [{ id: a.id, tags: ['test_tag1'] }]);
      res = await app.req('GET', `${rulesPath(pid)}?sort=type:asc&fields=type`);
      assert.deepEqual(res.body.rules, [{ type: 'COOKIE' }, { type: 'PATH' }]);
      res = await app.req('GET', `${rulesPath(pid)}?limit=1`);
      assert.equal(res.body.rules.length, 1);
      assert.ok(res.body.rules_links.some((l: { rel: string }) => l.rel === 'next'));
      res = await app.req('GET', `${rulesPath(await policy())}`);
      assert.deepEqual(res.body, { rules: [], rules_links: [] });
    });

    test('another project\'s rules are 403 to a non-admin', async () => {
      const pid = await policy();
      const r = await created(pid, path);
      const stranger = { projectId: 'stranger', userId: null, roles: ['member'], isAdmin: false };
      const deps = app.runtime.deps;
      await assert.rejects(rules.getL7Rule(deps, stranger, pid, r.id), { kind: 'Forbidden', status: 403 });
      await assert.rejects(rules.listL7Rules(deps, stranger, pid), { kind: 'Forbidden' });
      await assert.rejects(rules.createL7Rule(deps, stranger, pid, { type: 'PATH', compare_type: 'EQUAL_TO', value: '/x' }), { kind: 'Forbidden' });
      await assert.rejects(rules.updateL7Rule(deps, stranger, pid, r.id, { value: '/x' }), { kind: 'Forbidden' });
      await assert.rejects(rules.deleteL7Rule(deps, stranger, pid, r.id), { kind: 'Forbidden' });
      const owner = { ...stranger, projectId: lb.project_id };
      assert.equal((await rules.getL7Rule(deps, owner, pid, r.id)).id, r.id);
    });
  });
});

/** Octavia's bad cases for the SSL rule types (test_l7rule._test_bad_cases_with_ssl_rule_types). */
function sslRefusals(): [Record<string, unknown>, string][] {
  const has = 'SSL_CONN_HAS_CERT';
  const verify = 'SSL_VERIFY_RESULT';
  const dn = 'SSL_DN_FIELD';
  return [
    [{ type: has, compare_type: 'EQUAL_TO', value: 'true', key: 'no-need-key' }, `L7rule type ${has} does not use the "key" field.`],
    [{ type: has, compare_type: 'EQUAL_TO', value: 'not-true-string', key: null }, 'L7rule value not-true-string is not a boolean True string.'],
    [{ type: has, compare_type: 'STARTS_WITH', value: 'tRUe', key: null }, `L7rule type ${has} only supports the EQUAL_TO compare type.`],
    [{ type: verify, compare_type: 'EQUAL_TO', value: 'true', key: 'no-need-key' }, `L7rule type ${verify} does not use the "key" field.`],
    [{ type: verify, compare_type: 'EQUAL_TO', value: 'true', key: null }, `L7rule type ${verify} needs a int value, which is >= 0`],
    [{ type: verify, compare_type: 'STARTS_WITH', value: '0', key: null }, `L7rule type ${verify} only supports the EQUAL_TO compare type.`],
    [{ type: dn, compare_type: 'REGEX', value: 'bad regex\\', key: null }, 'Unable to parse regular expression'],
    [{ type: dn, compare_type: 'REGEX', value: '^.test*$', key: null }, `L7rule type ${dn} needs to specify a key and a value.`],
    [{ type: dn, compare_type: 'REGEX', value: '^.test*$', key: 'NOT_SUPPORTED_DN_FIELD' }, 'Invalid L7rule distinguished name field.'],
  ];
}
