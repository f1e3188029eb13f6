// The UDP engine's configuration (udp.json) rendered from a graph: what reaches the agent for
// UDP listeners, and what the renderer refuses. The engine itself is tested with real
// datagrams in test/e2e/udp.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RenderError, renderHaproxy, renderUdp, toIR, toUdpConfig } from '../../src/render/index.ts';
import { amphoraContext, graph, listener, loadBalancer, member, monitor, pool, uuid } from './fixtures.ts';

const udpGraph = (over: { pool?: object; monitor?: object | null; members?: object[] } = {}) => graph({
  listeners: [
    listener(1, { protocol: 'UDP', protocol_port: 53, default_pool_id: uuid('pool', 1) }),
    listener(2, { protocol: 'HTTP', protocol_port: 80 }),
  ],
  pools: [pool(1, { protocol: 'UDP', ...over.pool })],
  members: [member(1, 1, { protocol_port: 5353 }), member(2, 1, { backup: true, monitor_port: 9000, ...over.members?.[1] })],
  healthMonitors: over.monitor === null ? [] : [monitor(1, 1, { type: 'UDP-CONNECT', delay: 3, timeout: 2, max_retries: 2, max_retries_down: 3, ...over.monitor })],
});

test('a UDP listener becomes one engine listener with its pool, members and check; HAProxy never sees it', () => {
  const g = udpGraph({ pool: { lb_algorithm: 'LEAST_CONNECTIONS', session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: 120, persistence_granularity: '255.255.255.0' } } });
  const ctx = amphoraContext({ additionalVipAddresses: ['2001:db8::10'] });
  const config = toUdpConfig(g, ctx)!;
  assert.equal(config.listeners.length, 1);
  const [l] = config.listeners;
  assert.deepEqual(l.binds, [{ address: '203.0.113.10', port: 53 }, { address: '2001:db8::10', port: 53 }]);
  assert.equal(l.enabled, true);
  assert.equal(l.pool!.name, `${uuid('pool', 1)}:${uuid('listener', 1)}`);
  assert.equal(l.pool!.algorithm, 'leastconn');
  assert.deepEqual(l.pool!.persistence, { timeoutSeconds: 120, granularity: '255.255.255.0' });
  assert.deepEqual(l.pool!.check, { kind: 'udp-connect', interval: 3, timeout: 2, rise: 2, fall: 3, http: null });
  assert.deepEqual(l.pool!.members.map((m) => [m.port, m.backup, m.checkPort]), [[5353, false, null], [8080, true, 9000]]);
  assert.deepEqual(JSON.parse(renderUdp(config)), config);
  assert.doesNotMatch(renderHaproxy(toIR(g, ctx)), new RegExp(uuid('listener', 1)));
});

test('HTTP and TCP monitors check UDP members; persistence defaults to Octavia\'s 360 s', () => {
  const http = toUdpConfig(udpGraph({
    monitor: { type: 'HTTP', url_path: '/ready', expected_codes: '200-204, 301', http_method: 'HEAD' },
    pool: { session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: null, persistence_granularity: null } },
  }), amphoraContext())!.listeners[0].pool!;
  assert.deepEqual(http.check!.http, { method: 'HEAD', path: '/ready', expectStatus: '200-204,301' });
  assert.deepEqual(http.persistence, { timeoutSeconds: 360, granularity: null });
  assert.equal(toUdpConfig(udpGraph({ monitor: { type: 'TCP' } }), amphoraContext())!.listeners[0].pool!.check!.kind, 'tcp');
  assert.equal(toUdpConfig(udpGraph({ monitor: null }), amphoraContext())!.listeners[0].pool!.check, null);
});

test('disabled objects: a disabled listener or load balancer binds nothing; a disabled pool disables its members', () => {
  const g = udpGraph({ pool: { admin_state_up: false } });
  assert.ok(toUdpConfig(g, amphoraContext())!.listeners[0].pool!.members.every((m) => m.disabled));
  g.listeners[0].admin_state_up = false;
  assert.equal(toUdpConfig(g, amphoraContext())!.listeners[0].enabled, false);
  const off = udpGraph();
  off.loadBalancer = loadBalancer({ admin_state_up: false });
  assert.equal(toUdpConfig(off, amphoraContext())!.listeners[0].enabled, false);
});

test('no UDP listener, no file; refusals for what the engine cannot do', () => {
  assert.equal(toUdpConfig(graph({ listeners: [listener(1)] }), amphoraContext()), null);
  assert.throws(() => toUdpConfig(udpGraph({ monitor: { type: 'PING' } }), amphoraContext()), RenderError);
  assert.throws(() => toUdpConfig(udpGraph({ pool: { protocol: 'TCP' } }), amphoraContext()), RenderError);
  for (const granularity of ['255.0.255.0', '255.255.255.0 x', '::/64', '\n']) {
    assert.throws(() => toUdpConfig(udpGraph({ pool: { session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: null, persistence_granularity: granularity } } }), amphoraContext()), RenderError, granularity);
  }
  assert.throws(() => toUdpConfig(udpGraph({ members: [{}, { address: '192.0.2.1\nbind :1' }] }), amphoraContext()), RenderError);
});
