// `fulcrum up --auth ...` options and the client files the built-in identity writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseUpArgs } from '../../src/cli/main.ts';
import { writeClientFiles } from '../../src/identity/clouds.ts';

test('fulcrum up defaults to the built-in identity; noauth and keystone are chosen explicitly', () => {
  assert.equal(parseUpArgs([]).auth, 'builtin');
  assert.equal(parseUpArgs(['--auth', 'noauth']).auth, 'noauth');
  assert.throws(() => parseUpArgs(['--auth', 'ldap']), /expected builtin, noauth or keystone/);
  assert.throws(() => parseUpArgs(['--auth', 'keystone'], {}), /--keystone-url/);
  const ks = parseUpArgs(['--auth', 'keystone', '--keystone-url', 'http://ks:5000/v3'], { FULCRUM_KEYSTONE_PASSWORD: 'pw' });
  assert.equal(ks.identity.keystone?.url, 'http://ks:5000/v3');
  assert.equal(ks.identity.keystone?.username, 'octavia');
  assert.equal(ks.identity.keystone?.projectName, 'service');
  assert.equal(parseUpArgs(['--public-url', 'https://lb.example']).identity.publicUrl, 'https://lb.example');
});

test('clouds.yaml and openrc: written 0600 with the new password, later only re-pointed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clouds-'));
  try {
    const files = writeClientFiles(dir, 'http://127.0.0.1:1111/identity/v3', "p'w\"1");
    assert.equal(statSync(files.cloudsYaml).mode & 0o777, 0o600);
    assert.equal(statSync(files.openrc).mode & 0o777, 0o600);
    assert.match(readFileSync(files.cloudsYaml, 'utf8'), /password: "p'w\\"1"/);
    assert.match(readFileSync(files.openrc, 'utf8'), /export OS_PASSWORD='p'\\''w"1'/);
    writeClientFiles(dir, 'http://127.0.0.1:2222/identity/v3', null);
    const yaml = readFileSync(files.cloudsYaml, 'utf8');
    assert.match(yaml, /auth_url: "http:\/\/127\.0\.0\.1:2222\/identity\/v3"/);
    assert.match(yaml, /password: "p'w\\"1"/, 'the password survives a restart');
    assert.match(readFileSync(files.openrc, 'utf8'), /OS_AUTH_URL='http:\/\/127\.0\.0\.1:2222\/identity\/v3'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
