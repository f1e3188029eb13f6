// The heartbeat receiver refuses unsigned, forged, replayed, stale, oversized and malformed
// packets (counting each), and accepts good ones — over a real UDP socket too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { deflateRawSync } from 'node:zlib';
import pino from 'pino';
import { HEARTBEAT_VERSION, signHeartbeat } from '../../src/amphora/heartbeat.ts';
import type { Heartbeat } from '../../src/amphora/heartbeat.ts';
import { HeartbeatReceiver } from '../../src/health/receiver.ts';

const KEY = 'k'.repeat(44);
const log = pino({ level: 'silent' });

function beat(over: Partial<Heartbeat> = {}): Heartbeat {
  return {
    v: HEARTBEAT_VERSION, amphora_id: 'amp-1', seq: 1, sent_at: Date.now(), generation: 3, haproxy_up: true, epoch: '1/2/3',
    listeners: { l1: { status: 'OPEN', bytes_in: 10, bytes_out: 20, active_connections: 1, total_connections: 5, request_errors: 0 } },
    pools: { 'p1:l1': { status: 'UP', members: { m1: 'UP', m2: 'DOWN 1/2' } } },
    ...over,
  };
}

function receiver(opts: { maxBytes?: number; now?: () => number } = {}) {
  const got: Heartbeat[] = [];
  const r = new HeartbeatReceiver({ listen: { host: '127.0.0.1', port: 0 }, key: KEY, log, ...opts }, (b) => void got.push(b));
  return { r, got };
}

const signRaw = (body: Buffer, key = KEY) => Buffer.concat([body, createHmac('sha256', key).update(body).digest()]);

test('a signed heartbeat is accepted and handed on whole', async () => {
  const { r, got } = receiver();
  assert.equal(await r.receive(signHeartbeat(beat(), KEY)), true);
  assert.deepEqual(got, [beat({ sent_at: got[0].sent_at })]);
  assert.equal(r.counters.accepted, 1);
});

test('unsigned, forged and tampered packets are dropped and counted', async () => {
  const { r, got } = receiver();
  assert.equal(await r.receive(Buffer.from('hello')), false);
  assert.equal(await r.receive(Buffer.alloc(0)), false);
  assert.equal(await r.receive(signHeartbeat(beat(), 'another key')), false);
  const tampered = signHeartbeat(beat(), KEY);
  tampered[3] ^= 0xff;
  assert.equal(await r.receive(tampered), false);
  // The JSON alone, no MAC: as long as a MAC, so it is read as a wrong one.
  assert.equal(await r.receive(Buffer.from(JSON.stringify(beat()))), false);
  assert.deepEqual(got, []);
  assert.equal(r.counters.dropped.unsigned, 2);
  assert.equal(r.counters.dropped.bad_signature, 3);
});

test('a replayed or older sequence number is refused; a newer one passes', async () => {
  const { r, got } = receiver();
  const first = signHeartbeat(beat({ seq: 10 }), KEY);
  assert.equal(await r.receive(first), true);
  assert.equal(await r.receive(first), false);
  assert.equal(await r.receive(signHeartbeat(beat({ seq: 9 }), KEY)), false);
  assert.equal(await r.receive(signHeartbeat(beat({ seq: 11 }), KEY)), true);
  // Sequences are per amphora.
  assert.equal(await r.receive(signHeartbeat(beat({ amphora_id: 'amp-2', seq: 1 }), KEY)), true);
  assert.equal(got.length, 3);
  assert.equal(r.counters.dropped.replayed, 2);
});

test('an old packet replayed into a receiver that has no sequence yet is refused by its age', async () => {
  const { r } = receiver();
  assert.equal(await r.receive(signHeartbeat(beat({ sent_at: Date.now() - 60_000 }), KEY)), false);
  assert.equal(await r.receive(signHeartbeat(beat({ sent_at: Date.now() + 60_000 }), KEY)), false);
  assert.equal(r.counters.dropped.stale, 2);
});

test('oversized datagrams and bodies that inflate too far are dropped', async () => {
  const { r } = receiver({ maxBytes: 1000 });
  assert.equal(await r.receive(Buffer.alloc(1001, 1)), false);
  const big = receiver();
  // 8 MiB of zeros deflates to ~8 KiB; signed, so only the inflation bound (4 MiB) stops it.
  const bomb = signRaw(deflateRawSync(Buffer.alloc(8 * 1024 * 1024)));
  assert.equal(await big.r.receive(bomb), false);
  assert.equal(r.counters.dropped.oversized, 1);
  assert.equal(big.r.counters.dropped.oversized, 1);
});

test('signed but malformed bodies are dropped, never thrown', async () => {
  const { r, got } = receiver();
  const bodies = [
    Buffer.from('not deflated'),
    deflateRawSync(Buffer.from('{not json')),
    deflateRawSync(Buffer.from('[]')),
    deflateRawSync(Buffer.from(JSON.stringify({ ...beat(), v: 99 }))),
    deflateRawSync(Buffer.from(JSON.stringify({ ...beat(), seq: -1 }))),
    deflateRawSync(Buffer.from(JSON.stringify({ ...beat(), listeners: { l1: { status: 'OPEN', bytes_in: 'x' } } }))),
    deflateRawSync(Buffer.from(JSON.stringify({ ...beat(), pools: { p: { status: 'UP', members: { m: 3 } } } }))),
  ];
  for (const body of bodies) assert.equal(await r.receive(signRaw(body)), false);
  assert.equal(r.counters.dropped.malformed, bodies.length);
  assert.deepEqual(got, []);
});

test('a handler that throws is counted, and the receiver keeps going', async () => {
  let calls = 0;
  const r = new HeartbeatReceiver({ listen: { host: '127.0.0.1', port: 0 }, key: KEY, log }, () => {
    calls++;
    throw new Error('database down');
  });
  assert.equal(await r.receive(signHeartbeat(beat({ seq: 1 }), KEY)), true);
  assert.equal(await r.receive(signHeartbeat(beat({ seq: 2 }), KEY)), true);
  assert.equal(calls, 2);
  assert.equal(r.counters.dropped.handler_failed, 2);
});

test('over a real UDP socket: good packets arrive, a flood of garbage is only counted', async () => {
  const { r, got } = receiver();
  const addr = await r.start();
  const sock = createSocket('udp4');
  try {
    const send = (b: Buffer) => new Promise<void>((res, rej) => sock.send(b, addr.port, addr.host, (e) => (e ? rej(e) : res())));
    for (let i = 0; i < 200; i++) await send(Buffer.from(`garbage ${i} ${'x'.repeat(i)}`));
    await send(signHeartbeat(beat({ seq: 5 }), KEY));
    const deadline = Date.now() + 2000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    assert.equal(got.length, 1);
    assert.equal(r.counters.dropped.unsigned + r.counters.dropped.bad_signature, 200);
  } finally {
    sock.close();
    await r.close();
  }
});
