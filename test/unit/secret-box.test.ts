// Encryption at rest of the key manager's payloads: AES-256-GCM sealing bound to the row id,
// and the key file made once (0600) and shared by processes that start together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { SecretBox, loadSecretKey } from '../../src/drivers/secrets/box.ts';

test('sealed payloads open only with the same key and row id, and are never the same bytes twice', () => {
  const box = new SecretBox(Buffer.alloc(32, 7));
  const plain = Buffer.from('-----BEGIN PRIVATE KEY-----\nsecret\n');
  const a = box.seal(plain, 'id-1');
  assert.notEqual(a, box.seal(plain, 'id-1'), 'a fresh IV each time');
  assert.ok(!Buffer.from(a, 'base64').includes('secret'));
  assert.deepEqual(box.open(a, 'id-1'), plain);
  assert.throws(() => box.open(a, 'id-2'), 'bound to its row');
  assert.throws(() => new SecretBox(Buffer.alloc(32, 8)).open(a, 'id-1'), 'another key');
  const tampered = Buffer.from(a, 'base64');
  tampered[tampered.length - 1] ^= 1;
  assert.throws(() => box.open(tampered.toString('base64'), 'id-1'), 'tampered');
  assert.equal(JSON.stringify({ box }), '{"box":"[SecretBox]"}');
  assert.equal(inspect(box), '[SecretBox]');
});

test('the key file is created once, 0600, and read back after', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fkey-'));
  try {
    const file = join(dir, 'sub', 'secrets.key');
    const first = loadSecretKey(file);
    assert.equal(first.length, 32);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(loadSecretKey(file), first);
    assert.deepEqual(loadSecretKey(file, Buffer.alloc(32, 1).toString('base64')), Buffer.alloc(32, 1));
    assert.throws(() => loadSecretKey(file, 'dG9vIHNob3J0'), /32 bytes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
