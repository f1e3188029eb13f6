// keepalived beside an amphora's HAProxy (ACTIVE_STANDBY): checked with `keepalived -t`,
// started detached in the amphora's network namespace (so it survives an agent restart and the
// next agent adopts it), reloaded with SIGHUP, stopped by PID. Stale pid files are removed
// before a start: keepalived refuses to start over a pid file whose PID now belongs to
// another process (DESIGN.md).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HaproxyError } from './haproxy.ts';
import { isAlive, spawnDaemon } from './process.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The file a bundle carries to ask for keepalived; its presence makes the amphora ACTIVE_STANDBY. */
export const KEEPALIVED_FILE = 'keepalived.conf';
/** The track file the rendered keepalived.conf names (relative to the config directory). */
export const TRACK_FILE = 'haproxy.down';

export interface KeepalivedPaths {
  bin: string;
  /** The config directory: keepalived's working directory, holding keepalived.conf and the track file. */
  confDir: string;
  pidFile: string;
  vrrpPidFile: string;
  logFile: string;
  /** The network namespace to run in (absent: the agent's own). */
  netns?: string;
}

export function keepalivedPaths(bin: string, dir: string, confDir: string, netns?: string): KeepalivedPaths {
  return {
    bin, confDir, netns,
    pidFile: join(dir, 'keepalived.pid'), vrrpPidFile: join(dir, 'keepalived-vrrp.pid'), logFile: join(dir, 'keepalived.log'),
  };
}

/**
 * `keepalived -t` on the staged file, inside the amphora's namespace (it checks that the
 * interfaces exist): refuses what keepalived would otherwise only complain about in its log.
 */
export async function checkConfig(bin: string, dir: string, netns?: string): Promise<void> {
  const argv = [bin, '-t', '-l', '-f', join(dir, KEEPALIVED_FILE)];
  const full = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
  try {
    await run(full[0], full.slice(1), { cwd: dir, timeout: 15_000 });
  } catch (err: any) {
    throw new HaproxyError('keepalived -t refused the configuration', `${err.stdout ?? ''}${err.stderr ?? ''}`.trim() || String(err.message));
  }
}

function pidIn(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The main keepalived PID when it runs with this amphora's pid file (checked against /proc), else undefined. */
export function runningPid(paths: KeepalivedPaths): number | undefined {
  const pid = pidIn(paths.pidFile);
  if (pid === undefined || !isAlive(pid)) return undefined;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return /keepalived/.test(argv[0]) && argv.includes(paths.pidFile) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the track file: 1 puts this instance in FAULT (the peer takes the VIP), 0 clears it. */
export function setTrack(confDir: string, down: boolean): void {
  writeFileSync(join(confDir, TRACK_FILE), down ? '1\n' : '0\n');
}

/** Starts keepalived in the foreground of a detached session and waits until its VRRP child runs. */
export async function start(paths: KeepalivedPaths, timeoutMs = 5000): Promise<number> {
  for (const f of [paths.pidFile, paths.vrrpPidFile]) rmSync(f, { force: true });
  const argv = [paths.bin, '-n', '-l', '-D', '-f', join(paths.confDir, KEEPALIVED_FILE), '-p', paths.pidFile, '-r', paths.vrrpPidFile];
  const child = spawnDaemon(argv, { cwd: paths.confDir, logFile: paths.logFile, netns: paths.netns });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exited = child.exited();
    if (exited) throw new HaproxyError(`keepalived did not start (${exited})`, tail(paths.logFile));
    const vrrp = pidIn(paths.vrrpPidFile);
    if (runningPid(paths) === child.pid && vrrp && isAlive(vrrp)) return child.pid!;
    await sleep(10);
  }
  if (child.pid) kill(child.pid, 'SIGKILL');
  throw new HaproxyError('keepalived did not start in time', tail(paths.logFile));
}

/** Re-reads keepalived.conf (SIGHUP); the VIP stays where it is. */
export function reload(pid: number): void {
  kill(pid, 'SIGHUP');
}

/** SIGTERM (keepalived sends a priority-0 advert, so the peer takes over at once), then SIGKILL by PID. */
export async function stop(paths: KeepalivedPaths, graceMs = 3000): Promise<void> {
  const pids = [pidIn(paths.pidFile), pidIn(paths.vrrpPidFile)].filter((p): p is number => p !== undefined && isAlive(p));
  const main = runningPid(paths);
  if (main) kill(main, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some(isAlive)) await sleep(20);
  for (const pid of pids) if (isAlive(pid)) kill(pid, 'SIGKILL');
  for (const f of [paths.pidFile, paths.vrrpPidFile]) rmSync(f, { force: true });
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

function tail(file: string): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
}
