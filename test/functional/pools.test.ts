import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, activeLoadBalancer } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { LISTENER_POOL_PROTOCOLS, POOL_PROTOCOLS } from '../../src/domain/enums.ts';
import type { ListenerProtocol } from '../../src/domain/enums.ts';
import { activePool, addListener, addRedirect, assertFault, MISSING, setStatus, status } from './pool-fixtures.ts';

const POOLS = '/v2/lbaas/pools';
const DEFAULT_CIPHERS = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:'
  + 'DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:'
  + 'ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA256:DHE-RSA-AES128-SHA256:'
  + 'ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256';

describe('pools', () => {
  let app: TestApp;
  before(async () => { app = await testApp(); });
  after(async () => { await app.close(); });

  const post = (pool: Record<string, unknown>, project?: string) =>
    app.req('POST', POOLS, { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', ...pool } }, project);
  const put = (id: string, pool: Record<string, unknown>) => app.req('PUT', `${POOLS}/${id}`, { pool });
  const show = async (id: string) => (await app.req('GET', `${POOLS}/${id}`)).body.pool;

  test('create on a load balancer: 201 PENDING_CREATE/OFFLINE, LB PENDING_UPDATE, Octavia response shape', async () => {
    const lb = await activeLoadBalancer(app);
    app.gate.hold();
    const res = await post({ loadbalancer_id: lb.id, name: 'web', tags: ['t1'] });
    assert.equal(res.status, 201);
    const p = res.body.pool;
    assert.deepEqual(Object.keys(p).sort(), [
      'admin_state_up', 'alpn_protocols', 'ca_tls_container_ref', 'created_at', 'crl_container_ref', 'description',
      'id', 'lb_algorithm', 'listeners', 'loadbalancers', 'members', 'name', 'operating_status',
      'project_id', 'protocol', 'provisioning_status', 'session_persistence', 'tags', 'tenant_id', 'tls_ciphers',
      'tls_container_ref', 'tls_enabled', 'tls_versions', 'updated_at',
    ]);
    assert.equal(p.provisioning_status, 'PENDING_CREATE');
    assert.equal(p.operating_status, 'OFFLINE');
    assert.deepEqual(p.loadbalancers, [{ id: lb.id }]);
    assert.deepEqual(p.listeners, []);
    assert.deepEqual(p.members, []);
    assert.ok(!('healthmonitor_id' in p), 'Octavia leaves the key out when the pool has no monitor');
    assert.equal(p.session_persistence, null);
    assert.equal(p.description, '');
    assert.equal(p.admin_state_up, true);
    assert.equal(p.tls_enabled, false);
    assert.equal(p.tls_versions, null);
    assert.equal(p.alpn_protocols, null);
    assert.equal(p.tls_ciphers, null);
    assert.equal(p.project_id, 'p1');
    assert.equal(p.tenant_id, 'p1');
    assert.equal(p.updated_at, null);
    assert.deepEqual(p.tags, ['t1']);
    assert.equal(await status(app, 'load_balancer', lb.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
    assert.equal((await show(p.id)).provisioning_status, 'ACTIVE');
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
  });

  test('create with a listener only: becomes its default pool, the listener goes PENDING_UPDATE', async () => {
    const lb = await activeLoadBalancer(app);
    const listener = await addListener(app, lb);
    const other = await addListener(app, lb);
    app.gate.hold();
    const res = await post({ listener_id: listener.id });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.pool.listeners, [{ id: listener.id }]);
    assert.deepEqual(res.body.pool.loadbalancers, [{ id: lb.id }]);
    const row = await app.runtime.store.get('listener', listener.id);
    assert.equal(row?.default_pool_id, res.body.pool.id);
    assert.equal(row?.provisioning_status, 'PENDING_UPDATE');
    assert.equal(await status(app, 'listener', other.id), 'ACTIVE');
    app.gate.release();
    await app.settle();
    assert.equal(await status(app, 'listener', listener.id), 'ACTIVE');
  });

  test('create with both ids needs them to agree', async () => {
    const lb = await activeLoadBalancer(app);
    const lb2 = await activeLoadBalancer(app);
    const listener = await addListener(app, lb2);
    assertFault(await post({ loadbalancer_id: lb.id, listener_id: listener.id }), 400, /is not on load balancer/);
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
    const ok = await post({ loadbalancer_id: lb2.id, listener_id: listener.id });
    assert.equal(ok.status, 201);
    await app.settle();
  });

  test('create needs a load balancer or a listener', async () => {
    assertFault(await post({}), 400, 'Validation failure: Must provide at least one of: loadbalancer_id, listener_id');
  });

  test('unknown load balancer or listener is 404', async () => {
    assertFault(await post({ loadbalancer_id: MISSING }), 404, `Load Balancer ${MISSING} not found.`);
    assertFault(await post({ listener_id: MISSING }), 404, `Listener ${MISSING} not found.`);
  });

  test('a listener with a default pool refuses another (409) and nothing is locked', async () => {
    const lb = await activeLoadBalancer(app);
    const listener = await addListener(app, lb);
    await activePool(app, { listener_id: listener.id });
    assertFault(await post({ listener_id: listener.id }), 409, 'This listener already has a default pool');
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
    assert.equal(await status(app, 'listener', listener.id), 'ACTIVE');
  });

  test('pool protocol must suit the listener protocol (Octavia\'s protocol map)', async () => {
    const amphora = await activeLoadBalancer(app);
    const noop = await activeLoadBalancer(app, { provider: 'noop' });
    const protocols = Object.keys(LISTENER_POOL_PROTOCOLS).filter((p) => p !== 'PROMETHEUS') as ListenerProtocol[];
    for (const lp of protocols) {
      // The amphora provider refuses SCTP until an engine serves it; Octavia's map still applies on noop.
      const listener = await addListener(app, lp === 'SCTP' ? noop : amphora, lp);
      for (const pp of POOL_PROTOCOLS) {
        const res = await post({ listener_id: listener.id, protocol: pp });
        if (LISTENER_POOL_PROTOCOLS[lp].includes(pp)) {
          assert.equal(res.status, 201, `${lp} -> ${pp}: ${JSON.stringify(res.body)}`);
          await app.settle();
          assert.equal((await app.req('DELETE', `${POOLS}/${res.body.pool.id}`)).status, 204);
          await app.settle();
        } else {
          assertFault(res, 400, `Validation failure: The pool protocol '${pp}' is invalid while the listener protocol is '${lp}'.`);
        }
      }
    }
  });

  test('PROMETHEUS listeners take no pool', async () => {
    const lb = await activeLoadBalancer(app);
    const listener = await addListener(app, lb, 'PROMETHEUS');
    assertFault(await post({ listener_id: listener.id }), 400, 'Protocol PROMETHEUS listeners cannot have child objects.');
  });

  test('the project comes from the load balancer, not the body or the caller', async () => {
    const lb = await activeLoadBalancer(app);
    const res = await post({ loadbalancer_id: lb.id, project_id: 'someone-else' }, 'p2');
    assert.equal(res.status, 201);
    assert.equal(res.body.pool.project_id, 'p1');
    await app.settle();
  });

  test('malformed bodies are 400 with a fault body', async () => {
    const lb = await activeLoadBalancer(app);
    const base = { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' };
    for (const pool of [
      { loadbalancer_id: lb.id, lb_algorithm: 'ROUND_ROBIN' },
      { loadbalancer_id: lb.id, protocol: 'HTTP' },
      { ...base, protocol: 'STUPID_PROTOCOL' },
      { ...base, protocol: 'TERMINATED_HTTPS' },
      { ...base, lb_algorithm: 'RANDOM' },
      { ...base, loadbalancer_id: 'not-a-uuid' },
      { ...base, listener_id: 12 },
      { ...base, bogus: true },
      { ...base, name: 'x'.repeat(256) },
      { ...base, description: 'x'.repeat(256) },
      { ...base, admin_state_up: 'maybe' },
      { ...base, tags: 'a' },
      { ...base, tags: ['x'.repeat(256)] },
      { ...base, session_persistence: 'SOURCE_IP' },
      { ...base, session_persistence: { cookie_name: 'c' } },
      { ...base, session_persistence: { type: 'FOO' } },
      { ...base, session_persistence: { type: 'SOURCE_IP', extra: 1 } },
      { ...base, session_persistence: { type: 'APP_COOKIE', cookie_name: 'a b' } },
      { ...base, session_persistence: { type: 'SOURCE_IP', persistence_granularity: 'mask' } },
      { ...base, tls_enabled: 'sure' },
      { ...base, tls_versions: 'TLSv1.2' },
      { ...base, tls_versions: ['x'.repeat(33)] },
      { ...base, alpn_protocols: ['h3'] },
      { ...base, tls_container_ref: 'x'.repeat(256) },
      { ...base, tls_ciphers: 'x'.repeat(2049) },
    ]) {
      assertFault(await app.req('POST', POOLS, { pool }), 400);
    }
    for (const body of [{ pools: base }, { pool: [] }, { pool: base, extra: 1 }, '{not json', []]) {
      assertFault(await app.req('POST', POOLS, body), 400);
    }
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
  });

  test('SOURCE_IP_PORT: served by the amphora provider on HAProxy pools, refused (501) on UDP ones; noop takes any', async () => {
    const lb = await activeLoadBalancer(app);
    for (const protocol of ['TCP', 'HTTP']) {
      const res = await post({ loadbalancer_id: lb.id, protocol, lb_algorithm: 'SOURCE_IP_PORT' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.pool.lb_algorithm, 'SOURCE_IP_PORT');
      await app.settle();
    }
    assertFault(await post({ loadbalancer_id: lb.id, protocol: 'UDP', lb_algorithm: 'SOURCE_IP_PORT' }), 501,
      "Provider 'amphora' does not support a requested option: Amphora provider does not support SOURCE_IP_PORT algorithm.");
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
    const noop = await activeLoadBalancer(app, { provider: 'noop' });
    for (const protocol of ['TCP', 'UDP', 'SCTP']) {
      const res = await post({ loadbalancer_id: noop.id, protocol, lb_algorithm: 'SOURCE_IP_PORT' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.pool.lb_algorithm, 'SOURCE_IP_PORT');
      await app.settle();
    }
    for (const algorithm of ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP']) {
      assert.equal((await post({ loadbalancer_id: lb.id, lb_algorithm: algorithm })).status, 201);
      await app.settle();
    }
  });

  test('session persistence: APP_COOKIE needs a cookie name, only APP_COOKIE takes one', async () => {
    const lb = await activeLoadBalancer(app);
    const res = await post({ loadbalancer_id: lb.id, session_persistence: { type: 'APP_COOKIE', cookie_name: 'test_cookie' } });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.pool.session_persistence, {
      type: 'APP_COOKIE', cookie_name: 'test_cookie', persistence_timeout: null, persistence_granularity: null,
    });
    await app.settle();
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'APP_COOKIE' }, 'Validation failure: Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.'],
      [{ type: 'HTTP_COOKIE', cookie_name: 'c' }, 'Validation failure: Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".'],
      [{ type: 'SOURCE_IP', cookie_name: 'c' }, 'Validation failure: Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".'],
      [{ type: 'APP_COOKIE', cookie_name: 'b@d_cookie_name' }, 'Validation failure: Supplied "cookie_name" is invalid.'],
      [{ type: 'HTTP_COOKIE', persistence_timeout: 3 }, 'Validation failure: persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.'],
      [{ type: 'SOURCE_IP', persistence_granularity: '255.255.255.0' }, 'Validation failure: persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.'],
    ];
    for (const [sp, message] of cases) assertFault(await post({ loadbalancer_id: lb.id, session_persistence: sp }), 400, message);
    for (const type of ['SOURCE_IP', 'HTTP_COOKIE']) {
      const ok = await post({ loadbalancer_id: lb.id, session_persistence: { type } });
      assert.equal(ok.status, 201);
      assert.equal(ok.body.pool.session_persistence.type, type);
      await app.settle();
    }
  });

  test('session persistence on UDP and SCTP pools: SOURCE_IP with timeout and granularity only', async () => {
    const lb = await activeLoadBalancer(app);
    const listener = await addListener(app, lb, 'UDP');
    const sp = { type: 'SOURCE_IP', persistence_timeout: 3, persistence_granularity: '255.255.255.0' };
    const res = await post({ listener_id: listener.id, protocol: 'UDP', session_persistence: sp });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.pool.session_persistence, { ...sp, cookie_name: null });
    await app.settle();
    const lvs = 'UDP/SCTP';
    for (const protocol of ['UDP', 'SCTP']) {
      const cases: [Record<string, unknown>, string][] = [
        [{ type: 'HTTP_COOKIE', cookie_name: 'c' }, `Validation failure: Cookie names are not supported for ${lvs} pools.`],
        [{ type: 'HTTP_COOKIE' }, `Validation failure: Session persistence of type HTTP_COOKIE is not supported for ${lvs} protocol pools.`],
        [{ type: 'APP_COOKIE', persistence_timeout: 3 }, `Validation failure: Session persistence of type APP_COOKIE is not supported for ${lvs} protocol pools.`],
        [{ ...sp, cookie_name: 'c' }, 'Validation failure: session_persistence SOURCE_IP type for UDP and SCTP protocols only accepts: type, persistence_timeout, persistence_granularity.'],
      ];
      for (const [body, message] of cases) {
        assertFault(await post({ loadbalancer_id: lb.id, protocol, session_persistence: body }), 400, message);
      }
    }
  });

  test('TLS: enabling fills Octavia\'s default ciphers, versions and ALPN; refs are kept as given', async () => {
    const lb = await activeLoadBalancer(app);
    const res = await post({
      loadbalancer_id: lb.id, tls_enabled: true, tls_container_ref: 'https://secrets/cert',
      ca_tls_container_ref: 'ca-ref', crl_container_ref: 'crl-ref',
    });
    assert.equal(res.status, 201);
    const p = res.body.pool;
    assert.equal(p.tls_enabled, true);
    assert.equal(p.tls_ciphers, DEFAULT_CIPHERS);
    assert.deepEqual(p.tls_versions, ['TLSv1.2', 'TLSv1.3']);
    assert.deepEqual(p.alpn_protocols, ['h2', 'http/1.1', 'http/1.0']);
    assert.equal(p.tls_container_ref, 'https://secrets/cert');
    assert.equal(p.ca_tls_container_ref, 'ca-ref');
    assert.equal(p.crl_container_ref, 'crl-ref');
    await app.settle();
    const own = await post({ loadbalancer_id: lb.id, tls_enabled: true, tls_versions: ['TLSv1.3'], alpn_protocols: ['h2'], tls_ciphers: 'ECDHE-RSA-AES128-SHA256' });
    assert.deepEqual([own.body.pool.tls_versions, own.body.pool.alpn_protocols, own.body.pool.tls_ciphers], [['TLSv1.3'], ['h2'], 'ECDHE-RSA-AES128-SHA256']);
    await app.settle();
  });

  test('TLS refusals: CRL without CA, empty or unknown versions, empty ALPN, bad cipher characters', async () => {
    const lb = await activeLoadBalancer(app);
    const cases: [Record<string, unknown>, string][] = [
      [{ crl_container_ref: 'crl' }, 'Validation failure: A CA certificate reference is required to specify a revocation list.'],
      [{ tls_enabled: true, tls_versions: [] }, 'Validation failure: Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.'],
      [{ tls_enabled: true, tls_versions: ['TLSv1.2', 'TLSv9'] }, 'Validation failure: Invalid TLS versions: TLSv9'],
      [{ tls_enabled: true, alpn_protocols: [] }, 'Validation failure: Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.'],
      [{ tls_ciphers: 'AES;rm -rf' }, 'Validation failure: Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.'],
    ];
    for (const [body, message] of cases) assertFault(await post({ loadbalancer_id: lb.id, ...body }), 400, message);
    // Without TLS enabled Octavia keeps the versions as sent, unchecked.
    const plain = await post({ loadbalancer_id: lb.id, tls_versions: [] });
    assert.equal(plain.status, 201);
    assert.deepEqual(plain.body.pool.tls_versions, []);
    await app.settle();
  });

  test('pool quota is enforced (403)', async () => {
    const quota = await testApp({ quotas: { load_balancer: -1, listener: -1, pool: 1, member: -1, health_monitor: -1, l7policy: -1, l7rule: -1 } });
    try {
      const lb = await activeLoadBalancer(quota);
      const first = await quota.req('POST', POOLS, { pool: { loadbalancer_id: lb.id, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' } });
      assert.equal(first.status, 201);
      await quota.settle();
      const second = await quota.req('POST', POOLS, { pool: { loadbalancer_id: lb.id, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' } });
      assertFault(second, 403, 'Quota has been met for resources: Pool');
      assert.equal(await status(quota, 'load_balancer', lb.id), 'ACTIVE');
    } finally {
      await quota.close();
    }
  });

  test('writes while the load balancer is PENDING answer 409', async () => {
    const lb = await activeLoadBalancer(app);
    const pool = await activePool(app, { loadbalancer_id: lb.id });
    app.gate.hold();
    assert.equal((await app.req('PUT', `/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: 'x' } })).status, 200);
    const locked = `Load Balancer ${lb.id} is immutable and cannot be updated.`;
    assertFault(await post({ loadbalancer_id: lb.id }), 409, locked);
    assertFault(await put(pool.id, { name: 'n' }), 409, locked);
    assertFault(await app.req('DELETE', `${POOLS}/${pool.id}`), 409, locked);
    // A body Octavia refuses before taking the lock is a 400 even now.
    assertFault(await post({ loadbalancer_id: lb.id, session_persistence: { type: 'APP_COOKIE' } }), 400, /cookie_name/);
    app.gate.release();
    await app.settle();
    assert.equal((await show(pool.id)).name, '');
  });

  test('a pool PENDING on its own is immutable (409)', async () => {
    const lb = await activeLoadBalancer(app);
    const pool = await activePool(app, { loadbalancer_id: lb.id });
    await setStatus(app, 'pool', pool.id, 'PENDING_UPDATE');
    assertFault(await put(pool.id, { name: 'n' }), 409, `Pool ${pool.id} is immutable and cannot be updated.`);
    assertFault(await app.req('DELETE', `${POOLS}/${pool.id}`), 409, `Pool ${pool.id} is immutable and cannot be updated.`);
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
    await setStatus(app, 'pool', pool.id, 'ERROR');
    assert.equal((await put(pool.id, { name: 'fixed' })).status, 200);
    await app.settle();
  });

  test('show, 404s, list with filters, fields and pagination', async () => {
    const lb = await activeLoadBalancer(app, {}, 'lister');
    const a = await activePool(app, { loadbalancer_id: lb.id, name: 'a', protocol: 'TCP' }, 'lister');
    const b = await activePool(app, { loadbalancer_id: lb.id, name: 'b' }, 'lister');
    assertFault(await app.req('GET', `${POOLS}/${MISSING}`), 404, `Pool ${MISSING} not found.`);
    assertFault(await app.req('GET', `${POOLS}/not-a-uuid`), 404);
    const one = await app.req('GET', `${POOLS}/${a.id}?fields=id&fields=protocol`);
    assert.deepEqual(one.body.pool, { id: a.id, protocol: 'TCP' });
    const byLb = await app.req('GET', `${POOLS}?loadbalancer_id=${lb.id}&sort=name:desc`);
    assert.deepEqual(byLb.body.pools.map((p: any) => p.id), [b.id, a.id]);
    const byProject = await app.req('GET', `${POOLS}?project_id=lister&protocol=TCP`);
    assert.deepEqual(byProject.body.pools.map((p: any) => p.id), [a.id]);
    const page = await app.req('GET', `${POOLS}?loadbalancer_id=${lb.id}&limit=1`);
    assert.equal(page.body.pools.length, 1);
    assert.equal(page.body.pools_links[0].rel, 'next');
    const v20 = await app.req('GET', `/v2.0/lbaas/pools/${a.id}`);
    assert.equal(v20.body.pool.id, a.id);
  });

  test('update: 200 with the pool PENDING_UPDATE, its listener and LB locked, updated_at set', async () => {
    const lb = await activeLoadBalancer(app);
    const listener = await addListener(app, lb);
    const pool = await activePool(app, { listener_id: listener.id, tags: ['old'] });
    app.gate.hold();
    const res = await put(pool.id, { name: 'new', description: 'd', tags: ['new'], admin_state_up: false, lb_algorithm: 'LEAST_CONNECTIONS' });
    assert.equal(res.status, 200);
    const p = res.body.pool;
    assert.equal(p.provisioning_status, 'PENDING_UPDATE');
    assert.deepEqual([p.name, p.description, p.tags, p.admin_state_up, p.lb_algorithm], ['new', 'd', ['new'], false, 'LEAST_CONNECTIONS']);
    assert.notEqual(p.updated_at, null);
    assert.equal(await status(app, 'listener', listener.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'load_balancer', lb.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
    assert.equal((await show(pool.id)).provisioning_status, 'ACTIVE');
    // Clearing: null name and description show as '', null admin_state_up is false, null tags change nothing.
    const cleared = await put(pool.id, { name: null, description: null, admin_state_up: null, tags: null });
    assert.deepEqual([cleared.body.pool.name, cleared.body.pool.description, cleared.body.pool.admin_state_up, cleared.body.pool.tags], ['', '', false, ['new']]);
    await app.settle();
  });

  test('update refuses fields a PUT cannot change and malformed values', async () => {
    const lb = await activeLoadBalancer(app);
    const pool = await activePool(app, { loadbalancer_id: lb.id });
    for (const body of [
      { protocol: 'TCP' }, { loadbalancer_id: lb.id }, { listener_id: MISSING }, { enabled: 'one' },
      { lb_algorithm: 'RANDOM' }, { admin_state_up: 'x' }, { session_persistence: { type: 'fake_type' } },
      { alpn_protocols: ['spdy'] },
    ]) {
      assertFault(await put(pool.id, body), 400);
    }
    assertFault(await put(MISSING, { name: 'x' }), 404, `Pool ${MISSING} not found.`);
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
    assert.equal((await put(pool.id, { lb_algorithm: 'SOURCE_IP_PORT' })).status, 200);
    await app.settle();
    assert.equal((await show(pool.id)).lb_algorithm, 'SOURCE_IP_PORT');
    const udp = await activePool(app, { loadbalancer_id: lb.id, protocol: 'UDP' });
    assertFault(await put(udp.id, { lb_algorithm: 'SOURCE_IP_PORT' }), 501, /SOURCE_IP_PORT/);
  });

  test('update session persistence: kept when absent, type kept when omitted, replaced when given, removed with null', async () => {
    const lb = await activeLoadBalancer(app);
    const pool = await activePool(app, { loadbalancer_id: lb.id, session_persistence: { type: 'APP_COOKIE', cookie_name: 'c1' } });
    await put(pool.id, { name: 'renamed' });
    await app.settle();
    assert.deepEqual((await show(pool.id)).session_persistence, { type: 'APP_COOKIE', cookie_name: 'c1', persistence_timeout: null, persistence_granularity: null });
    await put(pool.id, { session_persistence: { cookie_name: 'c2' } });
    await app.settle();
    assert.equal((await show(pool.id)).session_persistence.type, 'APP_COOKIE');
    assert.equal((await show(pool.id)).session_persistence.cookie_name, 'c2');
    await put(pool.id, { session_persistence: { type: 'SOURCE_IP', cookie_name: null } });
    await app.settle();
    assert.deepEqual((await show(pool.id)).session_persistence, { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: null, persistence_granularity: null });
    assertFault(await put(pool.id, { session_persistence: { type: 'APP_COOKIE' } }), 400, /must be specified/);
    assertFault(await put(pool.id, { session_persistence: { type: 'HTTP_COOKIE', cookie_name: 'x' } }), 400, /can only be specified/);
    assertFault(await put(pool.id, { session_persistence: { type: 'APP_COOKIE', cookie_name: 'b@d' } }), 400, /is invalid/);
    assertFault(await put(pool.id, { session_persistence: { type: 'SOURCE_IP', persistence_timeout: 4 } }), 400,
      'Validation failure: persistence_timeout and persistence_granularity is only for UDP protocol pools.');
    const removed = await put(pool.id, { session_persistence: null });
    assert.equal(removed.body.pool.session_persistence, null);
    await app.settle();
  });

  test('update session persistence of a UDP pool', async () => {
    const lb = await activeLoadBalancer(app);
    const pool = await activePool(app, { loadbalancer_id: lb.id, protocol: 'UDP', session_persistence: { type: 'SOURCE_IP', persistence_timeout: 3, persistence_granularity: '255.255.255.0' } });
    const res = await put(pool.id, { session_persistence: { persistence_timeout: 4, persistence_granularity: '255.255.0.0' } });
    assert.deepEqual(res.body.pool.session_persistence, { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: 4, persistence_granularity: '255.255.0.0' });
    await app.settle();
    assertFault(await put(pool.id, { session_persistence: { type: 'HTTP_COOKIE', cookie_name: 'c' } }), 400, /Cookie names are not supported for UDP\/SCTP pools/);
    assertFault(await put(pool.id, { session_persistence: { type: 'SOURCE_IP', cookie_name: 'c' } }), 400, /only accepts: type, persistence_timeout, persistence_granularity/);
    assertFault(await put(pool.id, { session_persistence: { type: 'APP_COOKIE' } }), 400, /Session persistence of type APP_COOKIE is not supported/);
  });

  test('update TLS: null versions and ciphers take the defaults; empty lists are refused', async () => {
    const lb = await activeLoadBalancer(app);
    const pool = await activePool(app, { loadbalancer_id: lb.id, tls_enabled: true, tls_versions: ['TLSv1.3'], tls_ciphers: 'DHE-RSA-AES128-GCM-SHA256' });
    const changed = await put(pool.id, { tls_versions: ['TLSv1.2'], tls_ciphers: 'ECDHE-RSA-AES128-SHA256', alpn_protocols: ['http/1.1'] });
    assert.deepEqual([changed.body.pool.tls_versions, changed.body.pool.tls_ciphers, changed.body.pool.alpn_protocols], [['TLSv1.2'], 'ECDHE-RSA-AES128-SHA256', ['http/1.1']]);
    await app.settle();
    const reset = await put(pool.id, { tls_versions: null, tls_ciphers: null });
    assert.deepEqual(reset.body.pool.tls_versions, ['TLSv1.2', 'TLSv1.3']);
    assert.equal(reset.body.pool.tls_ciphers, DEFAULT_CIPHERS);
    await app.settle();
    assertFault(await put(pool.id, { tls_versions: [] }), 400, /Empty TLS version list/);
    assertFault(await put(pool.id, { tls_versions: ['SSLv2'] }), 400, 'Validation failure: Invalid TLS versions: SSLv2');
    assertFault(await put(pool.id, { alpn_protocols: [] }), 400, /Empty ALPN protocol list/);
    assertFault(await put(pool.id, { tls_ciphers: 'a b' }), 400, /Invalid characters in cipher string/);
    const off = await put(pool.id, { tls_enabled: false });
    assert.equal(off.body.pool.tls_enabled, false);
    await app.settle();
  });

  test('update CA and CRL: a CRL needs a CA, and the CA stays while a CRL does', async () => {
    const lb = await activeLoadBalancer(app);
    const pool = await activePool(app, { loadbalancer_id: lb.id });
    const needCa = 'Validation failure: A CA reference is required to specify a certificate revocation list.';
    assertFault(await put(pool.id, { crl_container_ref: 'crl' }), 400, needCa);
    assertFault(await put(pool.id, { ca_tls_container_ref: null, crl_container_ref: 'crl' }), 400, needCa);
    const both = await put(pool.id, { ca_tls_container_ref: 'ca', crl_container_ref: 'crl' });
    assert.deepEqual([both.body.pool.ca_tls_container_ref, both.body.pool.crl_container_ref], ['ca', 'crl']);
    await app.settle();
    assertFault(await put(pool.id, { ca_tls_container_ref: null }), 400,
      'Validation failure: A CA reference cannot be removed when a certificate revocation list is present.');
    const crlOnly = await put(pool.id, { crl_container_ref: 'crl2' });
    assert.equal(crlOnly.body.pool.crl_container_ref, 'crl2');
    await app.settle();
    const unset = await put(pool.id, { ca_tls_container_ref: null, crl_container_ref: null });
    assert.deepEqual([unset.body.pool.ca_tls_container_ref, unset.body.pool.crl_container_ref], [null, null]);
    await app.settle();
  });

  test('delete: 204, pool PENDING_DELETE, listener loses its default pool, members and monitor go too', async () => {
    const lb = await activeLoadBalancer(app);
    const listener = await addListener(app, lb);
    const pool = await activePool(app, { listener_id: listener.id });
    const member = await app.req('POST', `${POOLS}/${pool.id}/members`, { member: { address: '192.0.2.10', protocol_port: 80 } });
    assert.equal(member.status, 201);
    await app.settle();
    const hm = await app.req('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pool.id, type: 'TCP', delay: 1, timeout: 1, max_retries: 1 } });
    assert.equal(hm.status, 201);
    await app.settle();
    app.gate.hold();
    assert.equal((await app.req('DELETE', `${POOLS}/${pool.id}`)).status, 204);
    assert.equal((await show(pool.id)).provisioning_status, 'PENDING_DELETE');
    assert.equal(await status(app, 'member', member.body.member.id), 'PENDING_DELETE');
    assert.equal(await status(app, 'health_monitor', hm.body.healthmonitor.id), 'PENDING_DELETE');
    const row = await app.runtime.store.get('listener', listener.id);
    assert.equal(row?.default_pool_id, null);
    assert.equal(row?.provisioning_status, 'PENDING_UPDATE');
    assert.equal(await status(app, 'load_balancer', lb.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
    assertFault(await app.req('GET', `${POOLS}/${pool.id}`), 404);
    assert.equal(await app.runtime.store.get('member', member.body.member.id), undefined);
    assert.equal(await app.runtime.store.get('health_monitor', hm.body.healthmonitor.id), undefined);
    assert.equal(await status(app, 'listener', listener.id), 'ACTIVE');
    assertFault(await app.req('DELETE', `${POOLS}/${pool.id}`), 404, `Pool ${pool.id} not found.`);
    // The listener is free for a new default pool.
    assert.equal((await post({ listener_id: listener.id })).status, 201);
    await app.settle();
  });

  test('delete refuses a pool an L7 policy redirects to (409)', async () => {
    const lb = await activeLoadBalancer(app);
    const listener = await addListener(app, lb);
    const pool = await activePool(app, { loadbalancer_id: lb.id });
    const policy = await addRedirect(app, lb, listener.id, pool.id);
    assertFault(await app.req('DELETE', `${POOLS}/${pool.id}`), 409, `Pool ${pool.id} is in use by L7 policy ${policy.id}`);
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
    assert.equal((await show(pool.id)).provisioning_status, 'ACTIVE');
  });

  test('a pool\'s listeners: default-pool listeners plus listeners of enabled redirecting policies with rules', async () => {
    const lb = await activeLoadBalancer(app);
    const owner = await addListener(app, lb);
    const ruled = await addListener(app, lb);
    const ruleless = await addListener(app, lb);
    const disabled = await addListener(app, lb);
    const pool = await activePool(app, { listener_id: owner.id });
    await addRedirect(app, lb, ruled.id, pool.id);
    await addRedirect(app, lb, ruleless.id, pool.id, { rules: 0 });
    await addRedirect(app, lb, disabled.id, pool.id, { enabled: false });
    assert.deepEqual((await show(pool.id)).listeners, [{ id: owner.id }, { id: ruled.id }]);
    app.gate.hold();
    assert.equal((await put(pool.id, { name: 'x' })).status, 200);
    assert.equal(await status(app, 'listener', owner.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'listener', ruled.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'listener', ruleless.id), 'ACTIVE');
    assert.equal(await status(app, 'listener', disabled.id), 'ACTIVE');
    app.gate.release();
    await app.settle();
  });

  test('create with a nested health monitor and members', async () => {
    const lb = await activeLoadBalancer(app);
    app.gate.hold();
    const res = await post({
      loadbalancer_id: lb.id,
      healthmonitor: { type: 'HTTP', delay: 2, timeout: 1, max_retries: 2 },
      members: [{ address: '192.0.2.1', protocol_port: 80 }, { address: '192.0.2.2', protocol_port: 80, weight: 5 }],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const p = res.body.pool;
    assert.equal(p.members.length, 2);
    assert.ok(p.healthmonitor_id);
    const hm = await app.req('GET', `/v2/lbaas/healthmonitors/${p.healthmonitor_id}`);
    assert.deepEqual([hm.body.healthmonitor.url_path, hm.body.healthmonitor.provisioning_status], ['/', 'PENDING_CREATE']);
    const members = (await app.req('GET', `${POOLS}/${p.id}/members`)).body.members;
    assert.deepEqual(members.map((m: any) => [m.address, m.weight, m.operating_status, m.provisioning_status]).sort(),
      [['192.0.2.1', 1, 'OFFLINE', 'PENDING_CREATE'], ['192.0.2.2', 5, 'OFFLINE', 'PENDING_CREATE']]);
    app.gate.release();
    await app.settle();
    assertFault(await post({ loadbalancer_id: lb.id, members: [{ address: '192.0.2.1', protocol_port: 80 }, { address: '192.0.2.1', protocol_port: 80 }] }), 409);
    assertFault(await post({ loadbalancer_id: lb.id, healthmonitor: { type: 'UDP-CONNECT', delay: 3, timeout: 1, max_retries: 1 } }), 400);
    assertFault(await post({ loadbalancer_id: lb.id, members: [{ address: 'nowhere', protocol_port: 80 }] }), 400);
    assert.equal((await app.req('GET', `${POOLS}?loadbalancer_id=${lb.id}`)).body.pools.length, 1);
  });

  test('a deleted load balancer takes no pool (404)', async () => {
    const lb = await activeLoadBalancer(app);
    assert.equal((await app.req('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).status, 204);
    await app.settle();
    assertFault(await post({ loadbalancer_id: lb.id }), 404, `Load Balancer ${lb.id} not found.`);
  });

  test('the response shows the pool\'s members and monitor; lists filter on them (Octavia\'s test_get_all_filter)', async () => {
    const lb = await activeLoadBalancer(app);
    const p1 = await activePool(app, { loadbalancer_id: lb.id, name: 'pool1' });
    await activePool(app, { loadbalancer_id: lb.id, name: 'pool2' });
    const hm = await app.req('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: p1.id, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1 } });
    await app.settle();
    const m = await app.req('POST', `${POOLS}/${p1.id}/members`, { member: { address: '192.0.2.1', protocol_port: 80 } });
    await app.settle();
    const shown = await show(p1.id);
    assert.equal(shown.healthmonitor_id, hm.body.healthmonitor.id);
    assert.deepEqual(shown.members, [{ id: m.body.member.id }]);
    const filtered = await app.req('GET', `${POOLS}?id=${p1.id}&healthmonitor_id=${hm.body.healthmonitor.id}`);
    assert.deepEqual(filtered.body.pools.map((p: any) => p.id), [p1.id]);
    assertFault(await app.req('GET', `${POOLS}?no_such_field=1`), 400);
  });

  test('the provider alias octavia refuses SOURCE_IP_PORT on UDP pools under its own name', async () => {
    const lb = await activeLoadBalancer(app, { provider: 'octavia' });
    assertFault(await post({ loadbalancer_id: lb.id, protocol: 'UDP', lb_algorithm: 'SOURCE_IP_PORT' }), 501, /^Provider 'octavia' does not support a requested option/);
  });
});
