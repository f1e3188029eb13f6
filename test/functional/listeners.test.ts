import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { testApp, activeLoadBalancer, SUBNET } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { LISTENER_POOL_PROTOCOLS, LISTENER_PROTOCOLS, POOL_PROTOCOLS } from '../../src/domain/enums.ts';

const LISTENERS = '/v2/lbaas/listeners';
const CERT = 'http://barbican.example/v1/containers/9f5c1b3e';
const CA = 'http://barbican.example/v1/secrets/ca-1';
const CRL = 'http://barbican.example/v1/secrets/crl-1';
const MAX_TIMEOUT = 24 * 24 * 60 * 60 * 1000;
const OWASP_CIPHERS = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:'
  + 'DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:'
  + 'ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA256:DHE-RSA-AES128-SHA256:'
  + 'ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256';

describe('listeners', () => {
  let app: TestApp;
  before(async () => { app = await testApp(); });
  after(async () => { await app.close(); });

  const post = (lbId: string, extra: Record<string, unknown> = {}, project = 'p1') =>
    app.req('POST', LISTENERS, { listener: { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lbId, ...extra } }, project);
  const put = (id: string, body: Record<string, unknown>) => app.req('PUT', `${LISTENERS}/${id}`, { listener: body });
  const show = async (id: string) => (await app.req('GET', `${LISTENERS}/${id}`)).body.listener;
  const lbOf = async (id: string) => (await app.req('GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer;

  /** Creates a listener and waits until it is ACTIVE. */
  async function activeListener(lbId: string, extra: Record<string, unknown> = {}) {
    const res = await post(lbId, extra);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await app.settle();
    return show(res.body.listener.id);
  }

  /** Pools are inserted directly so these tests do not depend on the pool API. */
  async function insertPool(lbId: string, protocol: string, project = 'p1') {
    const id = randomUUID();
    await app.runtime.store.insert('pool', {
      id, project_id: project, name: null, description: null, admin_state_up: true, provisioning_status: 'ACTIVE',
      operating_status: 'ONLINE', tags: [], created_at: new Date().toISOString(), updated_at: null, load_balancer_id: lbId,
      listener_id: null, protocol, lb_algorithm: 'ROUND_ROBIN', session_persistence: null, tls_enabled: false,
      tls_container_ref: null, ca_tls_container_ref: null, crl_container_ref: null, tls_ciphers: null,
      tls_versions: null, alpn_protocols: null,
    } as any);
    return id;
  }

  async function insertPolicy(lbId: string, listenerId: string, position: number) {
    const id = randomUUID();
    await app.runtime.store.insert('l7policy', {
      id, project_id: 'p1', name: null, description: null, admin_state_up: true, provisioning_status: 'ACTIVE',
      operating_status: 'ONLINE', tags: [], created_at: new Date().toISOString(), updated_at: null, load_balancer_id: lbId,
      listener_id: listenerId, action: 'REJECT', position, redirect_pool_id: null, redirect_url: null,
      redirect_prefix: null, redirect_http_code: null,
    } as any);
    return id;
  }

  function assertFault(res: { status: number; body: any }, status: number, pattern?: RegExp | string) {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body).sort(), ['debuginfo', 'faultcode', 'faultstring']);
    if (typeof pattern === 'string') assert.equal(res.body.faultstring, pattern);
    else if (pattern) assert.match(res.body.faultstring, pattern);
  }

  describe('create', () => {
    test('answers 201 PENDING_CREATE/OFFLINE with Octavia defaults; the LB goes PENDING_UPDATE, then both ACTIVE', async () => {
      const lb = await activeLoadBalancer(app);
      app.gate.hold();
      try {
        const res = await post(lb.id);
        assert.equal(res.status, 201);
        const l = res.body.listener;
        assert.equal(l.provisioning_status, 'PENDING_CREATE');
        assert.equal(l.operating_status, 'OFFLINE');
        assert.deepEqual({ ...l, id: undefined, created_at: undefined }, {
          id: undefined, created_at: undefined, name: '', description: '', admin_state_up: true,
          provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE', protocol: 'HTTP', protocol_port: 80,
          connection_limit: -1, default_tls_container_ref: null, sni_container_refs: [], project_id: 'p1',
          tenant_id: 'p1', default_pool_id: null, l7policies: [], insert_headers: {}, updated_at: null,
          loadbalancers: [{ id: lb.id }], timeout_client_data: 50000, timeout_member_connect: 5000,
          timeout_member_data: 50000, timeout_tcp_inspect: 0, tags: [], client_ca_tls_container_ref: null,
          client_authentication: 'NONE', client_crl_container_ref: null, allowed_cidrs: null, tls_ciphers: null,
          tls_versions: null, alpn_protocols: null, hsts_max_age: null, hsts_include_subdomains: false, hsts_preload: false,
        });
        assert.match(l.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
        assert.equal((await lbOf(lb.id)).provisioning_status, 'PENDING_UPDATE');
      } finally {
        app.gate.release();
      }
      await app.settle();
      const listener = (await app.req('GET', LISTENERS + `?loadbalancer_id=${lb.id}`)).body.listeners[0];
      assert.equal(listener.provisioning_status, 'ACTIVE');
      assert.equal((await lbOf(lb.id)).provisioning_status, 'ACTIVE');
    });

    test('the listener shows in its load balancer, and belongs to the LB project whatever the body says', async () => {
      const lb = await activeLoadBalancer(app, {}, 'owner');
      const res = await post(lb.id, { project_id: 'someone-else', tenant_id: 'another' }, 'owner');
      assert.equal(res.status, 201);
      assert.equal(res.body.listener.project_id, 'owner');
      assert.equal(res.body.listener.tenant_id, 'owner');
      await app.settle();
      assert.deepEqual((await lbOf(lb.id)).listeners, [{ id: res.body.listener.id }]);
    });

    test('keeps every given field, including the timeout bounds', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id, {
        name: 'web', description: 'front door', admin_state_up: false, protocol: 'TCP', protocol_port: '8080',
        connection_limit: 10, timeout_client_data: 1, timeout_member_connect: 2, timeout_member_data: 0,
        timeout_tcp_inspect: MAX_TIMEOUT, tags: ['a', 'b'],
      });
      assert.equal(l.name, 'web');
      assert.equal(l.description, 'front door');
      assert.equal(l.admin_state_up, false);
      assert.equal(l.protocol_port, 8080);
      assert.equal(l.connection_limit, 10);
      assert.deepEqual([l.timeout_client_data, l.timeout_member_connect, l.timeout_member_data, l.timeout_tcp_inspect], [1, 2, 0, MAX_TIMEOUT]);
      assert.deepEqual(l.tags, ['a', 'b']);
    });

    test('an explicit null admin_state_up means false, as in Octavia', async () => {
      const lb = await activeLoadBalancer(app);
      const res = await post(lb.id, { admin_state_up: null });
      assert.equal(res.body.listener.admin_state_up, false);
    });

    test('timeouts outside 0..MAX_TIMEOUT are 400 naming the field', async () => {
      const lb = await activeLoadBalancer(app);
      for (const field of ['timeout_client_data', 'timeout_member_connect', 'timeout_member_data', 'timeout_tcp_inspect']) {
        const high = await post(lb.id, { [field]: MAX_TIMEOUT + 1 });
        assertFault(high, 400, new RegExp(`Invalid input for field/attribute ${field}.*Value should be lower or equal to ${MAX_TIMEOUT}`));
        const low = await post(lb.id, { [field]: -1 });
        assertFault(low, 400, new RegExp(`${field}.*Value should be greater or equal to 0`));
      }
      assert.equal((await lbOf(lb.id)).provisioning_status, 'ACTIVE');
    });

    test('malformed bodies are 400 with a fault body and leave the LB ACTIVE', async () => {
      const lb = await activeLoadBalancer(app);
      const base = { protocol: 'HTTP', protocol_port: 80, loadbalancer_id: lb.id };
      const bodies: unknown[] = [
        { listener: { ...base, protocol_port: 0 } },
        { listener: { ...base, protocol_port: 65536 } },
        { listener: { ...base, protocol_port: 'eighty' } },
        { listener: { ...base, protocol_port: 80.5 } },
        { listener: { ...base, connection_limit: -2 } },
        { listener: { ...base, protocol: 'PROXY' } },
        { listener: { ...base, protocol: 'SEAN_CONNERY' } },
        { listener: { ...base, loadbalancer_id: 'not-a-uuid' } },
        { listener: { ...base, default_pool_id: 'not-a-uuid' } },
        { listener: { ...base, bogus: 1 } },
        { listener: { ...base, name: 'x'.repeat(256) } },
        { listener: { ...base, name: 5 } },
        { listener: { ...base, admin_state_up: 'maybe' } },
        { listener: { ...base, sni_container_refs: 'ref' } },
        { listener: { ...base, insert_headers: ['X-Forwarded-For'] } },
        { listener: { ...base, tags: 'a' } },
        { listener: { ...base, client_authentication: 'SOMETIMES' } },
        { listener: { ...base, tls_ciphers: ['cipher-insecure'] } },
        { listener: { ...base, default_pool: { protocol: 'HTTP' } } },
        { listener: { protocol_port: 80, loadbalancer_id: lb.id } },
        { listener: { protocol: 'HTTP', loadbalancer_id: lb.id } },
        { listener: { protocol: 'HTTP', protocol_port: 80 } },
        { listener: [] },
        { listeners: base },
        { listener: base, extra: 1 },
        '{not json',
      ];
      for (const body of bodies) assertFault(await app.req('POST', LISTENERS, body), 400);
      assert.equal((await lbOf(lb.id)).provisioning_status, 'ACTIVE');
      assert.deepEqual((await lbOf(lb.id)).listeners, []);
    });

    test('a missing mandatory field is named', async () => {
      const lb = await activeLoadBalancer(app);
      const res = await app.req('POST', LISTENERS, { listener: { protocol: 'HTTP', loadbalancer_id: lb.id } });
      assertFault(res, 400, "Invalid input for field/attribute protocol_port. Value: 'None'. Mandatory field missing.");
    });

    test('an unknown load balancer is 404', async () => {
      const id = randomUUID();
      assertFault(await post(id), 404, `Load Balancer ${id} not found.`);
    });

    test('a load balancer that is not ACTIVE answers 409', async () => {
      app.gate.hold();
      try {
        const res = await app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
        const lbId = res.body.loadbalancer.id;
        // Octavia names the load balancer for a child write ("Invalid state" is for LB writes).
        assertFault(await post(lbId), 409, `Load Balancer ${lbId} is immutable and cannot be updated.`);
      } finally {
        app.gate.release();
      }
      await app.settle();
    });
  });

  describe('protocol ports', () => {
    test('a second listener on the same port and L4 protocol is 409', async () => {
      const lb = await activeLoadBalancer(app);
      await activeListener(lb.id, { protocol: 'TCP' });
      for (const protocol of ['TCP', 'HTTP', 'HTTPS', 'PROMETHEUS']) {
        assertFault(await post(lb.id, { protocol }), 409,
          'Another Listener on this Load Balancer is already using protocol TCP and protocol_port 80');
      }
      assert.equal((await lbOf(lb.id)).provisioning_status, 'ACTIVE');
    });

    test('TCP, UDP and SCTP may share a port number; other load balancers are free to use it', async () => {
      // noop: the amphora provider refuses SCTP listeners until an engine serves them (sctp test below).
      const lb = await activeLoadBalancer(app, { provider: 'noop' });
      await activeListener(lb.id, { protocol: 'TCP' });
      await activeListener(lb.id, { protocol: 'UDP' });
      await activeListener(lb.id, { protocol: 'SCTP' });
      assertFault(await post(lb.id, { protocol: 'UDP' }), 409, /protocol UDP and protocol_port 80/);
      const other = await activeLoadBalancer(app);
      await activeListener(other.id, { protocol: 'TCP' });
    });
  });

  describe('default pool', () => {
    test('a pool of the same load balancer is accepted and may be shared by listeners', async () => {
      const lb = await activeLoadBalancer(app);
      const pool = await insertPool(lb.id, 'HTTP');
      const a = await activeListener(lb.id, { default_pool_id: pool });
      const b = await activeListener(lb.id, { default_pool_id: pool.toUpperCase(), protocol_port: 81 });
      assert.equal(a.default_pool_id, pool);
      assert.equal(b.default_pool_id, pool);
    });

    test('an unknown pool, or one of another load balancer, is 404', async () => {
      const lb = await activeLoadBalancer(app);
      const other = await activeLoadBalancer(app);
      const foreign = await insertPool(other.id, 'HTTP');
      const missing = randomUUID();
      assertFault(await post(lb.id, { default_pool_id: missing }), 404, `Pool ${missing} not found.`);
      assertFault(await post(lb.id, { default_pool_id: foreign }), 404, `Pool ${foreign} not found.`);
      assert.equal((await lbOf(lb.id)).provisioning_status, 'ACTIVE');
    });

    test('the pool protocol must be one the listener protocol can forward to', async () => {
      const amphora = await activeLoadBalancer(app);
      const noop = await activeLoadBalancer(app, { provider: 'noop' });
      let port = 1000;
      for (const listenerProtocol of LISTENER_PROTOCOLS) {
        if (listenerProtocol === 'PROMETHEUS') continue;
        const lb = listenerProtocol === 'SCTP' ? noop : amphora;
        for (const poolProtocol of POOL_PROTOCOLS) {
          const pool = await insertPool(lb.id, poolProtocol);
          const tls = listenerProtocol === 'TERMINATED_HTTPS' ? { sni_container_refs: [CERT] } : {};
          const res = await post(lb.id, { protocol: listenerProtocol, protocol_port: port++, default_pool_id: pool, ...tls });
          if (LISTENER_POOL_PROTOCOLS[listenerProtocol].includes(poolProtocol)) {
            assert.equal(res.status, 201, `${listenerProtocol} → ${poolProtocol}: ${JSON.stringify(res.body)}`);
            await app.settle();
          } else {
            assertFault(res, 400,
              `Validation failure: The pool protocol '${poolProtocol}' is invalid while the listener protocol is '${listenerProtocol}'.`);
          }
        }
      }
    });

    test('PROMETHEUS listeners cannot have a default pool', async () => {
      const lb = await activeLoadBalancer(app);
      const pool = await insertPool(lb.id, 'HTTP');
      assertFault(await post(lb.id, { protocol: 'PROMETHEUS', default_pool_id: pool }), 400,
        'Protocol PROMETHEUS listeners cannot have child objects.');
      const prom = await activeListener(lb.id, { protocol: 'PROMETHEUS', protocol_port: 9100 });
      assertFault(await put(prom.id, { default_pool_id: pool }), 400, /cannot have child objects/);
    });
  });

  describe('TLS', () => {
    test('TERMINATED_HTTPS gets Octavia default versions, ciphers and ALPN; given ones are kept', async () => {
      const lb = await activeLoadBalancer(app);
      const plain = await activeListener(lb.id, { protocol: 'TERMINATED_HTTPS', default_tls_container_ref: CERT });
      assert.deepEqual(plain.tls_versions, ['TLSv1.2', 'TLSv1.3']);
      assert.equal(plain.tls_ciphers, OWASP_CIPHERS);
      assert.deepEqual(plain.alpn_protocols, ['h2', 'http/1.1', 'http/1.0']);
      assert.equal(plain.default_tls_container_ref, CERT);
      const tuned = await activeListener(lb.id, {
        protocol: 'TERMINATED_HTTPS', protocol_port: 443, sni_container_refs: ['sni-a', 'sni-b', 'sni-a'],
        tls_versions: ['TLSv1.3'], tls_ciphers: 'TLS_AES_256_GCM_SHA384', alpn_protocols: ['h2'],
      });
      assert.deepEqual(tuned.sni_container_refs, ['sni-a', 'sni-b']);
      assert.deepEqual(tuned.tls_versions, ['TLSv1.3']);
      assert.equal(tuned.tls_ciphers, 'TLS_AES_256_GCM_SHA384');
      assert.deepEqual(tuned.alpn_protocols, ['h2']);
    });

    test('TERMINATED_HTTPS needs a default or SNI certificate', async () => {
      const lb = await activeLoadBalancer(app);
      assertFault(await post(lb.id, { protocol: 'TERMINATED_HTTPS', sni_container_refs: null }), 400,
        'Validation failure: An SNI or default certificate container reference must be provided for TERMINATED_HTTPS protocol listeners.');
      assertFault(await post(lb.id, { protocol: 'TERMINATED_HTTPS', client_ca_tls_container_ref: CA }), 400,
        /must be provided with a client CA container reference/);
    });

    test('certificate references are refused on protocols that do not terminate TLS', async () => {
      const lb = await activeLoadBalancer(app);
      for (const protocol of ['HTTP', 'HTTPS', 'TCP']) {
        for (const refs of [{ default_tls_container_ref: CERT }, { sni_container_refs: [CERT] }, { client_ca_tls_container_ref: CA }]) {
          assertFault(await post(lb.id, { protocol, ...refs }), 400,
            `Validation failure: Certificate container references are not allowed on ${protocol} protocol listeners.`);
        }
      }
      for (const protocol of ['UDP', 'SCTP']) {
        assertFault(await post(lb.id, { protocol, default_tls_container_ref: CERT }), 400,
          `Validation failure: ${protocol} protocol listener does not support TLS.`);
      }
    });

    test('client authentication and a CRL need a client CA', async () => {
      const lb = await activeLoadBalancer(app);
      const tls = { protocol: 'TERMINATED_HTTPS', default_tls_container_ref: CERT };
      for (const mode of ['MANDATORY', 'OPTIONAL']) {
        assertFault(await post(lb.id, { ...tls, client_authentication: mode }), 400,
          `Validation failure: Client authentication setting ${mode} requires a client CA container reference.`);
      }
      assertFault(await post(lb.id, { ...tls, client_crl_container_ref: CRL }), 400,
        'Validation failure: A client authentication CA reference is required to specify a client authentication revocation list.');
      const ok = await activeListener(lb.id, {
        ...tls, client_ca_tls_container_ref: CA, client_crl_container_ref: CRL, client_authentication: 'MANDATORY',
      });
      assert.equal(ok.client_ca_tls_container_ref, CA);
      assert.equal(ok.client_crl_container_ref, CRL);
      assert.equal(ok.client_authentication, 'MANDATORY');
    });

    test('references are non-empty strings of at most 255 characters', async () => {
      const lb = await activeLoadBalancer(app);
      const tls = { protocol: 'TERMINATED_HTTPS' };
      assertFault(await post(lb.id, { ...tls, default_tls_container_ref: '' }), 400, /default_tls_container_ref/);
      assertFault(await post(lb.id, { ...tls, default_tls_container_ref: 'x'.repeat(256) }), 400, /maximum character requirement of 255/);
      assertFault(await post(lb.id, { ...tls, sni_container_refs: [''] }), 400, /sni_container_refs/);
      assertFault(await post(lb.id, { ...tls, sni_container_refs: [7] }), 400, /sni_container_refs/);
    });

    test('TLS versions, ALPN protocols and cipher strings are checked', async () => {
      const lb = await activeLoadBalancer(app);
      const tls = { protocol: 'TERMINATED_HTTPS', default_tls_container_ref: CERT };
      assertFault(await post(lb.id, { ...tls, tls_versions: ['TLSv1.3', 'insecure'] }), 400, 'Validation failure: Invalid TLS versions: insecure');
      assertFault(await post(lb.id, { ...tls, tls_versions: [] }), 400, /Empty TLS version list/);
      assertFault(await post(lb.id, { ...tls, alpn_protocols: ['http/1.1', 'invalid-proto'] }), 400,
        /Invalid input for field\/attribute alpn_protocols.*Value should be a valid ALPN protocol ID/);
      assertFault(await post(lb.id, { ...tls, alpn_protocols: [] }), 400, /Empty ALPN protocol list/);
      assertFault(await post(lb.id, { ...tls, tls_ciphers: 'AES256 SHA;rm' }), 400, /Invalid characters in cipher string/);
      assertFault(await post(lb.id, { ...tls, tls_ciphers: 'x'.repeat(2049) }), 400, /tls_ciphers/);
    });

    test('PROMETHEUS listeners are allowed, with TLS only when they carry a certificate', async () => {
      const lb = await activeLoadBalancer(app);
      const prom = await activeListener(lb.id, { protocol: 'PROMETHEUS', protocol_port: 9100 });
      assert.equal(prom.protocol, 'PROMETHEUS');
      assert.equal(prom.tls_versions, null);
      const tls = await activeListener(lb.id, { protocol: 'PROMETHEUS', protocol_port: 9101, default_tls_container_ref: CERT });
      assert.equal(tls.default_tls_container_ref, CERT);
      assertFault(await post(lb.id, { protocol: 'PROMETHEUS', protocol_port: 9102, client_ca_tls_container_ref: CA }), 400,
        /must be provided with a client CA container reference/);
    });
  });

  describe('insert_headers', () => {
    test('HTTP takes the X-Forwarded-* headers; TERMINATED_HTTPS also the X-SSL-* ones', async () => {
      const lb = await activeLoadBalancer(app);
      const headers = { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'True', 'X-Forwarded-Proto': 'false' };
      assert.deepEqual((await activeListener(lb.id, { insert_headers: headers })).insert_headers, headers);
      const ssl = { 'X-SSL-Client-Verify': 'true', 'X-SSL-Client-DN': 'true', 'X-SSL-Client-Not-After': 'true' };
      const terminated = await activeListener(lb.id, {
        protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: CERT, insert_headers: ssl,
      });
      assert.deepEqual(terminated.insert_headers, ssl);
    });

    test('protocols without header insertion refuse them, naming the protocol', async () => {
      const lb = await activeLoadBalancer(app);
      for (const protocol of ['HTTPS', 'TCP', 'UDP', 'SCTP', 'PROMETHEUS']) {
        assertFault(await post(lb.id, { protocol, insert_headers: { 'X-Forwarded-For': 'true' } }), 400,
          `insert-headers is not a valid option for a ${protocol} protocol listener.`);
      }
    });

    test('unknown names, X-SSL-* on HTTP, and values other than true/false are 400', async () => {
      const lb = await activeLoadBalancer(app);
      assertFault(await post(lb.id, { insert_headers: { 'X-Forwarded-Four': 'true' } }), 400,
        "dict_keys(['X-Forwarded-Four']) is not a valid option for insert_headers");
      assertFault(await post(lb.id, { insert_headers: { 'X-SSL-Client-DN': 'true' } }), 400,
        "['X-SSL-Client-DN'] is not a valid option for HTTP protocol listener.");
      assertFault(await post(lb.id, { insert_headers: { 'X-Forwarded-For': 'maybe' } }), 400, /insert_headers.*'true' or 'false'/);
      assertFault(await post(lb.id, { insert_headers: { 'X-Forwarded-For': true } }), 400, /insert_headers/);
    });
  });

  describe('allowed_cidrs', () => {
    test('are normalised, deduplicated and shown; none shows null', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id, { protocol: 'TCP', allowed_cidrs: ['10.0.1.5/24', '10.0.2.0/24', '10.0.1.0/24', '192.0.2.7'] });
      assert.deepEqual(l.allowed_cidrs, ['10.0.1.0/24', '10.0.2.0/24', '192.0.2.7/32']);
      assert.equal((await activeListener(lb.id, { protocol_port: 81 })).allowed_cidrs, null);
    });

    test('malformed CIDRs are 400', async () => {
      const lb = await activeLoadBalancer(app);
      for (const bad of ['10.0.1.0/33', '172.16.55.1.0/25', '10.0.0.0/', 'fe80::1%eth0/64', 'host']) {
        assertFault(await post(lb.id, { allowed_cidrs: [bad] }), 400, /allowed_cidrs.*Value should be IPv4 or IPv6 CIDR format/);
      }
    });

    test('must be of the VIP IP version', async () => {
      const v4 = await activeLoadBalancer(app);
      assertFault(await post(v4.id, { allowed_cidrs: ['2001:db8:a0b:12f0::/64'] }), 400,
        `Validation failure: CIDR 2001:db8:a0b:12f0::/64 IP version incompatible with VIP ${v4.vip_address} IP version.`);
      // The noop network takes any address; the loopback subnet has no IPv6.
      const v6 = await activeLoadBalancer(app, { vip_address: '2001:db9:a1b:13f0::1', provider: 'noop' });
      assertFault(await post(v6.id, { allowed_cidrs: ['10.0.1.0/24'] }), 400,
        'Validation failure: CIDR 10.0.1.0/24 IP version incompatible with VIP 2001:db9:a1b:13f0::1 IP version.');
      const l = await activeListener(v6.id, { allowed_cidrs: ['2001:DB8:A0B:12F0:0:0:0:1/64', '2a02:8071:69e::/64'] });
      assert.deepEqual(l.allowed_cidrs, ['2001:db8:a0b:12f0::/64', '2a02:8071:69e::/64']);
    });
  });

  describe('HSTS (v2.27)', () => {
    test('TERMINATED_HTTPS listeners carry max-age, includeSubDomains and preload', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id, {
        protocol: 'TERMINATED_HTTPS', default_tls_container_ref: CERT,
        hsts_max_age: 31536000, hsts_include_subdomains: true, hsts_preload: true,
      });
      assert.deepEqual([l.hsts_max_age, l.hsts_include_subdomains, l.hsts_preload], [31536000, true, true]);
    });

    test('are refused on other protocols, without a max-age, or out of range', async () => {
      const lb = await activeLoadBalancer(app);
      const tls = { protocol: 'TERMINATED_HTTPS', default_tls_container_ref: CERT };
      assertFault(await post(lb.id, { hsts_max_age: 10 }), 400, /HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol/);
      assertFault(await post(lb.id, { hsts_preload: true, protocol: 'TCP' }), 400, /TERMINATED_HTTPS/);
      assertFault(await post(lb.id, { ...tls, hsts_include_subdomains: true }), 400, /only make sense if hsts_max_age is set/);
      assertFault(await post(lb.id, { ...tls, hsts_preload: true }), 400, /only make sense if hsts_max_age is set/);
      assertFault(await post(lb.id, { ...tls, hsts_max_age: -1 }), 400, /hsts_max_age.*greater or equal to 0/);
      assertFault(await post(lb.id, { ...tls, hsts_max_age: 2 ** 31 }), 400, /hsts_max_age/);
      assert.equal((await post(lb.id, { hsts_include_subdomains: false, hsts_preload: false })).status, 201);
    });
  });

  describe('quota', () => {
    test('the listener quota of the LB project is enforced', async () => {
      const limited = await testApp({
        quotas: { load_balancer: -1, listener: 1, pool: -1, member: -1, health_monitor: -1, l7policy: -1, l7rule: -1 },
      });
      try {
        const lb = await activeLoadBalancer(limited);
        const body = (port: number) => ({ listener: { protocol: 'TCP', protocol_port: port, loadbalancer_id: lb.id } });
        assert.equal((await limited.req('POST', LISTENERS, body(1))).status, 201);
        await limited.settle();
        assertFault(await limited.req('POST', LISTENERS, body(2)), 403, 'Quota has been met for resources: Listener');
      } finally {
        await limited.close();
      }
    });
  });

  describe('show and list', () => {
    test('show answers the listener, honours fields, and 404s unknown ids', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id, { name: 'shown' });
      assert.deepEqual(await show(l.id), l);
      const some = await app.req('GET', `/v2.0/lbaas/listeners/${l.id}?fields=id,project_id`);
      assert.deepEqual(Object.keys(some.body.listener).sort(), ['id', 'project_id']);
      assertFault(await app.req('GET', `${LISTENERS}/SEAN-CONNERY`), 404, 'Listener SEAN-CONNERY not found.');
    });

    test('L7 policies show by id in position order', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id);
      const second = await insertPolicy(lb.id, l.id, 2);
      const first = await insertPolicy(lb.id, l.id, 1);
      assert.deepEqual((await show(l.id)).l7policies, [{ id: first }, { id: second }]);
    });

    test('list filters by load balancer, project and tags, sorts and paginates', async () => {
      const lb = await activeLoadBalancer(app, {}, 'lister');
      for (const [name, port, tags] of [['c', 1, ['x']], ['a', 2, ['x', 'y']], ['b', 3, []]] as const) {
        assert.equal((await post(lb.id, { name, protocol_port: port, tags }, 'lister')).status, 201);
        await app.settle();
      }
      const byLb = await app.req('GET', `${LISTENERS}?loadbalancer_id=${lb.id}&sort=name:asc&limit=2`);
      assert.deepEqual(byLb.body.listeners.map((x: any) => x.name), ['a', 'b']);
      const next = byLb.body.listeners_links.find((link: any) => link.rel === 'next');
      const marker = new URL(next.href).searchParams.get('marker');
      const page2 = await app.req('GET', `${LISTENERS}?loadbalancer_id=${lb.id}&sort=name:asc&limit=2&marker=${marker}`);
      assert.deepEqual(page2.body.listeners.map((x: any) => x.name), ['c']);
      const byProject = await app.req('GET', `${LISTENERS}?project_id=lister&sort=name:desc`);
      assert.deepEqual(byProject.body.listeners.map((x: any) => x.name), ['c', 'b', 'a']);
      const tagged = await app.req('GET', `${LISTENERS}?project_id=lister&tags=x&sort=name`);
      assert.deepEqual(tagged.body.listeners.map((x: any) => x.name), ['a', 'c']);
      const notY = await app.req('GET', `${LISTENERS}?load_balancer_id=${lb.id}&not-tags=y&sort=name`);
      assert.deepEqual(notY.body.listeners.map((x: any) => x.name), ['b', 'c']);
    });
  });

  describe('update', () => {
    test('answers 200 PENDING_UPDATE, locks the LB, and settles ACTIVE', async () => {
      const lb = await activeLoadBalancer(app);
      const pool = await insertPool(lb.id, 'HTTP');
      const l = await activeListener(lb.id, { name: 'old', tags: ['old'] });
      app.gate.hold();
      try {
        const res = await put(l.id, {
          name: 'new', admin_state_up: false, default_pool_id: pool, connection_limit: 5,
          timeout_client_data: 1, timeout_member_connect: 2, timeout_member_data: 3, timeout_tcp_inspect: 4, tags: ['new'],
        });
        assert.equal(res.status, 200);
        const u = res.body.listener;
        assert.equal(u.provisioning_status, 'PENDING_UPDATE');
        assert.deepEqual([u.name, u.admin_state_up, u.default_pool_id, u.connection_limit], ['new', false, pool, 5]);
        assert.deepEqual([u.timeout_client_data, u.timeout_member_connect, u.timeout_member_data, u.timeout_tcp_inspect], [1, 2, 3, 4]);
        assert.deepEqual(u.tags, ['new']);
        assert.equal(u.created_at, l.created_at);
        assert.ok(u.updated_at);
        assert.equal((await lbOf(lb.id)).provisioning_status, 'PENDING_UPDATE');
      } finally {
        app.gate.release();
      }
      await app.settle();
      assert.equal((await show(l.id)).provisioning_status, 'ACTIVE');
      assert.equal((await lbOf(lb.id)).provisioning_status, 'ACTIVE');
    });

    test('null resets each field to its default (tags are left alone)', async () => {
      const lb = await activeLoadBalancer(app);
      const pool = await insertPool(lb.id, 'HTTP');
      const l = await activeListener(lb.id, {
        protocol: 'TERMINATED_HTTPS', name: 'n', description: 'd', connection_limit: 10, default_tls_container_ref: CERT,
        sni_container_refs: ['sni'], default_pool_id: pool, tags: ['keep'], insert_headers: { 'X-Forwarded-For': 'true' },
        timeout_client_data: 1, timeout_member_connect: 2, timeout_member_data: 3, timeout_tcp_inspect: 4,
        client_authentication: 'OPTIONAL', client_ca_tls_container_ref: CA, client_crl_container_ref: CRL,
        tls_versions: ['TLSv1.3'], tls_ciphers: 'TLS_AES_256_GCM_SHA384', alpn_protocols: ['http/1.0'],
        allowed_cidrs: ['10.0.0.0/8'], hsts_max_age: 100, hsts_include_subdomains: true, hsts_preload: true,
      });
      const fields = [
        'name', 'description', 'connection_limit', 'default_tls_container_ref', 'sni_container_refs', 'insert_headers',
        'timeout_client_data', 'timeout_member_connect', 'timeout_member_data', 'timeout_tcp_inspect',
        'client_ca_tls_container_ref', 'client_authentication', 'default_pool_id', 'client_crl_container_ref',
        'tls_versions', 'tls_ciphers', 'alpn_protocols', 'allowed_cidrs', 'hsts_max_age', 'hsts_include_subdomains',
        'hsts_preload', 'tags',
      ];
      const res = await put(l.id, Object.fromEntries(fields.map((f) => [f, null])));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const u = res.body.listener;
      assert.deepEqual([u.name, u.description, u.connection_limit], ['', '', -1]);
      assert.deepEqual([u.default_tls_container_ref, u.sni_container_refs, u.insert_headers], [null, [], {}]);
      assert.deepEqual([u.timeout_client_data, u.timeout_member_connect, u.timeout_member_data, u.timeout_tcp_inspect], [50000, 5000, 50000, 0]);
      assert.deepEqual([u.client_ca_tls_container_ref, u.client_crl_container_ref, u.client_authentication], [null, null, 'NONE']);
      assert.equal(u.default_pool_id, null);
      assert.deepEqual(u.tls_versions, ['TLSv1.2', 'TLSv1.3']);
      assert.equal(u.tls_ciphers, OWASP_CIPHERS);
      assert.deepEqual(u.alpn_protocols, ['h2', 'http/1.1', 'http/1.0']);
      assert.equal(u.allowed_cidrs, null);
      assert.deepEqual([u.hsts_max_age, u.hsts_include_subdomains, u.hsts_preload], [null, false, false]);
      assert.deepEqual(u.tags, ['keep']);
      await app.settle();
    });

    test('an explicit null admin_state_up means false; an empty listener object is a no-op update', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id);
      assert.equal((await put(l.id, { admin_state_up: null })).body.listener.admin_state_up, false);
      await app.settle();
      const res = await put(l.id, {});
      assert.equal(res.status, 200);
      assert.equal(res.body.listener.provisioning_status, 'PENDING_UPDATE');
      await app.settle();
    });

    test('protocol, port and load balancer cannot change; malformed bodies are 400', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id);
      for (const body of [
        { listener: { protocol: 'TCP' } }, { listener: { protocol_port: 81 } }, { listener: { loadbalancer_id: lb.id } },
        { listener: { connection_limit: -5 } }, { listener: { default_pool_id: 'nope' } }, { listener: { timeout_client_data: MAX_TIMEOUT + 1 } },
        { listener: { insert_headers: { 'X-Forwarded-For': 'yes please' } } }, {}, { listener: null }, { listener: 'x' },
      ]) {
        assertFault(await app.req('PUT', `${LISTENERS}/${l.id}`, body), 400);
      }
      assert.equal((await lbOf(lb.id)).provisioning_status, 'ACTIVE');
      assert.equal((await show(l.id)).provisioning_status, 'ACTIVE');
    });

    test('unknown ids are 404', async () => {
      assertFault(await put('SEAN-CONNERY', { name: 'x' }), 404, 'Listener SEAN-CONNERY not found.');
    });

    test('a pending load balancer or a pending listener answers 409', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id);
      app.gate.hold();
      try {
        assert.equal((await app.req('PUT', `/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: 'busy' } })).status, 200);
        assertFault(await put(l.id, { name: 'x' }), 409, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
      } finally {
        app.gate.release();
      }
      await app.settle();
      await app.runtime.store.update('listener', l.id, { provisioning_status: 'PENDING_UPDATE' });
      assertFault(await put(l.id, { name: 'x' }), 409, `Listener ${l.id} is immutable and cannot be updated.`);
      assert.equal((await lbOf(lb.id)).provisioning_status, 'ACTIVE');
      await app.runtime.store.update('listener', l.id, { provisioning_status: 'ERROR' });
      assert.equal((await put(l.id, { name: 'repaired' })).status, 200);
      await app.settle();
    });

    test('a bad default pool is refused and changes nothing', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id, { protocol: 'TCP' });
      const missing = randomUUID();
      assertFault(await put(l.id, { name: 'x', default_pool_id: missing }), 404, `Pool ${missing} not found.`);
      const udp = await insertPool(lb.id, 'UDP');
      assertFault(await put(l.id, { default_pool_id: udp }), 400,
        "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'TCP'.");
      assert.equal((await lbOf(lb.id)).provisioning_status, 'ACTIVE');
      const shown = await show(l.id);
      assert.equal(shown.name, '');
      assert.equal(shown.provisioning_status, 'ACTIVE');
      const tcp = await insertPool(lb.id, 'TCP');
      assert.equal((await put(l.id, { default_pool_id: tcp })).body.listener.default_pool_id, tcp);
      await app.settle();
    });

    test('TLS and header rules hold on update', async () => {
      const lb = await activeLoadBalancer(app);
      const http = await activeListener(lb.id);
      assertFault(await put(http.id, { sni_container_refs: ['a'] }), 400,
        'Validation failure: Certificate container references are not allowed on HTTP protocol listeners.');
      assertFault(await put(http.id, { insert_headers: { 'X-Bad-Header': 'true' } }), 400,
        "['X-Bad-Header'] is not a valid option for insert_headers");
      const udp = await activeListener(lb.id, { protocol: 'UDP' });
      assertFault(await put(udp.id, { insert_headers: { 'X-Forwarded-Port': 'true' } }), 400,
        'Validation failure: UDP protocol listener does not support TLS or header insertion.');
      const tcp = await activeListener(lb.id, { protocol: 'TCP', protocol_port: 81 });
      assertFault(await put(tcp.id, { insert_headers: { 'X-Forwarded-Port': 'true' } }), 400, /TCP protocol listener/);
      const tls = await activeListener(lb.id, { protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: CERT });
      const ssl = await put(tls.id, { sni_container_refs: ['s1', 's2'], insert_headers: { 'X-SSL-Issuer': 'true' }, default_tls_container_ref: 'other' });
      assert.equal(ssl.status, 200, JSON.stringify(ssl.body));
      assert.deepEqual(ssl.body.listener.sni_container_refs, ['s1', 's2']);
      assert.equal(ssl.body.listener.default_tls_container_ref, 'other');
      await app.settle();
      assertFault(await put(tls.id, { tls_versions: ['TLSv1.3', 'insecure'] }), 400, /Invalid TLS versions: insecure/);
      assertFault(await put(tls.id, { alpn_protocols: ['http/1.1', 'invalid-proto'] }), 400, /valid ALPN protocol ID/);
      assertFault(await put(tls.id, { tls_ciphers: ['cipher-insecure'] }), 400, /tls_ciphers/);
      const versions = await put(tls.id, { tls_versions: ['TLSv1.2'], alpn_protocols: ['h2'] });
      assert.deepEqual([versions.body.listener.tls_versions, versions.body.listener.alpn_protocols], [['TLSv1.2'], ['h2']]);
      await app.settle();
    });

    test('client authentication, CA and CRL stay consistent', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id, { protocol: 'TERMINATED_HTTPS', default_tls_container_ref: CERT });
      assertFault(await put(l.id, { client_authentication: 'OPTIONAL' }), 400,
        'Validation failure: Client authentication setting OPTIONAL requires a client CA container reference.');
      assertFault(await put(l.id, { client_crl_container_ref: CRL }), 400, /client authentication CA reference is required/);
      const withCa = await put(l.id, { client_ca_tls_container_ref: CA });
      assert.equal(withCa.body.listener.client_authentication, 'NONE');
      await app.settle();
      assert.equal((await put(l.id, { client_authentication: 'MANDATORY', client_crl_container_ref: CRL })).status, 200);
      await app.settle();
      // Clearing the CA while client authentication or a CRL still needs it is refused.
      assertFault(await put(l.id, { client_ca_tls_container_ref: null }), 400, /requires a client CA/);
      const noCrl = await put(l.id, { client_crl_container_ref: null });
      assert.deepEqual([noCrl.body.listener.client_ca_tls_container_ref, noCrl.body.listener.client_crl_container_ref], [CA, null]);
      assert.equal(noCrl.body.listener.client_authentication, 'MANDATORY');
      await app.settle();
    });

    test('allowed_cidrs are replaced, checked against the VIP, and cleared by null', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id, { protocol: 'TCP', allowed_cidrs: ['10.0.1.0/24', '10.0.2.0/24'] });
      const replaced = await put(l.id, { allowed_cidrs: ['10.0.1.0/24', '10.0.3.0/24'] });
      assert.deepEqual(replaced.body.listener.allowed_cidrs, ['10.0.1.0/24', '10.0.3.0/24']);
      await app.settle();
      assertFault(await put(l.id, { allowed_cidrs: ['2001:db8::/32'] }), 400, /IP version incompatible with VIP/);
      assert.equal((await put(l.id, { allowed_cidrs: null })).body.listener.allowed_cidrs, null);
      await app.settle();
    });

    test('HSTS rules hold on update', async () => {
      const lb = await activeLoadBalancer(app);
      const http = await activeListener(lb.id);
      assertFault(await put(http.id, { hsts_max_age: 100 }), 400, /TERMINATED_HTTPS protocol/);
      const tls = await activeListener(lb.id, { protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: CERT });
      assertFault(await put(tls.id, { hsts_preload: true }), 400, /only make sense if hsts_max_age is set/);
      const set = await put(tls.id, { hsts_max_age: 600, hsts_include_subdomains: true });
      assert.deepEqual([set.body.listener.hsts_max_age, set.body.listener.hsts_include_subdomains], [600, true]);
      await app.settle();
      assertFault(await put(tls.id, { hsts_max_age: null }), 400, /only make sense if hsts_max_age is set/);
      const cleared = await put(tls.id, { hsts_max_age: null, hsts_include_subdomains: false });
      assert.equal(cleared.body.listener.hsts_max_age, null);
      await app.settle();
    });
  });

  describe('delete', () => {
    test('answers 204, shows PENDING_DELETE, then the listener is gone from the API and its LB', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id);
      app.gate.hold();
      try {
        const res = await app.req('DELETE', `${LISTENERS}/${l.id}`);
        assert.equal(res.status, 204);
        assert.equal((await show(l.id)).provisioning_status, 'PENDING_DELETE');
        assert.equal((await lbOf(lb.id)).provisioning_status, 'PENDING_UPDATE');
        assertFault(await app.req('DELETE', `${LISTENERS}/${l.id}`), 409);
      } finally {
        app.gate.release();
      }
      await app.settle();
      assertFault(await app.req('GET', `${LISTENERS}/${l.id}`), 404);
      assert.deepEqual((await lbOf(lb.id)).listeners, []);
      assert.equal((await lbOf(lb.id)).provisioning_status, 'ACTIVE');
    });

    test('a pending listener, or one whose LB is busy, answers 409; unknown ids 404', async () => {
      const lb = await activeLoadBalancer(app);
      app.gate.hold();
      let id: string;
      try {
        id = (await post(lb.id)).body.listener.id;
        assertFault(await app.req('DELETE', `${LISTENERS}/${id}`), 409);
      } finally {
        app.gate.release();
      }
      await app.settle();
      await app.runtime.store.update('listener', id, { provisioning_status: 'PENDING_CREATE' });
      assertFault(await app.req('DELETE', `${LISTENERS}/${id}`), 409, `Listener ${id} is immutable and cannot be updated.`);
      assertFault(await app.req('DELETE', `${LISTENERS}/SEAN-CONNERY`), 404, 'Listener SEAN-CONNERY not found.');
    });

    test('takes the listener L7 policies and rules with it, and frees its port', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id);
      const policy = await insertPolicy(lb.id, l.id, 1);
      await app.runtime.store.insert('l7rule', {
        id: randomUUID(), project_id: 'p1', name: null, description: null, admin_state_up: true, provisioning_status: 'ACTIVE',
        operating_status: 'ONLINE', tags: [], created_at: new Date().toISOString(), updated_at: null, load_balancer_id: lb.id,
        l7policy_id: policy, type: 'PATH', compare_type: 'STARTS_WITH', key: null, value: '/api', invert: false,
      } as any);
      assert.equal((await app.req('DELETE', `${LISTENERS}/${l.id}`)).status, 204);
      await app.settle();
      assert.equal(await app.runtime.store.count('l7policy', { listener_id: l.id }), 0);
      assert.equal(await app.runtime.store.count('l7rule', { l7policy_id: policy }), 0);
      assert.equal((await post(lb.id)).status, 201);
      await app.settle();
    });

    test('listeners of a cascade-deleted load balancer are gone', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id);
      assert.equal((await app.req('DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`)).status, 204);
      await app.settle();
      assertFault(await put(l.id, { name: 'x' }), 404);
      assertFault(await app.req('DELETE', `${LISTENERS}/${l.id}`), 404);
      assertFault(await app.req('GET', `${LISTENERS}/${l.id}/stats`), 404);
    });
  });

  describe('statistics', () => {
    const stats = (listenerId: string, amphoraId: string, n: number) => app.runtime.store.insert('listener_stats', {
      listener_id: listenerId, amphora_id: amphoraId, bytes_in: n, bytes_out: 2 * n,
      active_connections: 3 * n, total_connections: 4 * n, request_errors: 5 * n,
    });
    const amphora = async (lbId: string, status: string) => {
      const id = randomUUID();
      await app.runtime.store.insert('amphora', {
        id, load_balancer_id: lbId, compute_id: null, lb_network_ip: null, vrrp_ip: null, ha_ip: null, vrrp_port_id: null,
        ha_port_id: null, cert_expiration: null, cert_busy: false, role: 'STANDALONE', status, vrrp_interface: null,
        vrrp_id: null, vrrp_priority: null, cached_zone: null, image_id: null, compute_flavor: null,
        created_at: new Date().toISOString(), updated_at: null,
      } as any);
      return id;
    };
    const zero = { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 };

    test('a listener without reports answers zeros; unknown ids 404', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id);
      assert.deepEqual((await app.req('GET', `${LISTENERS}/${l.id}/stats`)).body, { stats: zero });
      assert.deepEqual((await app.req('GET', `/v2/lbaas/loadbalancers/${lb.id}/stats`)).body, { stats: zero });
      assertFault(await app.req('GET', `${LISTENERS}/${randomUUID()}/stats`), 404);
    });

    test('listener stats sum its rows; active connections count only from live reporters', async () => {
      const lb = await activeLoadBalancer(app);
      const l = await activeListener(lb.id);
      await stats(l.id, await amphora(lb.id, 'ALLOCATED'), 1);
      await stats(l.id, await amphora(lb.id, 'READY'), 10);
      await stats(l.id, l.id, 100);
      const res = await app.req('GET', `${LISTENERS}/${l.id}/stats`);
      assert.deepEqual(res.body.stats, {
        bytes_in: 111, bytes_out: 222, active_connections: 303, total_connections: 444, request_errors: 555,
      });
    });

    test('load balancer stats sum every listener of that load balancer only', async () => {
      const lb = await activeLoadBalancer(app);
      const other = await activeLoadBalancer(app);
      const a = await activeListener(lb.id);
      const b = await activeListener(lb.id, { protocol_port: 81 });
      const elsewhere = await activeListener(other.id);
      await stats(a.id, a.id, 1);
      await stats(b.id, b.id, 2);
      await stats(elsewhere.id, elsewhere.id, 1000);
      const res = await app.req('GET', `/v2/lbaas/loadbalancers/${lb.id}/stats`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.stats, { bytes_in: 3, bytes_out: 6, active_connections: 9, total_connections: 12, request_errors: 15 });
      assertFault(await app.req('GET', `/v2/lbaas/loadbalancers/${randomUUID()}/stats`), 404);
      assert.equal((await app.req('DELETE', `/v2/lbaas/loadbalancers/${other.id}?cascade=true`)).status, 204);
      await app.settle();
      assertFault(await app.req('GET', `/v2/lbaas/loadbalancers/${other.id}/stats`), 404);
    });
  });
});
