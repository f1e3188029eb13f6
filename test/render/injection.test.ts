// No tenant string can add, remove or split a configuration directive. For every string
// field of every object a tenant can write, the graph is rendered once with a plain marker
// in that field and once with each hostile payload: the two configurations must have the
// same lines, the same keywords and the same number of words on each line (parsed as
// HAProxy parses them), and the payload must come back whole inside one word. A field may
// instead refuse the payload with a RenderError (addresses, CIDRs, expected codes, ids).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoadBalancerGraph } from '../../src/domain/entities.ts';
import { RenderError, renderHaproxy, toIR } from '../../src/render/index.ts';
import { haproxyWords } from './haproxy-words.ts';
import { amphoraContext, graph, listener, member, monitor, policy, pool, rule, uuid } from './fixtures.ts';

const PAYLOADS = [
  '\n    bind :1', 'x\nfrontend evil\n    bind :1\n', '" bind :1 "', "' bind :1 '", 'a #b', '\\', '\\\n    bind :1',
  'x\r\n    bind :1', '%[env(HOME)]', '-f /etc/passwd', ' ', '}', '{ always_true }', 'a b c', '"', "'", '$HOME', '"$HOME"',
  'x)', 'x,y', '\t\tuse_backend evil', '\u2028bind :1', 'é\u0085',
];
const MARKER = 'MARKERVALUE';

/** A graph in which every tenant string field is rendered somewhere. */
function richGraph(): LoadBalancerGraph {
  return graph({
    listeners: [listener(1, {
      protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_pool_id: uuid('pool', 1),
      default_tls_container_ref: 'ref', sni_container_refs: ['sni'], client_ca_tls_container_ref: 'ca',
      client_authentication: 'OPTIONAL', client_crl_container_ref: 'crl', tls_ciphers: 'ECDHE', tls_versions: ['TLSv1.2'],
      alpn_protocols: ['h2'], allowed_cidrs: ['10.0.0.0/8'], hsts_max_age: 100,
      insert_headers: { 'X-Forwarded-For': 'true', 'X-SSL-Client-DN': 'true' },
    })],
    pools: [pool(1, {
      tls_enabled: true, tls_container_ref: 'c', ca_tls_container_ref: 'ca', crl_container_ref: 'crl', tls_ciphers: 'ECDHE',
      tls_versions: ['TLSv1.3'], alpn_protocols: ['http/1.1'],
      session_persistence: { type: 'APP_COOKIE', cookie_name: 'sid', persistence_timeout: null, persistence_granularity: null },
    }), pool(2)],
    members: [member(1, 1, { monitor_address: '192.0.2.200', monitor_port: 9000 }), member(2, 2)],
    healthMonitors: [monitor(1, 1, { http_version: 1.1, domain_name: 'example.com', url_path: '/health', expected_codes: '200' })],
    l7policies: [
      policy(1, 1, { action: 'REDIRECT_TO_URL', redirect_url: 'http://example.com/', redirect_http_code: 301 }),
      policy(2, 1, { action: 'REDIRECT_PREFIX', redirect_prefix: 'http://example.com' }),
      policy(3, 1, { action: 'REDIRECT_TO_POOL', redirect_pool_id: uuid('pool', 2) }),
    ],
    l7rules: [
      rule(1, 1, { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-Key', value: 'v' }),
      rule(2, 1, { type: 'COOKIE', compare_type: 'REGEX', key: 'ck', value: '^a' }),
      rule(3, 2, { type: 'HOST_NAME', compare_type: 'ENDS_WITH', value: '.example.com' }),
      rule(4, 2, { type: 'PATH', compare_type: 'CONTAINS', value: '/x' }),
      rule(5, 3, { type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'jpg' }),
      rule(6, 3, { type: 'SSL_DN_FIELD', compare_type: 'STARTS_WITH', key: 'CN', value: 'a' }),
      rule(7, 3, { type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0' }),
    ],
  });
}

type Setter = (g: LoadBalancerGraph, v: string) => void;
const FIELDS: Record<string, Setter> = {
  'loadbalancer.name': (g, v) => { g.loadBalancer.name = v; },
  'loadbalancer.description': (g, v) => { g.loadBalancer.description = v; },
  'loadbalancer.id': (g, v) => { g.loadBalancer.id = v; },
  'listener.id': (g, v) => { g.listeners[0].id = v; g.l7policies.forEach((p) => { p.listener_id = v; }); },
  'listener.name': (g, v) => { g.listeners[0].name = v; },
  'listener.default_tls_container_ref': (g, v) => { g.listeners[0].default_tls_container_ref = v; },
  'listener.sni_container_refs[0]': (g, v) => { g.listeners[0].sni_container_refs = [v]; },
  'listener.tls_ciphers': (g, v) => { g.listeners[0].tls_ciphers = v; },
  'listener.tls_versions[0]': (g, v) => { g.listeners[0].tls_versions = [v]; },
  'listener.alpn_protocols[0]': (g, v) => { g.listeners[0].alpn_protocols = [v]; },
  'listener.allowed_cidrs[0]': (g, v) => { g.listeners[0].allowed_cidrs = [v]; },
  'listener.insert_headers key': (g, v) => { g.listeners[0].insert_headers = { [v]: 'true' }; },
  'listener.insert_headers value': (g, v) => { g.listeners[0].insert_headers = { 'X-Forwarded-Port': v }; },
  'pool.id': (g, v) => { g.pools[0].id = v; g.listeners[0].default_pool_id = v; g.members[0].pool_id = v; g.healthMonitors[0].pool_id = v; },
  'pool.name': (g, v) => { g.pools[0].name = v; },
  'pool.tls_ciphers': (g, v) => { g.pools[0].tls_ciphers = v; },
  'pool.tls_versions[0]': (g, v) => { g.pools[0].tls_versions = [v]; },
  'pool.alpn_protocols[0]': (g, v) => { g.pools[0].alpn_protocols = [v]; },
  'pool.session_persistence.cookie_name': (g, v) => { g.pools[0].session_persistence!.cookie_name = v; },
  'member.id': (g, v) => { g.members[0].id = v; },
  'member.name': (g, v) => { g.members[0].name = v; },
  'member.address': (g, v) => { g.members[0].address = v; },
  'member.monitor_address': (g, v) => { g.members[0].monitor_address = v; },
  'healthmonitor.url_path': (g, v) => { g.healthMonitors[0].url_path = v; },
  'healthmonitor.http_method': (g, v) => { g.healthMonitors[0].http_method = v; },
  'healthmonitor.expected_codes': (g, v) => { g.healthMonitors[0].expected_codes = v; },
  'healthmonitor.domain_name': (g, v) => { g.healthMonitors[0].domain_name = v; },
  'l7policy.redirect_url': (g, v) => { g.l7policies[0].redirect_url = v; },
  'l7policy.redirect_prefix': (g, v) => { g.l7policies[1].redirect_prefix = v; },
  'l7policy.id': (g, v) => { g.l7policies[0].id = v; g.l7rules[0].l7policy_id = v; g.l7rules[1].l7policy_id = v; },
  'l7rule.id': (g, v) => { g.l7rules[0].id = v; },
  ...Object.fromEntries([0, 1, 2, 3, 4, 5, 6].flatMap((i) => [
    [`l7rule[${i}].value`, (g: LoadBalancerGraph, v: string) => { g.l7rules[i].value = v; }],
    [`l7rule[${i}].key`, (g: LoadBalancerGraph, v: string) => { g.l7rules[i].key = v; }],
  ])),
};

const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

/**
 * Whether a parsed word carries the payload whole: as is, as a log-format literal (%%), as a
 * fetch argument (parsed a second time), or without the double quotes Octavia lets a header
 * value wear.
 */
function holds(word: string, payload: string): boolean {
  const fetch = /^[a-z_.]+\((.*)\)$/s.exec(word);
  const readings = [word, word.replace(/%%/g, '%'), ...(fetch ? haproxyWords(fetch[1], true) : [])];
  const forms = [payload, payload.length >= 2 && payload.startsWith('"') && payload.endsWith('"') ? payload.slice(1, -1) : payload];
  return readings.some((r) => forms.some((f) => r.includes(latin1(f))));
}

function render(field: string, value: string): string[] | RenderError {
  const g = richGraph();
  FIELDS[field](g, value);
  try {
    return renderHaproxy(toIR(g, amphoraContext())).split('\n');
  } catch (err) {
    if (err instanceof RenderError) return err;
    throw err;
  }
}

test('the rich graph renders every field (the marker shows up for each rendered field)', () => {
  const base = render('listener.name', 'x');
  assert.ok(Array.isArray(base));
  assert.ok(base.length > 40);
});

for (const field of Object.keys(FIELDS)) {
  test(`no payload through ${field} changes the configuration's structure`, () => {
    const marked = render(field, MARKER);
    for (const payload of PAYLOADS) {
      const hostile = render(field, payload);
      if (hostile instanceof RenderError) continue; // refused: nothing was written
      assert.ok(Array.isArray(marked), `${field}: the marker was refused but ${JSON.stringify(payload)} was accepted`);
      assert.equal(hostile.length, marked.length, `${field} ${JSON.stringify(payload)}: line count`);
      hostile.forEach((line, i) => {
        const words = haproxyWords(line);
        const expected = haproxyWords(marked[i]);
        const where = `${field} ${JSON.stringify(payload)} line ${i + 1}: ${line}`;
        assert.equal(words.length, expected.length, where);
        assert.equal(words[0], expected[0], where);
        // Where the marker was, the payload is now: whole, inside the same word.
        expected.forEach((w, j) => {
          if (w.includes(MARKER)) assert.ok(holds(words[j], payload), `${where}: payload not found whole in ${words[j]}`);
        });
      });
    }
  });
}
