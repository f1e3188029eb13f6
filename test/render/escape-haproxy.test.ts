// escape.ts against the real HAProxy: random header values, header names and redirect URLs
// are written into a running HAProxy's configuration with the renderer's escaping, then
// requests show that HAProxy matches exactly those values and redirects to exactly those
// URLs. The HTTP side listens on a Unix socket in a temporary directory (no TCP port).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { configWord, fetchWord, logFormatWord } from '../../src/render/escape.ts';

const HAPROXY = process.env.HAPROXY ?? '/usr/sbin/haproxy';
const skip = !existsSync(HAPROXY) && !process.env.CI ? `HAProxy is not installed at ${HAPROXY}; skipped outside CI` : false;

// What an HTTP client can carry: visible ASCII with inner spaces and tabs (HAProxy trims the ends).
const headerValue = fc.stringMatching(/^[!-~]([ -~\t]{0,30}[!-~])?$/);
const headerName = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
const urlTail = fc.stringMatching(/^[!-~]{0,40}$/);
const SEED = 20240101;
const values = [...new Set(fc.sample(headerValue, { numRuns: 80, seed: SEED }).concat(['#x y$HOME"\'\\z', '-f', 'a, b', '%[env(HOME)]']))];
const names = [...new Set(fc.sample(headerName, { numRuns: 40, seed: SEED }).map((n) => n.toLowerCase()).concat(["x'y", 'a#b', 'c$d']))];
const urls = fc.sample(urlTail, { numRuns: 40, seed: SEED }).map((t) => `http://example.com/${t}`).concat(['http://x/%[env(HOME)] #']);

let dir = '';
let haproxy: ChildProcess | null = null;
const socket = () => join(dir, 'http.sock');

function config(): string {
  const lines = [
    'defaults', '    mode http', '    timeout client 5s', '    timeout connect 5s', '    timeout server 5s',
    'frontend f', `    bind unix@${socket()}`,
  ];
  values.forEach((v, i) => lines.push(`    acl v${i} req.fhdr(x-v) -m str -- ${configWord(v)}`,
    `    http-request return status 200 content-type text/plain string v${i} if v${i}`));
  names.forEach((n, i) => lines.push(`    acl n${i} ${fetchWord('req.fhdr', n)} -m found`,
    `    http-request return status 200 content-type text/plain string n${i} if n${i}`));
  urls.forEach((u, i) => lines.push(`    http-request redirect location ${logFormatWord(u)} code 302 if { path /r${i} }`));
  lines.push('    http-request return status 404 content-type text/plain string none');
  return `${lines.join('\n')}\n`;
}

function get(path: string, headers: Record<string, string>): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket(), path, headers }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, body, location: res.headers.location }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'fulcrum-escape-'));
  writeFileSync(join(dir, 'haproxy.cfg'), config());
  haproxy = spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  haproxy.stderr!.on('data', (c) => { stderr += c; });
  for (let i = 0; i < 100 && !existsSync(socket()); i++) {
    if (haproxy.exitCode !== null) throw new Error(`haproxy exited: ${stderr}`);
    await sleep(50);
  }
  assert.ok(existsSync(socket()), `haproxy did not start: ${stderr}`);
});

after(() => {
  haproxy?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('HAProxy matches each escaped header value exactly, and nothing else', { skip }, async () => {
  for (const [i, v] of values.entries()) {
    const res = await get('/', { 'x-v': v });
    assert.equal(res.body, `v${i}`, `value ${JSON.stringify(v)}`);
  }
  assert.equal((await get('/', { 'x-v': 'not one of them at all' })).body, 'none');
});

test('HAProxy looks up each escaped header name', { skip }, async () => {
  for (const [i, n] of names.entries()) {
    const res = await get('/', { [n]: '1' });
    assert.equal(res.body, `n${i}`, `name ${JSON.stringify(n)}`);
  }
});

test('HAProxy redirects to each escaped URL byte for byte (no % expansion)', { skip }, async () => {
  for (const [i, u] of urls.entries()) {
    const res = await get(`/r${i}`, {});
    assert.equal(res.status, 302);
    assert.equal(res.location, u);
  }
});
