// L7 policies and rules with real requests through the VIP: every action (REJECT,
// REDIRECT_TO_URL with each redirect_http_code, REDIRECT_PREFIX, REDIRECT_TO_POOL), every
// rule type × compare type Octavia accepts for HTTP listeners (with invert and key), and the
// order of evaluation: REJECT over redirects over pools, then position, including a position
// change applied live (Octavia renumbers the listener's policies 1..n).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, closeAll, freePort, httpBackend, httpGet, settled, skipWithoutHaproxy, stack, startFulcrum } from './kit.ts';
import type { Backend, E2E, HttpOptions, Stack } from './kit.ts';

const T = { timeout: 90_000 };

interface Case {
  type: string;
  compare: string;
  value: string;
  key?: string;
  /** A request the rule matches, and one it does not. */
  hit: HttpOptions;
  miss: HttpOptions;
}

const host = (h: string): HttpOptions => ({ headers: { host: h } });
const hdr = (v: string): HttpOptions => ({ headers: { 'x-l7-probe': v } });
const cookie = (v: string): HttpOptions => ({ headers: { cookie: `other=1; l7probe=${v}` } });

/** Each value is unique to its case, so a request meets exactly one policy. */
const CASES: Case[] = [
  { type: 'HOST_NAME', compare: 'EQUAL_TO', value: 'eq.host.test', hit: host('EQ.host.test'), miss: host('eq.host.test.x') },
  { type: 'HOST_NAME', compare: 'STARTS_WITH', value: 'sw-host.', hit: host('sw-host.example'), miss: host('a.sw-host.example') },
  { type: 'HOST_NAME', compare: 'ENDS_WITH', value: '.ew-host.test', hit: host('a.ew-host.test'), miss: host('a.ew-host.test.x') },
  { type: 'HOST_NAME', compare: 'CONTAINS', value: 'ct-host', hit: host('a.ct-host.b'), miss: host('a.ct-hos.b') },
  { type: 'HOST_NAME', compare: 'REGEX', value: '^rx-host[0-9]+\\.test$', hit: host('rx-host42.test'), miss: host('rx-hostx.test') },
  { type: 'PATH', compare: 'EQUAL_TO', value: '/eq-path', hit: { path: '/eq-path' }, miss: { path: '/eq-path/more' } },
  { type: 'PATH', compare: 'STARTS_WITH', value: '/sw-path/', hit: { path: '/sw-path/a' }, miss: { path: '/x/sw-path/a' } },
  { type: 'PATH', compare: 'ENDS_WITH', value: '/ew-path', hit: { path: '/a/ew-path' }, miss: { path: '/a/ew-path/b' } },
  { type: 'PATH', compare: 'CONTAINS', value: 'ct-path', hit: { path: '/a/ct-path/b' }, miss: { path: '/a/ct-pat/b' } },
  { type: 'PATH', compare: 'REGEX', value: '^/rx-path/[0-9]+$', hit: { path: '/rx-path/7' }, miss: { path: '/rx-path/x' } },
  { type: 'FILE_TYPE', compare: 'EQUAL_TO', value: 'ftq', hit: { path: '/img/a.ftq' }, miss: { path: '/img/a.ftqx' } },
  { type: 'FILE_TYPE', compare: 'REGEX', value: '\\.(ftr1|ftr2)$', hit: { path: '/a.ftr2' }, miss: { path: '/a.ftr3' } },
  { type: 'HEADER', compare: 'EQUAL_TO', key: 'X-L7-Probe', value: 'hdr-eq', hit: hdr('hdr-eq'), miss: hdr('hdr-eq2') },
  { type: 'HEADER', compare: 'STARTS_WITH', key: 'X-L7-Probe', value: 'hdr-sw', hit: hdr('hdr-sw-1'), miss: hdr('x-hdr-sw') },
  { type: 'HEADER', compare: 'ENDS_WITH', key: 'X-L7-Probe', value: 'hdr-ew', hit: hdr('1-hdr-ew'), miss: hdr('1-hdr-ew-2') },
  // A quoted value may hold spaces (Octavia's rule); HAProxy matches the inside.
  { type: 'HEADER', compare: 'CONTAINS', key: 'X-L7-Probe', value: '"hdr ct"', hit: hdr('a hdr ct b'), miss: hdr('a hdr-ct b') },
  { type: 'HEADER', compare: 'REGEX', key: 'X-L7-Probe', value: '^hdr-rx-[a-c]$', hit: hdr('hdr-rx-b'), miss: hdr('hdr-rx-d') },
  { type: 'COOKIE', compare: 'EQUAL_TO', key: 'l7probe', value: 'ck-eq', hit: cookie('ck-eq'), miss: cookie('ck-eq2') },
  { type: 'COOKIE', compare: 'STARTS_WITH', key: 'l7probe', value: 'ck-sw', hit: cookie('ck-sw-1'), miss: cookie('x-ck-sw') },
  { type: 'COOKIE', compare: 'ENDS_WITH', key: 'l7probe', value: 'ck-ew', hit: cookie('1-ck-ew'), miss: cookie('1-ck-ew-2') },
  { type: 'COOKIE', compare: 'CONTAINS', key: 'l7probe', value: 'ck-ct', hit: cookie('a-ck-ct-b'), miss: cookie('a-ck-c-b') },
  { type: 'COOKIE', compare: 'REGEX', key: 'l7probe', value: '^ck-rx[0-9]{2}$', hit: cookie('ck-rx12'), miss: cookie('ck-rx1') },
];

const tag = (c: Case) => `${c.type.toLowerCase()}-${c.compare.toLowerCase()}`;

describe('L7 policies and rules through the VIP', { skip: skipWithoutHaproxy, timeout: 400_000 }, () => {
  let f: E2E;
  const backends: Backend[] = [];
  let s: Stack;
  let other: any;
  let third: any;
  const get = (o: HttpOptions = {}) => httpGet(s.vip, s.port, o);
  const policy = async (body: Record<string, unknown>) => {
    const p = (await api(f.app, 'POST', '/l7policies', { l7policy: { listener_id: s.listener.id, ...body } })).l7policy;
    await settled(f.app, s.lb.id);
    return p;
  };
  const drop = async (id: string) => {
    await api(f.app, 'DELETE', `/l7policies/${id}`);
    await settled(f.app, s.lb.id);
  };
  const pool = async (name: string) => {
    const b = await httpBackend(name);
    backends.push(b);
    const p = (await api(f.app, 'POST', '/pools', { pool: { loadbalancer_id: s.lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', name } })).pool;
    await settled(f.app, s.lb.id);
    await api(f.app, 'POST', `/pools/${p.id}/members`, { member: { address: b.address, protocol_port: b.port } });
    await settled(f.app, s.lb.id);
    return p;
  };

  before(async () => {
    f = await startFulcrum();
    const d = await httpBackend('default-pool');
    backends.push(d);
    s = await stack(f.app, { members: [{ address: d.address, protocol_port: d.port }] });
    other = await pool('other-pool');
    third = await pool('third-pool');
  });
  after(async () => {
    await closeAll(backends);
    await f?.close();
  });

  test('every rule type × compare type matches what it should and nothing else, also inverted', T, async () => {
    // On a listener of its own, deleted at the end with its 44 policies in one write.
    const port = await freePort();
    const listener = (await api(f.app, 'POST', '/listeners', {
      listener: { loadbalancer_id: s.lb.id, protocol: 'HTTP', protocol_port: port, default_pool_id: s.pool.id },
    })).listener;
    await settled(f.app, s.lb.id);
    const on = (o: HttpOptions, gate?: string): HttpOptions => ({ ...o, headers: { ...o.headers, ...(gate ? { 'x-l7-inv': gate } : {}) } });
    const ask = (o: HttpOptions) => httpGet(s.vip, port, o);
    const make = async (location: string, rules: Record<string, unknown>[]) => {
      await api(f.app, 'POST', '/l7policies', { l7policy: { listener_id: listener.id, action: 'REDIRECT_TO_URL', redirect_url: location, rules } });
      await settled(f.app, s.lb.id);
    };
    const ruleOf = (c: Case, invert = false) => ({ type: c.type, compare_type: c.compare, value: c.value, invert, ...(c.key ? { key: c.key } : {}) });
    for (const c of CASES) await make(`http://matched.test/${tag(c)}`, [ruleOf(c)]);
    // Each inverted rule is ANDed with a gate header naming its case, so only its own probes meet it.
    for (const c of CASES) {
      await make(`http://inverted.test/${tag(c)}`, [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-L7-Inv', value: tag(c) }, ruleOf(c, true)]);
    }
    const failures: string[] = [];
    const expect = async (c: Case, what: string, o: HttpOptions, location: string | null) => {
      const r = await ask(o);
      const ok = location === null ? r.status === 200 && r.backend === 'default-pool' : r.status === 302 && r.headers.location === location;
      if (!ok) failures.push(`${tag(c)} ${what}: answered ${r.status} ${r.headers.location ?? r.backend}, wanted ${location ?? 'default-pool'}`);
    };
    for (const c of CASES) {
      await expect(c, 'hit', c.hit, `http://matched.test/${tag(c)}`);
      await expect(c, 'miss', c.miss, null);
      await expect(c, 'inverted miss', on(c.miss, tag(c)), `http://inverted.test/${tag(c)}`);
      await expect(c, 'inverted hit', on(c.hit, tag(c)), `http://matched.test/${tag(c)}`);
    }
    await api(f.app, 'DELETE', `/listeners/${listener.id}`);
    await settled(f.app, s.lb.id);
    assert.deepEqual(failures, []);
  });

  test('rules of one policy are ANDed; invert negates one of them', T, async () => {
    const p = await policy({
      action: 'REJECT',
      rules: [
        { type: 'PATH', compare_type: 'STARTS_WITH', value: '/admin' },
        { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-Admin-Token', value: 'open-sesame', invert: true },
      ],
    });
    assert.equal((await get({ path: '/admin/x' })).status, 403);
    assert.equal((await get({ path: '/admin/x', headers: { 'x-admin-token': 'wrong' } })).status, 403);
    const allowed = await get({ path: '/admin/x', headers: { 'x-admin-token': 'open-sesame' } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.backend, 'default-pool');
    assert.equal((await get({ path: '/public' })).backend, 'default-pool');
    await drop(p.id);
  });

  test('each action: REJECT, REDIRECT_TO_URL with every redirect_http_code, REDIRECT_PREFIX, REDIRECT_TO_POOL', T, async () => {
    const made = [
      await policy({ action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/reject' }] }),
      await policy({ action: 'REDIRECT_TO_POOL', redirect_pool_id: other.id, rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/other' }] }),
      await policy({
        action: 'REDIRECT_PREFIX', redirect_prefix: 'https://new.example.test', redirect_http_code: 308,
        rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/moved' }],
      }),
      await policy({ action: 'REDIRECT_TO_URL', redirect_url: 'http://url.example.test/default-code', rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/url' }] }),
    ];
    for (const code of [301, 302, 303, 307, 308]) {
      made.push(await policy({
        action: 'REDIRECT_TO_URL', redirect_url: `http://url.example.test/${code}?q=1%20x`, redirect_http_code: code,
        rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: `/code-${code}` }],
      }));
    }
    const rejected = await get({ path: '/reject' });
    assert.equal(rejected.status, 403);
    assert.equal(rejected.backend.includes('default-pool'), false);
    assert.equal((await get({ path: '/other/x' })).backend, 'other-pool');
    const prefixed = await get({ path: '/moved/a?b=c' });
    assert.equal(prefixed.status, 308);
    assert.equal(prefixed.headers.location, 'https://new.example.test/moved/a?b=c');
    const url = await get({ path: '/url' });
    assert.equal(url.status, 302, 'redirect_http_code defaults to 302');
    assert.equal(url.headers.location, 'http://url.example.test/default-code');
    for (const code of [301, 302, 303, 307, 308]) {
      const r = await get({ path: `/code-${code}` });
      assert.equal(r.status, code);
      assert.equal(r.headers.location, `http://url.example.test/${code}?q=1%20x`, 'a % in the URL reaches the client as written');
    }
    assert.equal((await get({ path: '/elsewhere' })).backend, 'default-pool');
    // A PUT changes the action live: the pool policy now rejects.
    await api(f.app, 'PUT', `/l7policies/${made[1].id}`, { l7policy: { action: 'REJECT' } });
    await settled(f.app, s.lb.id);
    assert.equal((await get({ path: '/other/x' })).status, 403);
    for (const p of made) await drop(p.id);
  });

  test('order: REJECT beats redirects beats pools; within a group position decides, renumbered live', T, async () => {
    const rule = [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/ord' }];
    const toOther = await policy({ action: 'REDIRECT_TO_POOL', redirect_pool_id: other.id, rules: rule, position: 1 });
    const toThird = await policy({ action: 'REDIRECT_TO_POOL', redirect_pool_id: third.id, rules: rule, position: 2 });
    assert.equal((await get({ path: '/ord' })).backend, 'other-pool');

    // Moving the second to position 1 renumbers the first to 2, as Octavia does.
    await api(f.app, 'PUT', `/l7policies/${toThird.id}`, { l7policy: { position: 1 } });
    await settled(f.app, s.lb.id);
    const positions = async () => Object.fromEntries(
      (await api(f.app, 'GET', `/l7policies?listener_id=${s.listener.id}`)).l7policies.map((p: any) => [p.id, p.position]),
    );
    assert.deepEqual(await positions(), { [toThird.id]: 1, [toOther.id]: 2 });
    assert.equal((await get({ path: '/ord' })).backend, 'third-pool');

    // A redirect at the last position still wins over both pool policies.
    const redirect = await policy({ action: 'REDIRECT_TO_URL', redirect_url: 'http://r.test/', rules: rule });
    assert.equal((await positions())[redirect.id], 3);
    assert.equal((await get({ path: '/ord' })).status, 302);
    // And a REJECT appended after it wins over everything.
    const reject = await policy({ action: 'REJECT', rules: rule, position: 10 });
    assert.equal((await positions())[reject.id], 4, 'a position past the end is the end');
    assert.equal((await get({ path: '/ord' })).status, 403);

    // Deleting renumbers the rest; disabling a policy takes it out of the data plane.
    await drop(reject.id);
    await drop(redirect.id);
    await api(f.app, 'PUT', `/l7policies/${toThird.id}`, { l7policy: { admin_state_up: false } });
    await settled(f.app, s.lb.id);
    assert.equal((await get({ path: '/ord' })).backend, 'other-pool');
    await drop(toThird.id);
    assert.deepEqual(await positions(), { [toOther.id]: 1 });
    await drop(toOther.id);
  });
});
