// The daemons an agent runs (HAProxy masters, keepalived) live in sessions of their own so
// they outlive the agent; these are the two facts about them every caller needs.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/** True while `pid` runs: a zombie or a missing /proc entry is not running. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export interface Daemon {
  pid: number | undefined;
  /** Why it ended while the caller still waits for it to come up, or undefined while it runs. */
  exited(): string | undefined;
}

/**
 * Starts `argv` detached (own session, output appended to `logFile`), inside the network
 * namespace `netns` when given. `ip netns exec` execs the program, so the PID and its /proc
 * cmdline stay the program's own.
 */
export function spawnDaemon(argv: string[], o: { cwd: string; logFile: string; netns?: string }): Daemon {
  const full = o.netns ? ['ip', 'netns', 'exec', o.netns, ...argv] : argv;
  const log = openSync(o.logFile, 'a', 0o640);
  const child = spawn(full[0], full.slice(1), { cwd: o.cwd, detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ?? `exit ${code}`));
  child.once('error', (err) => (exited = err.message));
  child.unref();
  return { pid: child.pid, exited: () => exited };
}
