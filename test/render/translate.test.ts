// Graph → IR: what is rendered, what is skipped, and how Octavia's fields map to HAProxy's.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { LoadBalancerGraph } from '../../src/domain/entities.ts';
import { RenderError, toIR } from '../../src/render/index.ts';
import type { AclIR, BackendIR, HaproxyIR } from '../../src/render/index.ts';
import { amphoraContext, graph, listener, member, monitor, policy, pool, rule, simpleGraph, uuid } from './fixtures.ts';

const ir = (g: LoadBalancerGraph, ctx = {}) => toIR(g, amphoraContext(ctx));
const backend = (r: HaproxyIR, poolN = 1, listenerN = 1): BackendIR => {
  const b = r.backends.find((x) => x.name === `${uuid('pool', poolN)}:${uuid('listener', listenerN)}`);
  assert.ok(b, `backend of pool ${poolN} / listener ${listenerN}`);
  return b;
};
const sp = (type: 'SOURCE_IP' | 'HTTP_COOKIE' | 'APP_COOKIE', cookie_name: string | null = null) =>
  ({ type, cookie_name, persistence_timeout: null, persistence_granularity: null });

describe('what is rendered', () => {
  test('objects PENDING_DELETE or DELETED are skipped, PENDING_CREATE and ERROR are rendered', () => {
    const g = simpleGraph(4);
    g.members[0].provisioning_status = 'PENDING_DELETE';
    g.members[1].provisioning_status = 'DELETED';
    g.members[2].provisioning_status = 'PENDING_CREATE';
    g.members[3].provisioning_status = 'ERROR';
    g.healthMonitors.push(monitor(1, 1, { provisioning_status: 'PENDING_DELETE' }));
    g.listeners.push(listener(2, { protocol_port: 81, provisioning_status: 'PENDING_DELETE' }));
    const r = ir(g);
    assert.deepEqual(r.frontends.map((f) => f.name), [uuid('listener', 1)]);
    assert.deepEqual(backend(r).servers.map((s) => s.name), [uuid('member', 3), uuid('member', 4)]);
    assert.equal(backend(r).check, null);
  });

  test('a deleted default pool leaves the listener without a default backend', () => {
    const g = simpleGraph(1, { pool: { provisioning_status: 'PENDING_DELETE' } });
    const r = ir(g);
    assert.equal(r.frontends[0].defaultBackend, null);
    assert.deepEqual(r.backends, []);
  });

  test('UDP and SCTP listeners are not HAProxy\'s; a pool no listener reaches is not rendered', () => {
    const g = graph({
      listeners: [listener(1, { protocol: 'UDP', default_pool_id: uuid('pool', 1) }), listener(2, { protocol: 'SCTP' })],
      pools: [pool(1, { protocol: 'UDP' }), pool(2)],
      members: [member(1, 1), member(2, 2)],
    });
    const r = ir(g);
    assert.deepEqual([r.frontends, r.backends], [[], []]);
  });

  test('a pool shared by two listeners gives one backend per listener, each with its listener\'s timeouts', () => {
    const g = simpleGraph(1, { listener: { timeout_member_data: 1000 } });
    g.listeners.push(listener(2, { protocol_port: 8080, default_pool_id: uuid('pool', 1), timeout_member_data: 2000 }));
    const r = ir(g);
    assert.equal(backend(r, 1, 1).timeoutServer, 1000);
    assert.equal(backend(r, 1, 2).timeoutServer, 2000);
  });

  test('frontends come in port order whatever the graph order', () => {
    const g = graph({ listeners: [listener(1, { protocol_port: 443 }), listener(2, { protocol_port: 80 })] });
    assert.deepEqual(ir(g).frontends.map((f) => f.binds[0].port), [80, 443]);
  });
});

describe('admin_state_up', () => {
  test('a disabled load balancer disables every frontend; a disabled listener only its own', () => {
    const g = simpleGraph(1);
    g.listeners.push(listener(2, { protocol_port: 81, admin_state_up: false }));
    assert.deepEqual(ir(g).frontends.map((f) => f.enabled), [true, false]);
    g.loadBalancer.admin_state_up = false;
    assert.deepEqual(ir(g).frontends.map((f) => f.enabled), [false, false]);
  });

  test('a disabled pool disables its servers but stays the default backend (503, as Octavia)', () => {
    const r = ir(simpleGraph(2, { pool: { admin_state_up: false } }));
    assert.deepEqual(backend(r).servers.map((s) => s.disabled), [true, true]);
    assert.equal(r.frontends[0].defaultBackend, backend(r).name);
  });

  test('a disabled member is disabled; a disabled monitor means no checks at all', () => {
    const g = simpleGraph(2);
    g.members[1].admin_state_up = false;
    g.members[0].monitor_address = '192.0.2.99';
    g.healthMonitors.push(monitor(1, 1, { admin_state_up: false }));
    const b = backend(ir(g));
    assert.deepEqual(b.servers.map((s) => s.disabled), [false, true]);
    assert.equal(b.check, null);
    assert.deepEqual(b.servers.map((s) => [s.check, s.checkAddress]), [[false, null], [false, null]]);
  });
});

describe('listeners', () => {
  test('connection_limit: -1 and 0 take the budget, a smaller limit stays, a larger one is capped', () => {
    const limits = [-1, 0, 1000, 100000].map((connection_limit) =>
      ir(simpleGraph(0, { listener: { connection_limit } }), { maxconn: 5000 }).frontends[0].maxconn);
    assert.deepEqual(limits, [5000, 5000, 1000, 5000]);
  });

  test('the budget must be a positive integer', () => {
    for (const maxconn of [0, -1, 1.5, Number.NaN]) assert.throws(() => ir(simpleGraph(0), { maxconn }), RenderError);
  });

  test('timeouts of 0 take Octavia\'s defaults; tcp inspect 0 means none', () => {
    const g = simpleGraph(1, { listener: { timeout_client_data: 0, timeout_member_connect: 0, timeout_member_data: 0, timeout_tcp_inspect: 0 } });
    const r = ir(g);
    assert.deepEqual([r.frontends[0].timeoutClient, r.frontends[0].tcpInspectDelay], [50000, null]);
    assert.deepEqual([backend(r).timeoutConnect, backend(r).timeoutServer], [5000, 50000]);
  });

  test('every VIP gets a bind; protocols map to modes', () => {
    const r = ir(simpleGraph(0, { listener: { protocol: 'HTTPS', protocol_port: 443 }, pool: { protocol: 'HTTPS' } }),
      { vipAddress: '2001:db8::1', additionalVipAddresses: ['203.0.113.5'] });
    assert.deepEqual(r.frontends[0].binds.map((b) => [b.address, b.port, b.tls]), [['2001:db8::1', 443, null], ['203.0.113.5', 443, null]]);
    assert.equal(r.frontends[0].mode, 'tcp');
    assert.equal(backend(r).mode, 'tcp');
  });

  test('TERMINATED_HTTPS: certificates default first, client auth, CRL only with a CA, TLS versions', () => {
    const g = simpleGraph(0, { listener: {
      protocol: 'TERMINATED_HTTPS', default_tls_container_ref: 'd', sni_container_refs: ['a', 'b'],
      client_ca_tls_container_ref: 'ca', client_authentication: 'OPTIONAL', client_crl_container_ref: 'crl',
      tls_versions: ['TLSv1.3'], alpn_protocols: ['h2'], hsts_max_age: 10, hsts_preload: true,
    } });
    const f = ir(g).frontends[0];
    const id = uuid('listener', 1);
    const dir = '/run/fulcrum/lb/certs';
    assert.deepEqual(f.binds[0].tls, {
      certificates: [`${dir}/${id}.pem`, `${dir}/${id}-sni-0.pem`, `${dir}/${id}-sni-1.pem`],
      clientCa: `${dir}/${id}-client-ca.pem`, clientCrl: `${dir}/${id}-client-crl.pem`, verify: 'optional',
      ciphers: null, disabledVersions: ['no-sslv3', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12'], alpn: ['h2'],
    });
    assert.equal(f.hsts, 'max-age=10; preload');
    g.listeners[0].client_ca_tls_container_ref = null;
    assert.deepEqual([ir(g).frontends[0].binds[0].tls?.verify, ir(g).frontends[0].binds[0].tls?.clientCrl], ['none', null]);
  });

  test('TERMINATED_HTTPS without a certificate, or an HTTP listener on a TCP pool, cannot be rendered', () => {
    assert.throws(() => ir(simpleGraph(0, { listener: { protocol: 'TERMINATED_HTTPS' } })), RenderError);
    assert.throws(() => ir(simpleGraph(0, { pool: { protocol: 'TCP' } })), /cannot serve listener/);
  });

  test('allowed_cidrs must be networks', () => {
    assert.deepEqual(ir(simpleGraph(0, { listener: { allowed_cidrs: ['10.0.0.0/8'] } })).frontends[0].allowedCidrs, ['10.0.0.0/8']);
    assert.throws(() => ir(simpleGraph(0, { listener: { allowed_cidrs: ['10.0.0.0/8 0.0.0.0/0'] } })), RenderError);
  });

  test('insert_headers apply to HTTP backends only, case-insensitively "true"; X-Forwarded-Proto follows the listener', () => {
    const headers = { 'X-Forwarded-For': 'True', 'X-Forwarded-Port': 'false', 'X-Forwarded-Proto': 'true', 'X-SSL-Client-DN': 'true' };
    assert.deepEqual(backend(ir(simpleGraph(0, { listener: { insert_headers: headers } }))).headers,
      { forwardedFor: true, forwardedPort: false, forwardedProto: 'http', ssl: [] });
    const tls = simpleGraph(0, { listener: { protocol: 'TERMINATED_HTTPS', default_tls_container_ref: 'd', insert_headers: headers } });
    assert.deepEqual(backend(ir(tls)).headers, { forwardedFor: true, forwardedPort: false, forwardedProto: 'https', ssl: ['X-SSL-Client-DN'] });
    const tcp = simpleGraph(0, { listener: { protocol: 'TCP', insert_headers: headers }, pool: { protocol: 'TCP' } });
    assert.deepEqual(backend(ir(tcp)).headers, { forwardedFor: false, forwardedPort: false, forwardedProto: null, ssl: [] });
  });
});

describe('pools, members and monitors', () => {
  test('algorithms: SOURCE_IP and SOURCE_IP_PORT hash consistently (address, address and port)', () => {
    const of = (lb_algorithm: 'ROUND_ROBIN' | 'LEAST_CONNECTIONS' | 'SOURCE_IP' | 'SOURCE_IP_PORT') => {
      const b = backend(ir(simpleGraph(0, { pool: { lb_algorithm } })));
      return [b.balance, b.hashType];
    };
    assert.deepEqual(of('ROUND_ROBIN'), ['roundrobin', null]);
    assert.deepEqual(of('LEAST_CONNECTIONS'), ['leastconn', null]);
    assert.deepEqual(of('SOURCE_IP'), ['source', 'consistent']);
    assert.deepEqual(of('SOURCE_IP_PORT'), ['source-ip-port', 'consistent']);
  });

  test('members keep weight (0 too), backup, monitor address and port (only with a monitor)', () => {
    const g = simpleGraph(0);
    g.members.push(member(1, 1, { weight: 0, backup: true, monitor_address: '192.0.2.50', monitor_port: 81 }));
    assert.deepEqual(backend(ir(g)).servers.map((s) => [s.weight, s.backup, s.check, s.checkAddress, s.checkPort]), [[0, true, false, null, null]]);
    g.healthMonitors.push(monitor(1, 1, { type: 'TCP' }));
    assert.deepEqual(backend(ir(g)).servers.map((s) => [s.check, s.checkAddress, s.checkPort]), [[true, '192.0.2.50', 81]]);
  });

  test('member addresses must be IP literals', () => {
    const g = simpleGraph(1);
    g.members[0].address = 'backend.example.com';
    assert.throws(() => ir(g), RenderError);
  });

  test('server ids come from member ids: deleting one member does not renumber the others', () => {
    const g = simpleGraph(20);
    const before = new Map(backend(ir(g)).servers.map((s) => [s.name, s.id]));
    assert.equal(new Set(before.values()).size, 20);
    g.members.splice(3, 1);
    for (const s of backend(ir(g)).servers) assert.equal(s.id, before.get(s.name));
  });

  test('monitor fields: delay → inter, timeout, max_retries → rise, max_retries_down → fall', () => {
    const g = simpleGraph(1);
    g.healthMonitors.push(monitor(1, 1, {
      type: 'HTTPS', delay: 7, timeout: 4, max_retries: 2, max_retries_down: 5, http_method: 'POST',
      url_path: '/h', expected_codes: '200-204, 301', http_version: 1.1, domain_name: 'x.example',
    }));
    assert.deepEqual(backend(ir(g)).check, {
      kind: 'http', interval: 7, timeout: 4, rise: 2, fall: 5, ssl: true, command: null,
      http: { method: 'POST', path: '/h', version: 'HTTP/1.1', host: 'x.example', expectStatus: '200-204,301' },
    });
  });

  test('the Host header is sent only with HTTP/1.1, as Octavia does; bad expected codes are refused', () => {
    const g = simpleGraph(1);
    g.healthMonitors.push(monitor(1, 1, { http_version: 1.0, domain_name: 'x.example' }));
    assert.deepEqual(backend(ir(g)).check?.http, { method: 'GET', path: '/', version: 'HTTP/1.0', host: null, expectStatus: '200' });
    g.healthMonitors[0].expected_codes = '200 or 201';
    assert.throws(() => ir(g), /expected_codes/);
  });

  test('monitor types: TLS-HELLO, TCP; PING is an external check only with a ping command', () => {
    const kind = (type: 'TLS-HELLO' | 'TCP' | 'PING', ctx = {}) => {
      const g = simpleGraph(1);
      g.healthMonitors.push(monitor(1, 1, { type }));
      const r = ir(g, ctx);
      return [backend(r).check?.kind, r.global.externalCheck, backend(r).notes.length];
    };
    assert.deepEqual(kind('TLS-HELLO'), ['tls-hello', false, 0]);
    assert.deepEqual(kind('TCP'), ['tcp', false, 0]);
    assert.deepEqual(kind('PING'), ['tcp', false, 1]);
    assert.deepEqual(kind('PING', { pingCommand: '/bin/ping-check' }), ['external', true, 0]);
  });

  test('persistence: SOURCE_IP anywhere, cookies only in HTTP mode; HTTP_COOKIE names each server by member id', () => {
    assert.deepEqual(backend(ir(simpleGraph(1, { pool: { session_persistence: sp('SOURCE_IP') } }))).persistence,
      { kind: 'source-ip', tableSize: '10k', peers: null });
    const cookie = backend(ir(simpleGraph(1, { pool: { session_persistence: sp('HTTP_COOKIE') } })));
    assert.deepEqual([cookie.persistence, cookie.servers[0].cookie], [{ kind: 'http-cookie' }, uuid('member', 1)]);
    assert.deepEqual(backend(ir(simpleGraph(1, { pool: { session_persistence: sp('APP_COOKIE', 'sid') } }), { stickTableSize: '1m' })).persistence,
      { kind: 'app-cookie', cookie: 'sid', tableSize: '1m', peers: null });
    const tcp = backend(ir(simpleGraph(1, { listener: { protocol: 'TCP' }, pool: { protocol: 'TCP', session_persistence: sp('APP_COOKIE', 'sid') } })));
    assert.deepEqual([tcp.persistence, tcp.notes.length], [null, 1]);
  });

  test('peers: only for ACTIVE_STANDBY with peers in the context; stick tables then replicate', () => {
    const peers = { localName: 'amp1', port: 1025, peers: [{ name: 'amp1', address: '198.18.0.11' }, { name: 'amp2', address: '198.18.0.12' }] };
    const g = simpleGraph(1, { pool: { session_persistence: sp('SOURCE_IP') } });
    assert.equal(ir(g, { peers }).peers, null);
    g.loadBalancer.topology = 'ACTIVE_STANDBY';
    const r = ir(g, { peers });
    assert.equal(r.peers?.name, 'aaaa0000000040008000000000000001_peers');
    assert.deepEqual(backend(r).persistence, { kind: 'source-ip', tableSize: '10k', peers: r.peers?.name });
    assert.throws(() => ir(g, { peers: { ...peers, localName: 'amp 1' } }), RenderError);
  });

  test('pool TLS: verify required with a CA, CRL only with a CA, PROXY protocol versions', () => {
    const g = simpleGraph(1, { pool: { tls_enabled: true, crl_container_ref: 'crl', protocol: 'PROXYV2' } });
    const s = backend(ir(g)).servers[0];
    assert.deepEqual([s.tls?.verify, s.tls?.ca, s.tls?.crl, s.proxyProtocol], ['none', null, null, 'v2']);
    g.pools[0].ca_tls_container_ref = 'ca';
    assert.equal(backend(ir(g)).servers[0].tls?.verify, 'required');
    assert.match(backend(ir(g)).servers[0].tls?.crl ?? '', /-crl\.pem$/);
  });
});

describe('L7 policies and rules', () => {
  const l7 = (policies: ReturnType<typeof policy>[], rules: ReturnType<typeof rule>[]) => {
    const g = simpleGraph(1);
    g.pools.push(pool(2), pool(3, { admin_state_up: false }));
    g.l7policies.push(...policies);
    g.l7rules.push(...rules);
    return ir(g).frontends[0].policies;
  };

  test('REJECT before redirects before REDIRECT_TO_POOL, by position within each group', () => {
    const ps = [
      policy(1, 1, { action: 'REDIRECT_TO_POOL', redirect_pool_id: uuid('pool', 2), position: 1 }),
      policy(2, 1, { action: 'REDIRECT_PREFIX', redirect_prefix: 'http://p', position: 2 }),
      policy(3, 1, { action: 'REJECT', position: 3 }),
      policy(4, 1, { action: 'REDIRECT_TO_URL', redirect_url: 'http://u', redirect_http_code: 301, position: 4 }),
      policy(5, 1, { action: 'REJECT', position: 5 }),
    ];
    const out = l7(ps, ps.map((_, i) => rule(i + 1, i + 1)));
    assert.deepEqual(out.map((p) => p.id), [3, 5, 2, 4, 1].map((n) => uuid('policy', n)));
    assert.deepEqual(out.map((p) => p.action), [
      { kind: 'deny' }, { kind: 'deny' },
      { kind: 'redirect-prefix', prefix: 'http://p', code: null },
      { kind: 'redirect-location', url: 'http://u', code: 301 },
      { kind: 'backend', backend: `${uuid('pool', 2)}:${uuid('listener', 1)}` },
    ]);
  });

  test('skipped: disabled policies, policies without an enabled live rule, redirects to a disabled pool', () => {
    const ps = [
      policy(1, 1, { admin_state_up: false }), policy(2, 1), policy(3, 1),
      policy(4, 1, { action: 'REDIRECT_TO_POOL', redirect_pool_id: uuid('pool', 3) }), policy(5, 1),
    ];
    const rs = [rule(1, 1), rule(2, 2, { admin_state_up: false }), rule(3, 3, { provisioning_status: 'PENDING_DELETE' }), rule(4, 4), rule(5, 5)];
    assert.deepEqual(l7(ps, rs).map((p) => p.id), [uuid('policy', 5)]);
  });

  test('rules of one policy are ANDed, disabled rules left out, invert kept', () => {
    const out = l7([policy(1, 1)], [rule(1, 1), rule(2, 1, { invert: true }), rule(3, 1, { admin_state_up: false })]);
    assert.deepEqual(out[0].conditions.map((c) => [c.name, c.invert]), [[uuid('rule', 1), false], [uuid('rule', 2), true]]);
  });

  const acl = (over: Parameters<typeof rule>[2]): AclIR => l7([policy(1, 1)], [rule(1, 1, over)])[0].conditions[0];

  test('rule types and compare types map to HAProxy fetches and match methods', () => {
    const m = (a: AclIR) => [a.sample, a.match];
    assert.deepEqual(m(acl({ type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'a.example' })),
      [{ fetch: 'host' }, { method: 'str', ignoreCase: true, pattern: 'a.example' }]);
    assert.deepEqual(m(acl({ type: 'PATH', compare_type: 'STARTS_WITH', value: '/a' })), [{ fetch: 'path' }, { method: 'beg', ignoreCase: false, pattern: '/a' }]);
    assert.deepEqual(m(acl({ type: 'PATH', compare_type: 'ENDS_WITH', value: '/a' }))[1], { method: 'end', ignoreCase: false, pattern: '/a' });
    assert.deepEqual(m(acl({ type: 'PATH', compare_type: 'CONTAINS', value: 'a' }))[1], { method: 'sub', ignoreCase: false, pattern: 'a' });
    assert.deepEqual(m(acl({ type: 'PATH', compare_type: 'REGEX', value: '^/a$' }))[1], { method: 'reg', ignoreCase: false, pattern: '^/a$' });
    assert.deepEqual(m(acl({ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-A', value: '"a b"' })),
      [{ fetch: 'header', name: 'X-A' }, { method: 'str', ignoreCase: false, pattern: 'a b' }]);
    assert.deepEqual(m(acl({ type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'c', value: 'v' }))[0], { fetch: 'cookie', name: 'c' });
    assert.deepEqual(m(acl({ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: 'CN', value: 'v' }))[0], { fetch: 'ssl-dn', field: 'CN' });
    assert.deepEqual(m(acl({ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'tRUe' })), [{ fetch: 'ssl-has-cert' }, null]);
    const verify = acl({ type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '21' });
    assert.deepEqual([verify.sample, verify.match, verify.integer], [{ fetch: 'ssl-verify' }, null, 21]);
  });

  test('FILE_TYPE matches the extension (EQUAL_TO) or the whole path (REGEX)', () => {
    assert.deepEqual(acl({ type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'jpg' }).match, { method: 'end', ignoreCase: false, pattern: '.jpg' });
    assert.deepEqual(acl({ type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: '.png' }).match?.pattern, '.png');
    assert.deepEqual(acl({ type: 'FILE_TYPE', compare_type: 'REGEX', value: '\\.jpe?g$' }).match, { method: 'reg', ignoreCase: false, pattern: '\\.jpe?g$' });
  });

  test('corrupt rules are refused rather than guessed: no key, a non-integer verify result', () => {
    assert.throws(() => acl({ type: 'HEADER', key: null }), RenderError);
    assert.throws(() => acl({ type: 'SSL_VERIFY_RESULT', value: '0 or 1' }), RenderError);
  });

  test('L7 policies are not rendered on TCP listeners', () => {
    const g = simpleGraph(1, { listener: { protocol: 'TCP' }, pool: { protocol: 'TCP' } });
    g.l7policies.push(policy(1, 1));
    g.l7rules.push(rule(1, 1));
    assert.deepEqual(ir(g).frontends[0].policies, []);
  });
});
