// One HAProxy master-worker process per amphora: check, start (detached, so the agent can
// restart without touching traffic), hitless reload through the master CLI with verification,
// stop, and recognising a master started by an earlier agent.
import { execFile } from 'node:child_process';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { CONFIG_FILE } from '../protocol.ts';
import { isAlive, spawnDaemon } from './process.ts';
import { command, currentWorker, parseShowProc } from './runtime.ts';
import type { MasterProc } from './runtime.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where one amphora's HAProxy keeps its config (its working directory) and control files. */
export interface HaproxyPaths {
  bin: string;
  /** Bundle files; HAProxy's working directory, so relative paths in the config resolve here. */
  confDir: string;
  masterSocket: string;
  pidFile: string;
  logFile: string;
  /** The network namespace HAProxy runs in (ACTIVE_STANDBY on netns hosts); absent: the agent's own. */
  netns?: string;
}

export class HaproxyError extends Error {
  constructor(message: string, readonly detail: string) {
    super(message);
  }
}

/** Keeps the lines that explain a failure: HAProxy prints NOTICE lines on every start. */
function explain(output: string): string {
  return output.split('\n').filter((l) => l.trim() !== '' && !l.includes('[NOTICE]')).join('\n');
}

/** HAProxy's version, or 'unavailable' (the agent still serves its API and says so in /v1/info). */
export async function haproxyVersion(bin: string): Promise<string> {
  try {
    const { stdout } = await run(bin, ['-v'], { timeout: 5000 });
    return /version (\S+)/.exec(stdout)?.[1] ?? stdout.split('\n')[0];
  } catch {
    return 'unavailable';
  }
}

/** `haproxy -c` in `dir` (so relative paths resolve to the staged files); answers its warnings. */
export async function checkConfig(bin: string, dir: string): Promise<string[]> {
  try {
    const { stdout, stderr } = await run(bin, ['-c', '-f', CONFIG_FILE], { cwd: dir, timeout: 30_000 });
    return explain(stdout + stderr).split('\n').filter((l) => l.includes('[WARNING]'));
  } catch (err: any) {
    throw new HaproxyError('haproxy -c refused the configuration', explain(`${err.stdout ?? ''}${err.stderr ?? ''}`) || String(err.message));
  }
}

/** Runtime files the config declares, resolved against the config directory. */
export interface ConfigDirectives {
  statsSocket?: string;
  serverStateFile?: string;
}

/** Reads the global `stats socket` (unix, admin level) and `server-state-file` from config text. */
export function configDirectives(text: string, confDir: string): ConfigDirectives {
  const out: ConfigDirectives = {};
  let stateBase = '';
  let inGlobal = false;
  const resolvePath = (p: string) => (isAbsolute(p) ? p : join(confDir, p));
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    if (!/^\s/.test(raw)) inGlobal = /^global\b/.test(line);
    if (!inGlobal) continue;
    const words = line.split(/\s+/);
    if (words[0] === 'stats' && words[1] === 'socket' && !out.statsSocket && /\blevel\s+admin\b/.test(line)) {
      const addr = words[2];
      const path = addr.startsWith('unix@') ? addr.slice(5) : addr.startsWith('/') ? addr : undefined;
      if (path) out.statsSocket = resolvePath(path);
    } else if (words[0] === 'server-state-base' && words[1]) {
      stateBase = words[1];
    } else if (words[0] === 'server-state-file' && words[1]) {
      out.serverStateFile = resolvePath(isAbsolute(words[1]) ? words[1] : join(stateBase, words[1]));
    }
  }
  return out;
}

/** True when `pid` is a live (not zombie) HAProxy master using `masterSocket`. */
export function isOurMaster(pid: number, masterSocket: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return /haproxy/.test(argv[0]) && argv.includes('-S') && argv.includes(masterSocket);
  } catch {
    return false;
  }
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim().split('\n')[0]);
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

export async function showProc(masterSocket: string, connectRetryMs = 0): Promise<MasterProc> {
  const proc = parseShowProc(await command(masterSocket, 'show proc', { timeoutMs: 3000, connectRetryMs }));
  if (!proc) throw new Error(`${masterSocket}: no master in 'show proc'`);
  return proc;
}

function logTail(logFile: string, from: number): string {
  try {
    return explain(readFileSync(logFile, 'utf8').slice(from)).split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

/** HAProxy's own warnings written to the log since `from` (a start prints them there, not to a check). */
export function logWarnings(logFile: string, from: number): string[] {
  try {
    return readFileSync(logFile).subarray(from).toString('utf8').split('\n').filter((l) => l.includes('[WARNING]'));
  } catch {
    return [];
  }
}

export function logSize(logFile: string): number {
  try {
    return statSync(logFile).size;
  } catch {
    return 0;
  }
}

/**
 * Starts the master detached from the agent (own session, output to the log file) and waits
 * until it answers with a worker. Throws with HAProxy's own words when it exits instead.
 */
export async function start(paths: HaproxyPaths, timeoutMs = 10_000): Promise<MasterProc> {
  const from = logSize(paths.logFile);
  const argv = [paths.bin, '-W', '-S', paths.masterSocket, '-f', join(paths.confDir, CONFIG_FILE), '-p', paths.pidFile];
  const child = spawnDaemon(argv, { cwd: paths.confDir, logFile: paths.logFile, netns: paths.netns });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exited = child.exited();
    if (exited) throw new HaproxyError(`HAProxy did not start (${exited})`, logTail(paths.logFile, from));
    try {
      const proc = await showProc(paths.masterSocket);
      if (proc.masterPid === child.pid && currentWorker(proc)) return proc;
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  if (child.pid) kill(child.pid, 'SIGKILL');
  throw new HaproxyError('HAProxy did not answer on its master socket in time', logTail(paths.logFile, from));
}

/**
 * Hitless reload: `reload` on the master CLI, then wait until the master reports one more
 * reload with no failure and a new current worker, and that worker answers. The master
 * re-executes itself, so its socket refuses connections for a moment; a `reload` that was lost
 * in that window is sent once more.
 */
export async function reload(paths: HaproxyPaths, before: MasterProc, timeoutMs = 15_000): Promise<MasterProc> {
  const from = logSize(paths.logFile);
  const oldWorker = currentWorker(before)?.pid;
  await command(paths.masterSocket, 'reload', { timeoutMs: 3000, connectRetryMs: 2000 });
  const started = Date.now();
  let resent = false;
  while (Date.now() - started < timeoutMs) {
    await sleep(15);
    let proc: MasterProc;
    try {
      proc = await showProc(paths.masterSocket, 200);
    } catch {
      continue;
    }
    if (proc.reloads > before.reloads) {
      if (proc.failedReloads > 0) throw new HaproxyError('HAProxy refused the new configuration on reload', logTail(paths.logFile, from));
      const worker = currentWorker(proc);
      if (worker && worker.pid !== oldWorker && (await workerAnswers(paths.masterSocket, worker.pid))) return proc;
    } else if (!resent && Date.now() - started > 2000) {
      resent = true;
      await command(paths.masterSocket, 'reload', { timeoutMs: 3000, connectRetryMs: 2000 });
    }
  }
  throw new HaproxyError('HAProxy did not finish the reload in time', logTail(paths.logFile, from));
}

/** The worker answers its CLI through the master, so it has finished loading and is serving. */
async function workerAnswers(masterSocket: string, pid: number): Promise<boolean> {
  try {
    const info = await command(masterSocket, `@!${pid} show info`, { timeoutMs: 2000 });
    return new RegExp(`^Pid: ${pid}$`, 'm').test(info);
  } catch {
    return false;
  }
}

export function kill(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}


/** Stops the master and its workers: SIGTERM (the master passes it on), then SIGKILL by PID. */
export async function stop(masterPid: number, workerPids: number[], graceMs = 5000): Promise<void> {
  kill(masterPid, 'SIGTERM');
  const all = [masterPid, ...workerPids];
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && all.some(isAlive)) await sleep(20);
  for (const pid of all) if (isAlive(pid)) kill(pid, 'SIGKILL');
}

/** The hard limit on open files (HAProxy raises its soft limit up to it), from /proc. */
export function fdLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s+/)[4];
    if (hard === 'unlimited') return 1_048_576;
    if (hard && Number(hard) > 0) return Number(hard);
  } catch {
    // not Linux: fall through
  }
  return 1024;
}

/**
 * What one proxied connection costs HAProxy in descriptors: the client and the server side,
 * plus the pipes it reserves for splicing (rendered configurations turn splicing on): HAProxy
 * sizes `maxpipes` at maxconn/4 by default, two descriptors each. So 2 + 2/4 = 2.5.
 * Measured here with the 20,000 limit: maxconn 9,500 asked for 23,790 descriptors and the
 * reload failed; at 2.5 per connection the budget is 7,600 and HAProxy starts.
 */
export const FDS_PER_CONNECTION = 2 + 2 / 4;

/**
 * The largest global maxconn one HAProxy can start with under `limit` open files: the rest
 * (5%, at least 1,000) covers listeners, checks, pollers, logs and the agent's own sockets.
 */
export function maxconnBudget(limit = fdLimit()): number {
  const reserve = Math.max(1000, Math.ceil(limit * 0.05));
  return Math.max(0, Math.floor((limit - reserve) / FDS_PER_CONNECTION));
}
