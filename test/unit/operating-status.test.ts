// Operating status derived from an amphora's report, rule by rule (Octavia's health manager).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveOperatingStatus, haproxyDownStatus } from '../../src/domain/operating-status.ts';
import type { ReportedStatus, StoredLoadBalancer } from '../../src/domain/operating-status.ts';

function lb(over: Partial<StoredLoadBalancer> = {}): StoredLoadBalancer {
  return {
    id: 'lb', admin_state_up: true, provisioning_status: 'ACTIVE', operating_status: 'ONLINE',
    listeners: [{ id: 'l1', admin_state_up: true, operating_status: 'ONLINE' }],
    pools: [{ id: 'p1', operating_status: 'ONLINE', members: [
      { id: 'm1', operating_status: 'ONLINE' }, { id: 'm2', operating_status: 'ONLINE' },
    ] }],
    ...over,
  };
}

const healthy: ReportedStatus = {
  listeners: { l1: { status: 'OPEN' } },
  pools: { 'p1:l1': { status: 'UP', members: { m1: 'UP', m2: 'UP' } } },
};

const toMap = (changes: ReturnType<typeof deriveOperatingStatus>) => Object.fromEntries(changes.map((c) => [`${c.kind}:${c.id}`, c.to]));

test('everything as stored: no change, so nothing is written', () => {
  assert.deepEqual(deriveOperatingStatus(lb(), healthy), []);
});

test('fresh objects (OFFLINE as created) come ONLINE', () => {
  const fresh = lb({
    operating_status: 'OFFLINE',
    listeners: [{ id: 'l1', admin_state_up: true, operating_status: 'OFFLINE' }],
    pools: [{ id: 'p1', operating_status: 'OFFLINE', members: [{ id: 'm1', operating_status: 'OFFLINE' }, { id: 'm2', operating_status: 'OFFLINE' }] }],
  });
  assert.deepEqual(toMap(deriveOperatingStatus(fresh, healthy)), {
    'listener:l1': 'ONLINE', 'member:m1': 'ONLINE', 'member:m2': 'ONLINE', 'pool:p1': 'ONLINE', 'load_balancer:lb': 'ONLINE',
  });
});

test('a member DOWN: member ERROR, pool and LB DEGRADED; transitional "DOWN 1/2" counts as DOWN', () => {
  for (const down of ['DOWN', 'DOWN 1/2']) {
    const report = { ...healthy, pools: { 'p1:l1': { status: 'UP', members: { m1: 'UP', m2: down } } } };
    assert.deepEqual(toMap(deriveOperatingStatus(lb(), report)), { 'member:m2': 'ERROR', 'pool:p1': 'DEGRADED', 'load_balancer:lb': 'DEGRADED' });
  }
});

test('every member DOWN: the backend is DOWN, pool and LB ERROR', () => {
  const report = { ...healthy, pools: { 'p1:l1': { status: 'DOWN', members: { m1: 'DOWN', m2: 'DOWN' } } } };
  assert.deepEqual(toMap(deriveOperatingStatus(lb(), report)), {
    'member:m1': 'ERROR', 'member:m2': 'ERROR', 'pool:p1': 'ERROR', 'load_balancer:lb': 'ERROR',
  });
});

test('member DRAIN, MAINT, no check and absent', () => {
  const stored = lb({ pools: [{ id: 'p1', operating_status: 'ONLINE', members: [
    { id: 'd', operating_status: 'ONLINE' }, { id: 'm', operating_status: 'ONLINE' }, { id: 'n', operating_status: 'ONLINE' },
    { id: 'gone', operating_status: 'ONLINE' }, { id: 'nomon', operating_status: 'NO_MONITOR' }, { id: 'odd', operating_status: 'ONLINE' },
  ] }] });
  const report = { ...healthy, pools: { 'p1:l1': { status: 'UP', members: { d: 'DRAIN', m: 'MAINT', n: 'no check', odd: 'NOLB' } } } };
  assert.deepEqual(toMap(deriveOperatingStatus(stored, report)), {
    'member:d': 'DRAINING', 'member:m': 'OFFLINE', 'member:n': 'NO_MONITOR', 'member:gone': 'OFFLINE',
  });
});

test('listener FULL: DEGRADED with the LB; listener absent: ERROR when enabled on an ACTIVE LB, else OFFLINE', () => {
  assert.deepEqual(toMap(deriveOperatingStatus(lb(), { ...healthy, listeners: { l1: { status: 'FULL' } } })), {
    'listener:l1': 'DEGRADED', 'load_balancer:lb': 'DEGRADED',
  });
  assert.deepEqual(toMap(deriveOperatingStatus(lb(), { ...healthy, listeners: {} })), { 'listener:l1': 'ERROR' });
  assert.deepEqual(toMap(deriveOperatingStatus(lb({ provisioning_status: 'PENDING_UPDATE' }), { ...healthy, listeners: {} })), { 'listener:l1': 'OFFLINE' });
  const disabled = lb({ listeners: [{ id: 'l1', admin_state_up: false, operating_status: 'ONLINE' }] });
  assert.deepEqual(toMap(deriveOperatingStatus(disabled, { ...healthy, listeners: {} })), { 'listener:l1': 'OFFLINE' });
});

test('a pool no listener serves goes OFFLINE; a pool shared by listeners is read once', () => {
  const stored = lb({ pools: [
    { id: 'p1', operating_status: 'ONLINE', members: [{ id: 'm1', operating_status: 'ONLINE' }, { id: 'm2', operating_status: 'ONLINE' }] },
    { id: 'orphan', operating_status: 'ONLINE', members: [] },
  ] });
  const report = { listeners: { l1: { status: 'OPEN' } }, pools: { 'p1:l1': { status: 'UP', members: { m1: 'UP', m2: 'UP' } }, 'p1:l2': { status: 'DOWN', members: {} } } };
  assert.deepEqual(toMap(deriveOperatingStatus(stored, report)), { 'pool:orphan': 'OFFLINE' });
});

test('a disabled LB is OFFLINE, but an ERROR below still shows', () => {
  assert.deepEqual(toMap(deriveOperatingStatus(lb({ admin_state_up: false }), healthy)), { 'load_balancer:lb': 'OFFLINE' });
  const report = { ...healthy, pools: { 'p1:l1': { status: 'DOWN', members: { m1: 'DOWN', m2: 'DOWN' } } } };
  assert.equal(toMap(deriveOperatingStatus(lb({ admin_state_up: false }), report))['load_balancer:lb'], 'ERROR');
});

test('unknown statuses keep what is stored', () => {
  const report = { listeners: { l1: { status: 'STOP' } }, pools: { 'p1:l1': { status: 'MAYBE', members: { m1: 'UP', m2: 'UP' } } } };
  assert.deepEqual(deriveOperatingStatus(lb(), report), []);
});

test('HAProxy gone: listeners and LB ERROR (disabled listeners OFFLINE)', () => {
  const stored = lb({ listeners: [{ id: 'l1', admin_state_up: true, operating_status: 'ONLINE' }, { id: 'l2', admin_state_up: false, operating_status: 'OFFLINE' }] });
  assert.deepEqual(toMap(haproxyDownStatus(stored)), { 'listener:l1': 'ERROR', 'load_balancer:lb': 'ERROR' });
});
