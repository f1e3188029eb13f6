// fulcrum up's health options: parsed once into the config, refused when they make no sense.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseUpArgs } from '../../src/cli/main.ts';
import { heartbeatKey } from '../../src/health/key.ts';

test('defaults: 1 s interval, 3 s timeout, threshold 10, UDP 127.0.0.1:5555', () => {
  const h = parseUpArgs([]).health;
  assert.deepEqual([h.heartbeatIntervalMs, h.heartbeatTimeoutMs, h.failoverThreshold, h.listen], [1000, 3000, 10, { host: '127.0.0.1', port: 5555 }]);
  assert.equal(h.key, undefined);
});

test('flags set the health role; a timeout not above the interval is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fho-'));
  try {
    writeFileSync(join(dir, 'k'), 'a-shared-heartbeat-key\n');
    const h = parseUpArgs(['--health-listen', '0.0.0.0:6000', '--heartbeat-interval', '500', '--heartbeat-timeout', '1500',
      '--failover-threshold', '3', '--heartbeat-key-file', join(dir, 'k')]).health;
    assert.deepEqual([h.listen, h.heartbeatIntervalMs, h.heartbeatTimeoutMs, h.failoverThreshold, h.key],
      [{ host: '0.0.0.0', port: 6000 }, 500, 1500, 3, 'a-shared-heartbeat-key']);
    assert.throws(() => parseUpArgs(['--heartbeat-interval', '1000', '--heartbeat-timeout', '1000']), /longer than/);
    assert.throws(() => parseUpArgs(['--heartbeat-interval', 'soon']), /milliseconds/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the heartbeat key is generated once into the data dir (0600) and read back after', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fhk-'));
  try {
    const key = heartbeatKey(dir);
    assert.ok(key.length >= 32);
    assert.equal(statSync(join(dir, 'heartbeat.key')).mode & 0o777, 0o600);
    assert.equal(heartbeatKey(dir), key);
    assert.equal(heartbeatKey(dir, 'configured-key-wins'), 'configured-key-wins');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
