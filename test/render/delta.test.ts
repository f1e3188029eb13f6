// runtimeDelta: member-only changes become runtime-API commands; anything else needs a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoadBalancerGraph } from '../../src/domain/entities.ts';
import { dynamicServersRefused, renderHaproxy, runtimeDelta, toIR } from '../../src/render/index.ts';
import { amphoraContext, listener, member, monitor, policy, rule, simpleGraph, uuid } from './fixtures.ts';

const BE = `${uuid('pool', 1)}:${uuid('listener', 1)}`;
const M = (n: number) => `${BE}/${uuid('member', n)}`;

/** The delta from `base` to `base` after `change`. */
function delta(base: LoadBalancerGraph, change: (g: LoadBalancerGraph) => void, ctx = {}) {
  const after = structuredClone(base);
  change(after);
  return runtimeDelta(toIR(base, amphoraContext(ctx)), toIR(after, amphoraContext(ctx)));
}

const checked = () => {
  const g = simpleGraph(2);
  g.healthMonitors.push(monitor(1, 1, { type: 'TCP' }));
  return g;
};

test('no change: no command', () => {
  assert.deepEqual(delta(checked(), () => {}), []);
});

test('a new member: add server with its checks, enable health, enable server', () => {
  const cmds = delta(checked(), (g) => g.members.push(member(3, 1, { weight: 5, monitor_port: 9000 })));
  assert.ok(cmds);
  assert.equal(cmds.length, 3);
  assert.match(cmds[0], new RegExp(`^add server ${M(3)} 192\\.0\\.2\\.3:8080 id \\d+ weight 5 check inter 5s fall 3 rise 3 on-marked-down shutdown-sessions port 9000$`));
  assert.deepEqual(cmds.slice(1), [`enable health ${M(3)}`, `enable server ${M(3)}`]);
});

test('the runtime server is the configuration\'s server: same parameters as its line in haproxy.cfg', () => {
  const base = checked();
  const after = structuredClone(base);
  after.members.push(member(3, 1, { backup: true, monitor_address: '192.0.2.200' }));
  const cmds = runtimeDelta(toIR(base, amphoraContext()), toIR(after, amphoraContext()))!;
  const line = renderHaproxy(toIR(after, amphoraContext())).split('\n').find((l) => l.includes(`server ${uuid('member', 3)} `))!;
  assert.equal(cmds[0].replace(`add server ${BE}/`, 'server '), line.trim());
});

test('a new member without a monitor is not health-enabled; a new disabled member stays in maintenance', () => {
  assert.deepEqual(delta(simpleGraph(1), (g) => g.members.push(member(2, 1))), [
    `add server ${M(2)} 192.0.2.2:8080 id ${toIR(simpleGraph(2), amphoraContext()).backends[0].servers[1].id} weight 1`,
    `enable server ${M(2)}`,
  ]);
  const cmds = delta(checked(), (g) => g.members.push(member(3, 1, { admin_state_up: false })));
  assert.deepEqual(cmds?.slice(1), [`enable health ${M(3)}`]);
});

test('a removed member (deleted or PENDING_DELETE): maintenance, sessions shut, deleted', () => {
  const expected = [`set server ${M(2)} state maint`, `shutdown sessions server ${M(2)}`, `del server ${M(2)}`];
  assert.deepEqual(delta(checked(), (g) => g.members.pop()), expected);
  assert.deepEqual(delta(checked(), (g) => { g.members[1].provisioning_status = 'PENDING_DELETE'; }), expected);
});

test('weight and admin state change in place', () => {
  assert.deepEqual(delta(checked(), (g) => { g.members[0].weight = 0; }), [`set weight ${M(1)} 0`]);
  assert.deepEqual(delta(checked(), (g) => { g.members[1].admin_state_up = false; }), [`set server ${M(2)} state maint`]);
  const disabled = simpleGraph(1);
  disabled.members[0].admin_state_up = false;
  assert.deepEqual(delta(disabled, (g) => { g.members[0].admin_state_up = true; g.members[0].weight = 7; }),
    [`set weight ${M(1)} 7`, `set server ${M(1)} state ready`]);
});

test('disabling a pool with no L7 policy on it puts its servers in maintenance', () => {
  assert.deepEqual(delta(simpleGraph(2), (g) => { g.pools[0].admin_state_up = false; }),
    [`set server ${M(1)} state maint`, `set server ${M(2)} state maint`]);
});

test('removals come before additions: a replaced member never doubles the pool', () => {
  const cmds = delta(checked(), (g) => { g.members.shift(); g.members.push(member(3, 1)); })!;
  assert.deepEqual(cmds.map((c) => c.split(' ').slice(0, 2).join(' ')),
    ['set server', 'shutdown sessions', 'del server', 'add server', 'enable health', 'enable server']);
});

test('a member change in a pool shared by two listeners reaches both backends', () => {
  const g = simpleGraph(1);
  g.listeners.push(listener(2, { protocol_port: 81, default_pool_id: uuid('pool', 1) }));
  const cmds = delta(g, (x) => { x.members[0].weight = 3; });
  assert.deepEqual(cmds, [`set weight ${M(1)} 3`, `set weight ${uuid('pool', 1)}:${uuid('listener', 2)}/${uuid('member', 1)} 3`]);
});

test('member changes HAProxy cannot apply at runtime need a reload', () => {
  assert.equal(delta(checked(), (g) => { g.members[0].backup = true; }), null);
  assert.equal(delta(checked(), (g) => { g.members[0].monitor_address = '192.0.2.99'; }), null);
  assert.equal(delta(checked(), (g) => { g.members[0].monitor_port = 9999; }), null);
});

test('anything but members needs a reload', () => {
  const changes: ((g: LoadBalancerGraph) => void)[] = [
    (g) => { g.listeners[0].timeout_client_data = 1; },
    (g) => { g.listeners[0].connection_limit = 10; },
    (g) => { g.listeners.push(listener(2, { protocol_port: 81 })); },
    (g) => { g.listeners[0].admin_state_up = false; },
    (g) => { g.loadBalancer.admin_state_up = false; },
    (g) => { g.pools[0].lb_algorithm = 'LEAST_CONNECTIONS'; },
    (g) => { g.healthMonitors[0].delay = 1; },
    (g) => { g.healthMonitors[0].admin_state_up = false; },
    (g) => { g.l7policies.push(policy(1, 1)); g.l7rules.push(rule(1, 1)); },
  ];
  for (const change of changes) assert.equal(delta(checked(), change), null, change.toString());
  assert.equal(runtimeDelta(toIR(checked(), amphoraContext()), toIR(checked(), amphoraContext({ maxconn: 10 }))), null);
});

test('where 2.6 refuses dynamic servers (cookie persistence), member changes need a reload', () => {
  const sp = (type: 'HTTP_COOKIE' | 'APP_COOKIE' | 'SOURCE_IP') => ({ type, cookie_name: 'c', persistence_timeout: null, persistence_granularity: null });
  const cookie = simpleGraph(1, { pool: { session_persistence: sp('HTTP_COOKIE') } });
  assert.equal(delta(cookie, (g) => g.members.push(member(2, 1))), null);
  assert.equal(delta(cookie, (g) => { g.members[0].weight = 2; }), null);
  for (const type of ['APP_COOKIE', 'SOURCE_IP'] as const) {
    const g = simpleGraph(1, { pool: { session_persistence: sp(type) } });
    assert.equal(delta(g, (x) => x.members.push(member(2, 1)))?.length, 2, type);
  }
  for (const lb_algorithm of ['SOURCE_IP', 'SOURCE_IP_PORT'] as const) {
    const source = simpleGraph(1, { pool: { lb_algorithm } });
    assert.equal(delta(source, (g) => g.members.push(member(2, 1)))?.length, 2, lb_algorithm);
    const backend = toIR(source, amphoraContext()).backends[0];
    assert.equal(dynamicServersRefused(backend), null, lb_algorithm);
    assert.match(dynamicServersRefused({ ...backend, hashType: null }) ?? '', /hash-type consistent/, lb_algorithm);
  }
});
