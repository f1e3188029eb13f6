// Pieces of the data-plane bench: a spawned `fulcrum up` on a temp data dir, its API, static
// HAProxy responders as fast backends, a hand-written reference HAProxy, wrk, and the memory
// and reload counters read from /proc and HAProxy's master CLI. Everything started here is
// tracked by PID and stopped by PID.
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { command, parseShowProc } from '../../src/amphora/agent/runtime.ts';
import { LOOPBACK } from '../../src/service/networks.ts';

const run = promisify(execFile);
export const HAPROXY = '/usr/sbin/haproxy';
export const SUBNET = LOOPBACK.subnetId;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROOT = new URL('../..', import.meta.url).pathname;

export function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
}

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const k = ((s.length - 1) * p) / 100;
  const f = Math.floor(k);
  const c = Math.min(f + 1, s.length - 1);
  return s[f] + (s[c] - s[f]) * (k - f);
}

// ---------------------------------------------------------------- Fulcrum

export interface Fulcrum {
  url: string;
  pid: number;
  dataDir: string;
  stop(): Promise<void>;
}

/** `fulcrum up` in its own process on `dataDir` (SQLite there, agent on a free port). */
export async function startFulcrum(dataDir: string, port: number): Promise<Fulcrum> {
  const out = openSync(join(dataDir, 'fulcrum.log'), 'a');
  const child = spawn(process.execPath, [
    '--import', 'tsx', join(ROOT, 'bench/dataplane/fulcrum.ts'), 'up',
    '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--agent-port', '0', '--log-level', 'info', '--auth', 'noauth',
  ], { cwd: ROOT, stdio: ['ignore', out, out] });
  closeSync(out);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ?? `exit ${code}`));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`fulcrum up exited (${exited}); see ${join(dataDir, 'fulcrum.log')}`);
    if (Date.now() > deadline) throw new Error('fulcrum up did not answer within 60 s');
    try {
      if ((await fetch(`${url}/`)).status < 500) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return { url, pid: child.pid!, dataDir, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await Promise.race([done, sleep(10_000)]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await done;
  }
}

export interface Reply {
  status: number;
  body: any;
}

/** The Octavia API as project `bench`, over one keep-alive connection pool (fetch). */
export class Api {
  constructor(readonly base: string) {}

  async req(method: string, path: string, body?: unknown): Promise<Reply> {
    const res = await fetch(this.base + path, {
      method,
      headers: { 'x-project-id': 'bench', accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async ok(method: string, path: string, body?: unknown): Promise<any> {
    const r = await this.req(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    return r.body;
  }

  /** Polls until the load balancer is ACTIVE (ERROR throws); answers the milliseconds it took. */
  async active(lbId: string, timeoutMs = 60_000, pollMs = 5): Promise<number> {
    const t0 = performance.now();
    while (performance.now() - t0 < timeoutMs) {
      const lb = (await this.ok('GET', `/v2/lbaas/loadbalancers/${lbId}`)).loadbalancer;
      if (lb.provisioning_status === 'ACTIVE') return performance.now() - t0;
      if (lb.provisioning_status === 'ERROR') throw new Error(`load balancer ${lbId} went ERROR`);
      await sleep(pollMs);
    }
    throw new Error(`load balancer ${lbId} not ACTIVE within ${timeoutMs} ms`);
  }

  /** The id the agent knows the load balancer's amphora by. */
  async amphoraId(lbId: string): Promise<string> {
    const amps = (await this.ok('GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).amphorae;
    if (!amps?.length) throw new Error(`load balancer ${lbId} has no amphora`);
    return amps[0].compute_id ?? amps[0].id;
  }

  /** The master socket of the load balancer's amphora, from the agent's state layout. */
  async masterSocket(dataDir: string, lbId: string): Promise<string> {
    return join(dataDir, 'agent', 'state', 'amphorae', await this.amphoraId(lbId), 'master.sock');
  }
}

/** Reloads the master has done (and failed), from `show proc` on its CLI. */
export async function reloads(masterSocket: string): Promise<{ reloads: number; failed: number }> {
  const proc = parseShowProc(await command(masterSocket, 'show proc', { timeoutMs: 3000 }));
  if (!proc) throw new Error(`${masterSocket}: no master in 'show proc'`);
  return { reloads: proc.reloads, failed: proc.failedReloads };
}

/**
 * What the agent reported for applies to these load balancers (Fulcrum's `amphora.applied` log
 * lines): total milliseconds and each phase's, e.g. start_ms, commands_ms, check_ms.
 */
export function agentTimings(dataDir: string, lbIds: Set<string>, action: string): Record<string, number[]> {
  const out: Record<string, number[]> = { duration_ms: [] };
  for (const line of readFileSync(join(dataDir, 'fulcrum.log'), 'utf8').split('\n')) {
    if (!line.includes('"amphora.applied"')) continue;
    try {
      const rec = JSON.parse(line);
      if (rec.action !== action || !lbIds.has(rec.load_balancer_id)) continue;
      out.duration_ms.push(rec.duration_ms);
      for (const [k, v] of Object.entries(rec.timings ?? {})) (out[k] ??= []).push(v as number);
    } catch {
      // not JSON
    }
  }
  return out;
}

/** `name p50` for each timing, for a figure's detail line. */
export function timingLine(t: Record<string, number[]>): string {
  return Object.entries(t).filter(([, v]) => v.length).map(([k, v]) => `${k.replace(/_ms$/, '')} ${pct(v, 50).toFixed(0)}`).join(', ');
}

// ---------------------------------------------------------------- plain HAProxy processes

export interface Haproxy {
  pid: number;
  stop(): Promise<void>;
}

/** A foreground HAProxy (no master) on `cfg`, tracked by its PID; answers once `port` accepts. */
export async function startHaproxy(dir: string, name: string, cfg: string, probe: { host: string; port: number }): Promise<Haproxy> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.cfg`);
  writeFileSync(file, cfg);
  await run(HAPROXY, ['-c', '-q', '-f', file]);
  const out = openSync(join(dir, `${name}.log`), 'a');
  // Its own session, as the agent starts amphorae: with the kernel's autogroup scheduling a
  // process sharing the bench's session (and wrk's) gets scheduled quite differently, which
  // measured here as a 2× difference in req/s between identical configurations.
  const child = spawn(HAPROXY, ['-db', '-f', file], { stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  const deadline = Date.now() + 10_000;
  while (!(await opens(probe.host, probe.port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${name}: HAProxy did not start (see ${dir}/${name}.log)`);
    await sleep(10);
  }
  return { pid: child.pid!, stop: () => stopChild(child) };
}

async function opens(host: string, port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/**
 * Backends that cost next to nothing per request: one HAProxy answering 200 with a 100-byte
 * body on each port (a Node backend would be the bottleneck of a throughput ratio).
 */
export function responderConfig(host: string, ports: number[]): string {
  const body = 'x'.repeat(99);
  return [
    'global', '    maxconn 4000', '    nbthread 1',
    'defaults', '    mode http', '    timeout client 30s', '    timeout server 30s', '    timeout connect 5s',
    ...ports.flatMap((p) => [
      `frontend r${p}`, `    bind ${host}:${p}`,
      `    http-request return status 200 content-type text/plain string "${body}" hdr x-backend r${p}`,
    ]),
    '',
  ].join('\n');
}

/** The hand-written reference: the same frontend and backend, nothing Fulcrum adds. */
export function referenceConfig(vip: string, port: number, members: { address: string; port: number }[]): string {
  return [
    'global', '    maxconn 4000',
    'defaults', '    mode http', '    timeout client 50s', '    timeout server 50s', '    timeout connect 5s',
    'frontend fe', `    bind ${vip}:${port}`, '    default_backend be',
    'backend be', '    balance roundrobin',
    ...members.map((m, i) => `    server m${i} ${m.address}:${m.port}`),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- wrk

export interface WrkResult {
  requests: number;
  rps: number;
  /** connect + read + write + timeout socket errors and non-2xx/3xx answers */
  errors: number;
  detail: string;
}

export function haveWrk(): boolean {
  return ['/usr/bin/wrk', '/usr/local/bin/wrk'].some(existsSync);
}

/** wrk with keep-alive connections (its default) against http://host:port/. */
export async function wrk(host: string, port: number, o: { seconds: number; connections: number; threads?: number }): Promise<WrkResult> {
  const { stdout } = await run('wrk', [
    `-t${o.threads ?? 1}`, `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '5s', `http://${host}:${port}/`,
  ], { timeout: (o.seconds + 30) * 1000 });
  const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const socketErrors = socket ? socket.slice(1).reduce((a, x) => a + Number(x), 0) : 0;
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
  return {
    requests: num(/(\d+) requests in/), rps: num(/Requests\/sec:\s+([\d.]+)/), errors: socketErrors + non2xx,
    detail: `${socket ? socket[0] : 'no socket errors'}; non-2xx ${non2xx}`,
  };
}

// ---------------------------------------------------------------- /proc

/** Every live HAProxy whose command line names a path under `dir`. */
export function haproxyPidsUnder(dir: string): number[] {
  const prefix = `${dir.replace(/\/$/, '')}/`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) continue;
      if (/haproxy/.test(argv[0]) && argv.some((a) => a.startsWith(prefix))) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** User + system CPU of the processes (all their threads), in microseconds. */
export function cpuMicros(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
    } catch {
      // gone
    }
  }
  return (ticks * 1_000_000) / 100; // USER_HZ is 100 on Linux
}

export interface Memory {
  /** kB, from /proc/<pid>/smaps_rollup */
  rss: number;
  pss: number;
  anon: number;
  threads: number;
}

export function memoryOf(pid: number): Memory {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
  const threads = Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { rss: kb('Rss'), pss: kb('Pss'), anon: kb('Pss_Anon'), threads };
}

/** Kills by PID every HAProxy under `dir` that is still alive (SIGKILL; their files go with the dir). */
export async function killHaproxyUnder(dir: string): Promise<number> {
  let killed = 0;
  for (let round = 0; round < 20; round++) {
    const pids = haproxyPidsUnder(dir);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // gone already
      }
    }
    await sleep(50);
  }
  return killed;
}
