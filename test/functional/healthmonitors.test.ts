import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, activeLoadBalancer } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { activePool, addListener, addRedirect, assertFault, MISSING, setStatus, status } from './pool-fixtures.ts';

const HMS = '/v2/lbaas/healthmonitors';
const HM_KEYS = [
  'admin_state_up', 'created_at', 'delay', 'domain_name', 'expected_codes', 'http_method', 'http_version', 'id',
  'max_retries', 'max_retries_down', 'name', 'operating_status', 'pools', 'project_id', 'provisioning_status',
  'tags', 'tenant_id', 'timeout', 'type', 'updated_at', 'url_path',
];
const DOMAIN_PATTERN = String.raw`^(?=.{1,253}\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9-_]{1,63}(?<!-)(?:\.|$))+$`;

describe('health monitors', () => {
  let app: TestApp;
  before(async () => { app = await testApp(); });
  after(async () => { await app.close(); });
  // A test that fails while holding the gate must not leave the others waiting on the worker.
  afterEach(() => { app.gate.release(); });

  const post = (hm: Record<string, unknown>) => app.req('POST', HMS, { healthmonitor: hm });
  const put = (id: string, hm: Record<string, unknown>) => app.req('PUT', `${HMS}/${id}`, { healthmonitor: hm });
  const show = async (id: string) => (await app.req('GET', `${HMS}/${id}`)).body.healthmonitor;
  const basic = (poolId: string, type = 'HTTP', extra: Record<string, unknown> = {}) =>
    ({ pool_id: poolId, type, delay: 1, timeout: 1, max_retries: 1, ...extra });

  /** An ACTIVE LB with a listener whose default pool (of `protocol`) is ACTIVE. */
  async function setup(protocol = 'HTTP', listenerProtocol = protocol) {
    // The amphora provider refuses SCTP until an engine serves it; Octavia's rules still apply on noop.
    const lb = await activeLoadBalancer(app, protocol === 'SCTP' ? { provider: 'noop' } : {});
    const listener = await addListener(app, lb, listenerProtocol as any);
    const pool = await activePool(app, { listener_id: listener.id, protocol });
    return { lb, listener, pool };
  }

  async function activeMonitor(body: Record<string, unknown>) {
    const res = await post(body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await app.settle();
    return res.body.healthmonitor;
  }

  test('create HTTP: 201 PENDING_CREATE/OFFLINE with Octavia\'s fields and HTTP defaults; pool, listener, LB locked', async () => {
    const { lb, listener, pool } = await setup();
    app.gate.hold();
    const res = await post(basic(pool.id, 'HTTP', { tags: ['t'] }));
    assert.equal(res.status, 201);
    const hm = res.body.healthmonitor;
    assert.deepEqual(Object.keys(hm).sort(), HM_KEYS);
    assert.deepEqual([hm.provisioning_status, hm.operating_status], ['PENDING_CREATE', 'OFFLINE']);
    assert.deepEqual([hm.http_method, hm.url_path, hm.expected_codes], ['GET', '/', '200']);
    assert.deepEqual([hm.delay, hm.timeout, hm.max_retries, hm.max_retries_down], [1, 1, 1, 3]);
    assert.deepEqual([hm.name, hm.admin_state_up, hm.http_version, hm.domain_name, hm.tags], ['', true, null, null, ['t']]);
    assert.deepEqual(hm.pools, [{ id: pool.id }]);
    assert.deepEqual([hm.project_id, hm.tenant_id, hm.updated_at], ['p1', 'p1', null]);
    assert.equal(await status(app, 'pool', pool.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'listener', listener.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'load_balancer', lb.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
    assert.deepEqual([(await show(hm.id)).provisioning_status, (await show(hm.id)).operating_status], ['ACTIVE', 'ONLINE']);
    assert.equal((await app.req('GET', `/v2/lbaas/pools/${pool.id}`)).body.pool.healthmonitor_id, hm.id);
  });

  test('create with every HTTPS field', async () => {
    const { pool } = await setup('HTTPS');
    const hm = await activeMonitor(basic(pool.id, 'HTTPS', {
      name: 'Test HM', admin_state_up: false, expected_codes: '200-204', http_method: 'HEAD', url_path: '/health?full=1',
      max_retries_down: 10, max_retries: 10, delay: 30, timeout: 5, http_version: 1.1, domain_name: 'testlab.com',
    }));
    assert.deepEqual([hm.name, hm.admin_state_up, hm.expected_codes, hm.http_method, hm.url_path, hm.max_retries_down, hm.max_retries, hm.delay, hm.timeout, hm.http_version, hm.domain_name],
      ['Test HM', false, '200-204', 'HEAD', '/health?full=1', 10, 10, 30, 5, 1.1, 'testlab.com']);
    assert.equal((await show(hm.id)).operating_status, 'OFFLINE');
  });

  test('TCP, PING and TLS-HELLO monitors carry no HTTP fields', async () => {
    for (const type of ['TCP', 'PING', 'TLS-HELLO']) {
      const { pool } = await setup(type === 'TLS-HELLO' ? 'HTTPS' : 'HTTP');
      const hm = await activeMonitor(basic(pool.id, type));
      assert.deepEqual([hm.type, hm.http_method, hm.url_path, hm.expected_codes], [type, null, null, null]);
    }
  });

  test('HTTP fields are refused for the other types, with Octavia\'s message', async () => {
    const { lb, pool } = await setup();
    for (const [field, value] of [['http_method', 'GET'], ['url_path', '/'], ['expected_codes', '200']]) {
      assertFault(await post(basic(pool.id, 'TCP', { [field]: value })), 400, `${field} is not a valid option for health monitors of type TCP`);
    }
    assertFault(await post(basic(pool.id, 'PING', { url_path: '/x' })), 400, 'url_path is not a valid option for health monitors of type PING');
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
  });

  test('one monitor per pool (409)', async () => {
    const { lb, pool } = await setup();
    await activeMonitor(basic(pool.id));
    assertFault(await post(basic(pool.id, 'TCP')), 409, 'This pool already has a health monitor');
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
    assert.equal(await status(app, 'pool', pool.id), 'ACTIVE');
  });

  test('UDP pools take UDP-CONNECT, SCTP, TCP and HTTP monitors', async () => {
    for (const [type, extra] of [['UDP-CONNECT', {}], ['SCTP', {}], ['TCP', {}], ['HTTP', { url_path: '/test.html', expected_codes: '200-201' }]] as const) {
      const { listener, pool } = await setup('UDP');
      app.gate.hold();
      const res = await post(basic(pool.id, type, { delay: 3, ...extra }));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(await status(app, 'listener', listener.id), 'PENDING_UPDATE');
      app.gate.release();
      await app.settle();
    }
    const { pool } = await setup('UDP');
    assertFault(await post(basic(pool.id, 'TLS-HELLO', { delay: 3 })), 400,
      'Validation failure: The associated pool protocol is UDP, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.');
    assertFault(await post(basic(pool.id, 'PING', { delay: 3 })), 400, /only a UDP-CONNECT\/SCTP\/TCP\/HTTP health monitor/);
    const sctp = await setup('SCTP');
    assertFault(await post(basic(sctp.pool.id, 'HTTPS', { delay: 3 })), 400, /The associated pool protocol is SCTP/);
    await activeMonitor(basic(sctp.pool.id, 'SCTP', { delay: 3 }));
  });

  test('UDP-CONNECT needs a delay of at least 3', async () => {
    const { pool } = await setup('UDP');
    assertFault(await post(basic(pool.id, 'UDP-CONNECT', { delay: 1 })), 400,
      'Validation failure: The request delay value 1 should be larger than 3 for UDP-CONNECT health monitor type.');
    await activeMonitor(basic(pool.id, 'UDP-CONNECT', { delay: 3 }));
  });

  test('UDP-CONNECT and SCTP monitors are for UDP and SCTP pools only', async () => {
    const { pool } = await setup();
    for (const type of ['UDP-CONNECT', 'SCTP']) {
      assertFault(await post(basic(pool.id, type, { delay: 3 })), 400, `Validation failure: The ${type} type is only supported for pools of type UDP/SCTP.`);
    }
  });

  test('malformed bodies are 400 with a fault body', async () => {
    const { lb, pool } = await setup();
    const base = basic(pool.id);
    for (const hm of [
      { ...base, type: undefined }, { ...base, delay: undefined }, { ...base, timeout: undefined }, { ...base, max_retries: undefined },
      { ...base, pool_id: undefined }, { ...base, type: null }, { ...base, delay: null }, { ...base, type: 'ICMP' },
      { ...base, delay: -1 }, { ...base, timeout: -1 }, { ...base, delay: 'soon' }, { ...base, max_retries: 0 }, { ...base, max_retries: 11 },
      { ...base, max_retries_down: 0 }, { ...base, max_retries_down: 11 }, { ...base, http_method: 'FETCH' },
      { ...base, url_path: 'https://openstack.org' }, { ...base, url_path: 'health' }, { ...base, url_path: '/a b' },
      { ...base, url_path: '//host/x' }, { ...base, url_path: '/a[1]' }, { ...base, expected_codes: '20' }, { ...base, expected_codes: 'abc' },
      { ...base, expected_codes: '200-' }, { ...base, expected_codes: '200,,201' }, { ...base, http_version: 1.2 }, { ...base, http_version: 'x' },
      { ...base, domain_name: '' }, { ...base, domain_name: '-bad.com' }, { ...base, pool_id: 'pool' }, { ...base, bogus: 1 },
      { ...base, name: 'x'.repeat(256) }, { ...base, admin_state_up: 'perhaps' }, { ...base, tags: [null] },
    ]) {
      assertFault(await post(hm), 400);
    }
    for (const body of [{ health_monitor: base }, { healthmonitor: [] }, { healthmonitor: base, x: 1 }, 'nope']) {
      assertFault(await app.req('POST', HMS, body), 400);
    }
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
  });

  test('url_path and expected_codes formats Octavia accepts', async () => {
    for (const [url, codes] of [['/v2/api/index', '200, 202'], ['/a?b=c', '200,201,202'], ['/a:b@c/%20', '301-308'], ['///', '200']]) {
      const { pool } = await setup();
      const hm = await activeMonitor(basic(pool.id, 'HTTP', { url_path: url, expected_codes: codes }));
      assert.deepEqual([hm.url_path, hm.expected_codes], [url, codes]);
    }
  });

  test('a bad url_path and domain_name answer with WSME\'s wording', async () => {
    const { pool } = await setup();
    assertFault(await post(basic(pool.id, 'HTTP', { url_path: 'https://openstack.org' })), 400,
      "Invalid input for field/attribute url_path. Value: 'https://openstack.org'. Value must be a valid URL Path string");
    assertFault(await post(basic(pool.id, 'HTTP', { http_version: 1.0, domain_name: '^testla&b.com' })), 400,
      `Invalid input for field/attribute domain_name. Value: '^testla&b.com'. Value should match the pattern ${DOMAIN_PATTERN}`);
    assertFault(await post(basic(pool.id, 'HTTP', { http_version: 1.1, domain_name: 'testla\nb.com' })), 400, /Value should match the pattern/);
  });

  test('domain_name needs http_version 1.1', async () => {
    const { pool } = await setup();
    assertFault(await post(basic(pool.id, 'HTTP', { domain_name: 'testlab.com' })), 400,
      "Validation failure: 'http_version' must be specified when 'domain_name' is provided.");
    assertFault(await post(basic(pool.id, 'HTTP', { http_version: 1.0, domain_name: 'testlab.com' })), 400,
      'http_version 1.0 is not a valid option for health monitors HTTP 1.1 domain name health check');
    const hm = await activeMonitor(basic(pool.id, 'HTTP', { http_version: '1.0' }));
    assert.equal(hm.http_version, 1.0);
  });

  test('timeout may exceed delay (Octavia does not compare them)', async () => {
    const { pool } = await setup();
    const hm = await activeMonitor(basic(pool.id, 'HTTP', { delay: 1, timeout: 30 }));
    assert.deepEqual([hm.delay, hm.timeout], [1, 30]);
  });

  test('unknown pool is 404; the project comes from the pool', async () => {
    assertFault(await post(basic(MISSING)), 404, `Pool ${MISSING} not found.`);
    const { pool } = await setup();
    const res = await app.req('POST', HMS, { healthmonitor: basic(pool.id, 'HTTP', { project_id: 'other' }) }, 'p2');
    assert.equal(res.status, 201);
    assert.equal(res.body.healthmonitor.project_id, 'p1');
    await app.settle();
  });

  test('a pool in ERROR or PENDING takes no monitor writes (409 naming the pool)', async () => {
    const { lb, pool } = await setup();
    const message = `Pool ${pool.id} is immutable and cannot be updated.`;
    await setStatus(app, 'pool', pool.id, 'ERROR');
    assertFault(await post(basic(pool.id)), 409, message);
    await setStatus(app, 'pool', pool.id, 'ACTIVE');
    const hm = await activeMonitor(basic(pool.id));
    await setStatus(app, 'pool', pool.id, 'PENDING_UPDATE');
    assertFault(await put(hm.id, { delay: 5 }), 409, message);
    assertFault(await app.req('DELETE', `${HMS}/${hm.id}`), 409, message);
    assert.equal(await status(app, 'load_balancer', lb.id), 'ACTIVE');
    await setStatus(app, 'pool', pool.id, 'ACTIVE');
  });

  test('writes while the load balancer is not ACTIVE are 409', async () => {
    const { lb, pool } = await setup();
    const other = await activePool(app, { loadbalancer_id: lb.id });
    const hm = await activeMonitor(basic(pool.id));
    app.gate.hold();
    assert.equal((await app.req('PUT', `/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: 'busy' } })).status, 200);
    const message = `Load Balancer ${lb.id} is immutable and cannot be updated.`;
    assertFault(await post(basic(other.id)), 409, message);
    assertFault(await put(hm.id, { delay: 5 }), 409, message);
    assertFault(await app.req('DELETE', `${HMS}/${hm.id}`), 409, message);
    app.gate.release();
    await app.settle();
    assert.equal((await show(hm.id)).delay, 1);
  });

  test('health monitor quota is enforced (403)', async () => {
    const quota = await testApp({ quotas: { load_balancer: -1, listener: -1, pool: -1, member: -1, health_monitor: 1, l7policy: -1, l7rule: -1 } });
    try {
      const lb = await activeLoadBalancer(quota);
      const a = await activePool(quota, { loadbalancer_id: lb.id });
      const b = await activePool(quota, { loadbalancer_id: lb.id });
      assert.equal((await quota.req('POST', HMS, { healthmonitor: basic(a.id) })).status, 201);
      await quota.settle();
      assertFault(await quota.req('POST', HMS, { healthmonitor: basic(b.id) }), 403, 'Quota has been met for resources: Health Monitor');
      assert.equal(await status(quota, 'load_balancer', lb.id), 'ACTIVE');
    } finally {
      await quota.close();
    }
  });

  test('show, 404s, list with filters, fields and pagination', async () => {
    const { pool } = await setup();
    const second = await setup();
    const a = await activeMonitor(basic(pool.id, 'HTTP', { name: 'a' }));
    const b = await activeMonitor(basic(second.pool.id, 'TCP', { name: 'b', max_retries: 4 }));
    assertFault(await app.req('GET', `${HMS}/${MISSING}`), 404, `Health Monitor ${MISSING} not found.`);
    assert.deepEqual((await app.req('GET', `${HMS}?pool_id=${pool.id}`)).body.healthmonitors.map((h: any) => h.id), [a.id]);
    assert.deepEqual((await app.req('GET', `${HMS}?type=TCP&max_retries=4`)).body.healthmonitors.map((h: any) => h.id), [b.id]);
    const sorted = await app.req('GET', `${HMS}?name=a&name=b&sort=name:desc`);
    assert.deepEqual(sorted.body.healthmonitors.map((h: any) => h.id), [b.id, a.id]);
    const one = await app.req('GET', `/v2.0/lbaas/healthmonitors/${a.id}?fields=id,type`);
    assert.deepEqual(one.body.healthmonitor, { id: a.id, type: 'HTTP' });
    const page = await app.req('GET', `${HMS}?limit=1`);
    assert.equal(page.body.healthmonitors.length, 1);
    assert.equal(page.body.healthmonitors_links[0].rel, 'next');
  });

  test('update: 200 with the monitor PENDING_UPDATE, its pool, listener and LB locked', async () => {
    const { lb, listener, pool } = await setup();
    const hm = await activeMonitor(basic(pool.id, 'HTTP', { tags: ['old'] }));
    app.gate.hold();
    const res = await put(hm.id, {
      max_retries: 2, tags: ['new'], name: 'n', delay: 10, timeout: 4, max_retries_down: 5, url_path: '/health',
      http_method: 'POST', expected_codes: '202', admin_state_up: false,
    });
    assert.equal(res.status, 200);
    const u = res.body.healthmonitor;
    assert.deepEqual([u.max_retries, u.tags, u.name, u.delay, u.timeout, u.max_retries_down, u.url_path, u.http_method, u.expected_codes, u.admin_state_up],
      [2, ['new'], 'n', 10, 4, 5, '/health', 'POST', '202', false]);
    assert.equal(u.provisioning_status, 'PENDING_UPDATE');
    assert.notEqual(u.updated_at, null);
    assert.equal(await status(app, 'pool', pool.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'listener', listener.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'load_balancer', lb.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
    assert.deepEqual([(await show(hm.id)).provisioning_status, (await show(hm.id)).operating_status], ['ACTIVE', 'OFFLINE']);
  });

  test('update: delay, timeout and max_retries cannot be cleared', async () => {
    const { pool } = await setup();
    const hm = await activeMonitor(basic(pool.id));
    for (const field of ['delay', 'max_retries', 'timeout']) {
      assertFault(await put(hm.id, { [field]: null }), 400, `None is not a valid option for ${field}`);
    }
  });

  test('update: null resets the HTTP fields, max_retries_down and name to their defaults', async () => {
    const { pool } = await setup();
    const hm = await activeMonitor(basic(pool.id, 'HTTP', {
      name: 'test', domain_name: 'test.example.com', expected_codes: '400', http_method: 'HEAD', http_version: '1.1',
      url_path: '/test', max_retries_down: 7, tags: ['keep'],
    }));
    const res = await put(hm.id, {
      domain_name: null, expected_codes: null, http_method: null, http_version: null, max_retries_down: null, name: null, url_path: null, tags: null,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const u = res.body.healthmonitor;
    assert.deepEqual([u.domain_name, u.expected_codes, u.http_method, u.http_version, u.max_retries_down, u.name, u.url_path, u.tags],
      [null, '200', 'GET', null, 3, '', '/', ['keep']]);
    await app.settle();
  });

  test('update: the HTTP fields are refused for other types, even null', async () => {
    const { pool } = await setup();
    const hm = await activeMonitor(basic(pool.id, 'TCP'));
    for (const field of ['http_method', 'url_path', 'expected_codes']) {
      for (const value of [field === 'http_method' ? 'GET' : field === 'url_path' ? '/' : '200', null]) {
        assertFault(await put(hm.id, { [field]: value }), 400, `${field} is not a valid option for health monitors of type TCP`);
      }
    }
    const ok = await put(hm.id, { max_retries: 2 });
    assert.equal(ok.body.healthmonitor.max_retries, 2);
    await app.settle();
  });

  test('update: http_version and domain_name together, against what the monitor has', async () => {
    const { pool } = await setup();
    const hm = await activeMonitor(basic(pool.id));
    assertFault(await put(hm.id, { domain_name: 'testlab.com' }), 400, "Validation failure: 'http_version' must be specified when 'domain_name' is provided.");
    assertFault(await put(hm.id, { http_version: 1.0, domain_name: 'testlab.com' }), 400,
      'http_version 1.0 is not a valid option for health monitors HTTP 1.1 domain name health check');
    assertFault(await put(hm.id, { http_version: 1.0, domain_name: '^testla&b.com' }), 400, /Value should match the pattern/);
    const both = await put(hm.id, { http_version: 1.1, domain_name: 'testlab.com' });
    assert.deepEqual([both.body.healthmonitor.http_version, both.body.healthmonitor.domain_name], [1.1, 'testlab.com']);
    await app.settle();
    // The monitor has a domain now: going back to HTTP/1.0 is refused, a new domain alone is fine.
    assertFault(await put(hm.id, { http_version: 1.0 }), 400, /http_version 1.0 is not a valid option/);
    assert.equal((await put(hm.id, { domain_name: 'other.example.com' })).status, 200);
    await app.settle();
  });

  test('update of a UDP pool\'s monitor keeps the UDP-CONNECT delay rule', async () => {
    const { listener, pool } = await setup('UDP');
    const hm = await activeMonitor(basic(pool.id, 'UDP-CONNECT', { delay: 3 }));
    assertFault(await put(hm.id, { delay: 3, http_method: 'GET' }), 400, 'http_method is not a valid option for health monitors of type UDP-CONNECT');
    assertFault(await put(hm.id, { delay: 1 }), 400,
      'Validation failure: The request delay value 1 should be larger than 3 for UDP-CONNECT health monitor type.');
    app.gate.hold();
    assert.equal((await put(hm.id, { timeout: 2 })).status, 200);
    assert.equal(await status(app, 'listener', listener.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
  });

  test('update refuses what a PUT cannot change and malformed values', async () => {
    const { pool } = await setup();
    const hm = await activeMonitor(basic(pool.id));
    for (const body of [{ type: 'TCP' }, { pool_id: pool.id }, { http_method: 'bad_method', delay: 2 }, { max_retries: 11 }, { delay: -1 }, { url_path: 'x' }, { project_id: 'p' }]) {
      assertFault(await put(hm.id, body), 400);
    }
    assertFault(await put(MISSING, { delay: 2 }), 404, `Health Monitor ${MISSING} not found.`);
    assert.equal((await show(hm.id)).provisioning_status, 'ACTIVE');
  });

  test('delete: 204 PENDING_DELETE, pool PENDING_UPDATE, members back to NO_MONITOR; gone once applied', async () => {
    const { listener, pool } = await setup();
    const hm = await activeMonitor(basic(pool.id));
    const member = await app.req('POST', `/v2/lbaas/pools/${pool.id}/members`, { member: { address: '192.0.2.1', protocol_port: 80 } });
    assert.equal(member.body.member.operating_status, 'OFFLINE');
    await app.settle();
    app.gate.hold();
    assert.equal((await app.req('DELETE', `${HMS}/${hm.id}`)).status, 204);
    assert.equal((await show(hm.id)).provisioning_status, 'PENDING_DELETE');
    assert.equal(await status(app, 'pool', pool.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'listener', listener.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
    assertFault(await app.req('GET', `${HMS}/${hm.id}`), 404);
    assertFault(await app.req('DELETE', `${HMS}/${hm.id}`), 404);
    // Octavia leaves the key out of a pool without a monitor.
    assert.ok(!('healthmonitor_id' in (await app.req('GET', `/v2/lbaas/pools/${pool.id}`)).body.pool));
    const m = await app.req('GET', `/v2/lbaas/pools/${pool.id}/members/${member.body.member.id}`);
    assert.equal(m.body.member.operating_status, 'NO_MONITOR');
    // The pool may have a monitor again.
    await activeMonitor(basic(pool.id, 'TCP'));
  });

  test('a pool without a listener: the monitor locks the LB and pool only', async () => {
    const lb = await activeLoadBalancer(app);
    const listener = await addListener(app, lb);
    const pool = await activePool(app, { loadbalancer_id: lb.id });
    app.gate.hold();
    assert.equal((await post(basic(pool.id))).status, 201);
    assert.equal(await status(app, 'listener', listener.id), 'ACTIVE');
    assert.equal(await status(app, 'pool', pool.id), 'PENDING_UPDATE');
    assert.equal(await status(app, 'load_balancer', lb.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
  });

  test('the monitor goes with its pool', async () => {
    const { pool } = await setup();
    const hm = await activeMonitor(basic(pool.id));
    assert.equal((await app.req('DELETE', `/v2/lbaas/pools/${pool.id}`)).status, 204);
    await app.settle();
    assertFault(await app.req('GET', `${HMS}/${hm.id}`), 404, `Health Monitor ${hm.id} not found.`);
  });

  test('creating a monitor leaves existing members as they are (the health manager reports later)', async () => {
    const { pool } = await setup();
    const member = await app.req('POST', `/v2/lbaas/pools/${pool.id}/members`, { member: { address: '192.0.2.2', protocol_port: 80 } });
    await app.settle();
    await activeMonitor(basic(pool.id));
    const m = await app.req('GET', `/v2/lbaas/pools/${pool.id}/members/${member.body.member.id}`);
    assert.equal(m.body.member.operating_status, 'NO_MONITOR');
  });

  test('a pool used through an L7 redirect locks that listener too', async () => {
    const { lb, pool } = await setup();
    const other = await addListener(app, lb);
    await addRedirect(app, lb, other.id, pool.id);
    app.gate.hold();
    assert.equal((await post(basic(pool.id))).status, 201);
    assert.equal(await status(app, 'listener', other.id), 'PENDING_UPDATE');
    app.gate.release();
    await app.settle();
  });

  test('update: null admin_state_up reads false; disabled monitors settle OFFLINE, enabled ONLINE', async () => {
    const { pool } = await setup();
    const hm = await activeMonitor(basic(pool.id));
    assert.equal((await show(hm.id)).operating_status, 'ONLINE');
    assert.equal((await put(hm.id, { admin_state_up: null })).body.healthmonitor.admin_state_up, false);
    await app.settle();
    assert.equal((await show(hm.id)).operating_status, 'OFFLINE');
    assert.equal((await put(hm.id, { admin_state_up: true })).body.healthmonitor.admin_state_up, true);
    await app.settle();
    assert.equal((await show(hm.id)).operating_status, 'ONLINE');
  });
});
