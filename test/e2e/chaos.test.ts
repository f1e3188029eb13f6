// Chaos under constant client load through the VIP: the whole `fulcrum up` process (API,
// worker, health role and the embedded agent) is killed with SIGKILL and started again on
// the same data dir. Traffic must keep flowing throughout (HAProxy runs detached), the new
// agent must adopt the running HAProxy (same master pid), and the health role must not fail
// anything over for the silence its own absence caused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killHaproxyUnder, SUBNET } from '../kit/app.ts';
import { closeAll, freePort, httpBackend, skipWithoutHaproxy, sleep, Traffic } from './kit.ts';
import type { Backend } from './kit.ts';

const ENTRY = join(import.meta.dirname, '..', 'amphora', 'agent-process.ts');

interface Up {
  proc: ChildProcess;
  url: string;
}

/** `fulcrum up` as its own process; answers once its banner names the API address. */
async function up(dataDir: string, port: number): Promise<Up> {
  const proc = spawn(process.execPath, [
    '--import', 'tsx', ENTRY, 'up', '--auth', 'noauth', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`,
    '--agent-port', '0', '--log-level', 'warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fulcrum up did not start: ${out}${err}`)), 60_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Fulcrum is up')) { clearTimeout(timer); resolve(); }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`fulcrum up exited ${code}: ${err}`)); });
  });
  return { proc, url: `http://127.0.0.1:${port}` };
}

async function call(u: Up, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${u.url}${path}`, {
    method, headers: { 'x-project-id': 'chaos', 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function active(u: Up, lbId: string): Promise<any> {
  for (let i = 0; i < 400; i++) {
    const lb = (await call(u, 'GET', `/v2/lbaas/loadbalancers/${lbId}`)).loadbalancer;
    if (lb.provisioning_status === 'ACTIVE') return lb;
    await sleep(50);
  }
  throw new Error(`load balancer ${lbId} did not become ACTIVE`);
}

async function kill9(u: Up | undefined): Promise<void> {
  if (!u || u.proc.exitCode !== null || u.proc.signalCode !== null) return;
  const exited = new Promise((r) => u.proc.once('exit', r));
  u.proc.kill('SIGKILL');
  await exited;
}

describe('chaos: kill -9 of the whole fulcrum up process under load', { skip: skipWithoutHaproxy, timeout: 180_000 }, () => {
  let dataDir = '';
  let current: Up | undefined;
  const backends: Backend[] = [];

  before(() => { dataDir = mkdtempSync(join(tmpdir(), 'fk-')); });
  after(async () => {
    await kill9(current);
    await closeAll(backends);
    await killHaproxyUnder(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('traffic keeps flowing, the agent adopts HAProxy on restart, nothing is failed over', { timeout: 150_000 }, async (t) => {
    backends.push(await httpBackend('chaos-a'));
    const apiPort = await freePort();
    const vipPort = await freePort();
    current = await up(dataDir, apiPort);
    const created = (await call(current, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: {
      vip_subnet_id: SUBNET, name: 'chaos',
      listeners: [{ protocol: 'HTTP', protocol_port: vipPort, default_pool: { name: 'chaos-pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
        members: [{ address: backends[0].address, protocol_port: backends[0].port }] } }],
    } })).loadbalancer;
    const lb = await active(current, created.id);
    const amphorae = async (u: Up) => (await call(u, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).amphorae;
    const [before] = await amphorae(current);
    const pidFile = join(dataDir, 'agent', 'state', 'amphorae', before.compute_id ?? before.id, 'haproxy.pid');
    const masterPid = readFileSync(pidFile, 'utf8').trim();

    const traffic = new Traffic(lb.vip_address, vipPort, 2);
    try {
      await sleep(500);
      await kill9(current);
      current = undefined;
      // Down for longer than heartbeat_timeout (3 s): a role that trusted its old view would fail over.
      await sleep(4000);
      current = await up(dataDir, apiPort);
      // Longer than heartbeat_timeout again, now with the health role running.
      await sleep(4500);
    } finally {
      await traffic.stop();
    }
    const failed = traffic.failures().length;
    t.diagnostic(`${traffic.replies.length} requests through the VIP while fulcrum up was killed and restarted; ${failed} failed`);
    assert.equal(failed, 0);
    const after = await amphorae(current);
    assert.deepEqual(after.map((a: any) => [a.id, a.status]), [[before.id, 'ALLOCATED']], 'nothing was failed over');
    assert.equal(readFileSync(pidFile, 'utf8').trim(), masterPid, 'the same HAProxy master serves (adopted, not restarted)');
    const again = (await call(current, 'GET', `/v2/lbaas/loadbalancers/${lb.id}`)).loadbalancer;
    assert.equal(again.provisioning_status, 'ACTIVE');
    assert.equal(again.operating_status, 'ONLINE');
  });
});
