// Hostile strings through the API into a real amphora. For every string field a tenant can
// write that could reach HAProxy's configuration (and the names, descriptions and tags that
// must not), each payload is sent on a live load balancer: the API either refuses it with a
// 400, or accepts it, and then the amphora applies it (the load balancer goes ACTIVE: HAProxy
// checked and loaded the file) and the installed haproxy.cfg has exactly the structure it had
// (same lines, same keyword and word count on each line): no directive was added, removed or
// split. test/render/injection.test.ts does the same for the renderer alone, field by field.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { amphoraOf, closeAll, freePort, httpBackend, httpGet, settled, skipWithoutHaproxy, stack, startFulcrum } from './kit.ts';
import type { Backend, E2E, Stack } from './kit.ts';
import { haproxyWords } from '../render/haproxy-words.ts';

const PAYLOADS = [
  '\n    bind :1', 'x\nfrontend evil\n    bind :1', 'x\r\n    bind :1', '" bind :1 "', "' bind :1 '", 'a #b', '\\',
  '%[env(HOME)]', '-f /etc/passwd', '{ always_true }', '"$HOME"', 'x)', '\u2028bind :1',
];

describe('hostile strings through the API never change the amphora\'s configuration structure', { skip: skipWithoutHaproxy, timeout: 400_000 }, () => {
  let f: E2E;
  let s: Stack;
  const backends: Backend[] = [];
  const ids: Record<string, string> = {};

  before(async () => {
    f = await startFulcrum();
    const b = await httpBackend('inj');
    backends.push(b);
    s = await stack(f.app, {
      listener: { insert_headers: { 'X-Forwarded-For': 'true' } },
      pool: { session_persistence: { type: 'APP_COOKIE', cookie_name: 'sid' } },
      monitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3, http_version: 1.1, domain_name: 'health.example', url_path: '/health', expected_codes: '200' },
      members: [{ address: b.address, protocol_port: b.port, name: 'm' }],
    });
    const req = async (method: string, path: string, body: unknown) => {
      const res = await f.app.req(method, `/v2/lbaas${path}`, body, 'e2e');
      assert.ok(res.status < 300, JSON.stringify(res.body));
      await settled(f.app, s.lb.id);
      return res.body;
    };
    ids.url = (await req('POST', '/l7policies', { l7policy: {
      listener_id: s.listener.id, action: 'REDIRECT_TO_URL', redirect_url: 'http://u.example/',
      rules: [
        { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-H', value: 'h' },
        { type: 'COOKIE', compare_type: 'CONTAINS', key: 'ck', value: 'c' },
      ],
    } })).l7policy.id;
    ids.prefix = (await req('POST', '/l7policies', { l7policy: {
      listener_id: s.listener.id, action: 'REDIRECT_PREFIX', redirect_prefix: 'http://p.example',
      rules: [
        { type: 'PATH', compare_type: 'STARTS_WITH', value: '/p' },
        { type: 'HOST_NAME', compare_type: 'REGEX', value: '^h' },
      ],
    } })).l7policy.id;
    const rules = async (policy: string) => (await req('GET', `/l7policies/${policy}/rules`, undefined)).rules.map((r: any) => r.id);
    [ids.header, ids.cookie] = await rules(ids.url);
    [ids.path, ids.host] = await rules(ids.prefix);
    ids.monitor = (await req('GET', `/pools/${s.pool.id}`, undefined)).pool.healthmonitor_id;
  });
  after(async () => {
    await closeAll(backends);
    await f?.close();
  });

  async function structure(): Promise<string[]> {
    const row = await amphoraOf(f.app, s.lb.id);
    const text = readFileSync(join(f.dataDir, 'agent', 'state', 'amphorae', row.compute_id ?? row.id, 'conf', 'haproxy.cfg'), 'latin1');
    return text.split('\n').map((line) => {
      const words = haproxyWords(line);
      return `${words[0] ?? ''}/${words.length}`;
    });
  }

  test('every field, every payload: a 400, or applied with the same structure', { timeout: 300_000 }, async (t) => {
    const L = `/listeners/${s.listener.id}`;
    const P = `/pools/${s.pool.id}`;
    const writes: [string, string, (v: string) => unknown][] = [
      ['loadbalancer.name', `/loadbalancers/${s.lb.id}`, (v) => ({ loadbalancer: { name: v } })],
      ['loadbalancer.description', `/loadbalancers/${s.lb.id}`, (v) => ({ loadbalancer: { description: v } })],
      ['listener.name', L, (v) => ({ listener: { name: v } })],
      ['listener.description', L, (v) => ({ listener: { description: v } })],
      ['listener.tags', L, (v) => ({ listener: { tags: [v] } })],
      ['listener.allowed_cidrs', L, (v) => ({ listener: { allowed_cidrs: [v] } })],
      ['listener.insert_headers key', L, (v) => ({ listener: { insert_headers: { [v]: 'true' } } })],
      ['listener.insert_headers value', L, (v) => ({ listener: { insert_headers: { 'X-Forwarded-For': v } } })],
      ['listener.tls_ciphers', L, (v) => ({ listener: { tls_ciphers: v } })],
      ['pool.name', P, (v) => ({ pool: { name: v } })],
      ['pool.session_persistence.cookie_name', P, (v) => ({ pool: { session_persistence: { type: 'APP_COOKIE', cookie_name: v } } })],
      ['pool.tls_ciphers', P, (v) => ({ pool: { tls_ciphers: v } })],
      ['member.name', `${P}/members/${s.members[0].id}`, (v) => ({ member: { name: v } })],
      ['healthmonitor.url_path', `/healthmonitors/${ids.monitor}`, (v) => ({ healthmonitor: { url_path: v } })],
      ['healthmonitor.expected_codes', `/healthmonitors/${ids.monitor}`, (v) => ({ healthmonitor: { expected_codes: v } })],
      ['healthmonitor.domain_name', `/healthmonitors/${ids.monitor}`, (v) => ({ healthmonitor: { domain_name: v } })],
      ['healthmonitor.http_method', `/healthmonitors/${ids.monitor}`, (v) => ({ healthmonitor: { http_method: v } })],
      ['l7policy.name', `/l7policies/${ids.url}`, (v) => ({ l7policy: { name: v } })],
      ['l7policy.redirect_url', `/l7policies/${ids.url}`, (v) => ({ l7policy: { redirect_url: `http://u.example/${v}` } })],
      ['l7policy.redirect_prefix', `/l7policies/${ids.prefix}`, (v) => ({ l7policy: { redirect_prefix: `http://p.example/${v}` } })],
      ['l7rule HEADER value', `/l7policies/${ids.url}/rules/${ids.header}`, (v) => ({ rule: { value: v } })],
      ['l7rule HEADER quoted value', `/l7policies/${ids.url}/rules/${ids.header}`, (v) => ({ rule: { value: `"${v}"` } })],
      ['l7rule HEADER key', `/l7policies/${ids.url}/rules/${ids.header}`, (v) => ({ rule: { key: v } })],
      ['l7rule COOKIE value', `/l7policies/${ids.url}/rules/${ids.cookie}`, (v) => ({ rule: { value: v } })],
      ['l7rule COOKIE key', `/l7policies/${ids.url}/rules/${ids.cookie}`, (v) => ({ rule: { key: v } })],
      ['l7rule PATH value', `/l7policies/${ids.prefix}/rules/${ids.path}`, (v) => ({ rule: { value: v } })],
      ['l7rule REGEX value', `/l7policies/${ids.prefix}/rules/${ids.host}`, (v) => ({ rule: { value: v } })],
    ];
    const baseline = await structure();
    const accepted: string[] = [];
    const problems: string[] = [];
    for (const [field, path, body] of writes) {
      for (const payload of PAYLOADS) {
        const res = await f.app.req('PUT', `/v2/lbaas${path}`, body(payload), 'e2e');
        const what = `${field} ${JSON.stringify(payload)}`;
        if (res.status === 400) continue;
        if (res.status !== 200 && res.status !== 202) {
          problems.push(`${what}: answered ${res.status} ${JSON.stringify(res.body)}`);
          continue;
        }
        accepted.push(what);
        try {
          await settled(f.app, s.lb.id);
        } catch (err) {
          problems.push(`${what}: accepted, then ${(err as Error).message}`);
          continue;
        }
        const now = await structure();
        if (now.join('\n') !== baseline.join('\n')) {
          const at = now.findIndex((line, i) => line !== baseline[i]);
          problems.push(`${what}: line ${at + 1} is ${now[at]}, was ${baseline[at]} (${now.length} lines, was ${baseline.length})`);
        }
      }
    }
    t.diagnostic(`accepted and applied harmlessly: ${accepted.length} of ${writes.length * PAYLOADS.length}; the rest answered 400`);
    assert.deepEqual(problems, []);
    // Still serving after all of it.
    const r = await httpGet(s.vip, s.port, { path: '/serving' });
    assert.equal(r.status, 200);
    assert.equal(r.backend, 'inj');
  });

  test('a UDP pool\'s HTTP monitor: its url_path reaches the agent\'s own checker, which a hostile one never breaks', async () => {
    const port = await freePort();
    const listener = (await f.app.req('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: s.lb.id, protocol: 'UDP', protocol_port: port } }, 'e2e')).body.listener;
    await settled(f.app, s.lb.id);
    const pool = (await f.app.req('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.id, protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN' } }, 'e2e')).body.pool;
    await settled(f.app, s.lb.id);
    await f.app.req('POST', `/v2/lbaas/pools/${pool.id}/members`, { member: { address: backends[0].address, protocol_port: backends[0].port } }, 'e2e');
    await settled(f.app, s.lb.id);
    for (const payload of PAYLOADS) {
      const res = await f.app.req('POST', '/v2/lbaas/healthmonitors', { healthmonitor: {
        pool_id: pool.id, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, url_path: `/${payload}`,
      } }, 'e2e');
      if (res.status === 400) continue;
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await settled(f.app, s.lb.id);
      await new Promise((r) => setTimeout(r, 1200)); // at least one check ran with it
      await f.app.req('DELETE', `/v2/lbaas/healthmonitors/${res.body.healthmonitor.id}`, undefined, 'e2e');
      await settled(f.app, s.lb.id);
    }
    assert.equal((await httpGet(s.vip, s.port)).status, 200, 'the agent and HAProxy still serve');
  });
});
