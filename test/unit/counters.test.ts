// Statistics that never go backwards across reloads, restarts, lost heartbeats and new amphorae.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accumulate } from '../../src/domain/counters.ts';
import type { ListenerStats } from '../../src/domain/entities.ts';

const r = (bytes: number, conns: number, active = 0) => ({
  bytes_in: bytes, bytes_out: bytes * 2, active_connections: active, total_connections: conns, request_errors: 0,
});

function run(reports: [string, ReturnType<typeof r>][]): ListenerStats | undefined {
  let row: ListenerStats | undefined;
  for (const [epoch, report] of reports) row = accumulate(row, 'l', 'a', epoch, report) ?? row;
  return row;
}

test('within one worker the totals follow HAProxy; a lost heartbeat loses nothing', () => {
  const row = run([['w1', r(100, 1)], ['w1', r(250, 3)], /* lost: 400 */ ['w1', r(900, 9, 2)]]);
  assert.equal(row!.bytes_in, 900);
  assert.equal(row!.bytes_out, 1800);
  assert.equal(row!.total_connections, 9);
  assert.equal(row!.active_connections, 2);
});

test('a reload (new worker counting from zero) adds on instead of going backwards', () => {
  const row = run([['w1', r(1000, 10)], ['w2', r(50, 1)], ['w2', r(80, 2)]]);
  assert.equal(row!.bytes_in, 1080);
  assert.equal(row!.total_connections, 12);
});

test('counters that fall within the same epoch are treated as a restart', () => {
  const row = run([['w1', r(1000, 10)], ['w1', r(10, 1)]]);
  assert.equal(row!.bytes_in, 1010);
});

test('nothing changed: no row to write', () => {
  const first = accumulate(undefined, 'l', 'a', 'w1', r(5, 1))!;
  assert.equal(accumulate(first, 'l', 'a', 'w1', r(5, 1)), undefined);
  assert.notEqual(accumulate(first, 'l', 'a', 'w1', r(5, 1, 3)), undefined);
});

test('a row written without a base keeps its totals and takes this report as the base', () => {
  const legacy: ListenerStats = { listener_id: 'l', amphora_id: 'a', bytes_in: 7000, bytes_out: 0, active_connections: 0, total_connections: 70, request_errors: 0 };
  const next = accumulate(legacy, 'l', 'a', 'w1', r(100, 1))!;
  assert.equal(next.bytes_in, 7000);
  assert.equal(accumulate(next, 'l', 'a', 'w1', r(150, 2))!.bytes_in, 7050);
});

test('totals never decrease over any sequence of reports', () => {
  let row: ListenerStats | undefined;
  let last = 0;
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let raw = 0;
  let epoch = 0;
  for (let i = 0; i < 500; i++) {
    if (rand() < 0.1) { epoch++; raw = 0; }
    raw += Math.floor(rand() * 100);
    if (rand() < 0.3) continue; // lost heartbeat
    row = accumulate(row, 'l', 'a', `w${epoch}`, r(raw, raw)) ?? row;
    assert.ok(row!.bytes_in >= last);
    last = row!.bytes_in;
  }
});
