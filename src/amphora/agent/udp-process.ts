// UDP listeners of an amphora in a network namespace: the VIP lives inside the namespace, so
// the engine runs in a child Node process started there (`ip netns exec`, which execs Node, so
// the IPC channel's descriptor passes through). The agent keeps the UdpForwarder contract:
// apply resolves once the child bound (or rejects with its bind error, the child's listeners
// left as they were); stats answers the rows the child last sent; close ends the child.
// A child that dies is started again with the last applied config, as the HAProxy watcher
// restarts HAProxy; the child ends itself when the agent goes (its channel closes).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UdpConfig } from '../../render/udp.ts';
import type { StatRow } from '../protocol.ts';
import type { AgentLog } from './amphora.ts';
import { UdpEngine } from './udp.ts';
import type { UdpForwarder } from './udp.ts';

export type UdpParentMessage = { kind: 'apply'; seq: number; config: UdpConfig | null };
export type UdpChildMessage =
  | { kind: 'ready'; pid: number }
  | { kind: 'applied'; seq: number; error?: string; rows: StatRow[] }
  | { kind: 'stats'; rows: StatRow[] }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; obj: object };

/** The child's entry beside this file (udp-child.ts under tsx, udp-child.js when built). */
const CHILD_ENTRY = fileURLToPath(new URL(`./udp-child${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
/** A child that crashes again and again is restarted ever more slowly, up to this. */
const MAX_RESTART_DELAY_MS = 5000;
const FIRST_RESTART_DELAY_MS = 100;
/** A child that ran this long counts as healthy: the next crash restarts it at once again. */
const STABLE_MS = 10_000;
/** The child binds in milliseconds; a child that does not answer at all is killed and restarted. */
const APPLY_TIMEOUT_MS = 15_000;

interface Pending {
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Node's flags for the child as the agent runs (tsx's loader), without test-runner or inspector flags. */
function childExecArgv(): string[] {
  return process.execArgv.filter((a) => !a.startsWith('--test') && !a.startsWith('--inspect'));
}

/** The UDP engine of one amphora in the namespace `netns`, in a child process. */
export class NetnsUdpEngine implements UdpForwarder {
  private child: ChildProcess | undefined;
  /** Resolves with the child once it said it is ready; every send waits for it, in order. */
  private ready: Promise<ChildProcess> | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  /** The config the child last applied: a restarted child starts from it. */
  private applied: UdpConfig | null = null;
  private rows: StatRow[] = [];
  private closed = false;
  private restartDelay = FIRST_RESTART_DELAY_MS;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly log: AgentLog, private readonly amphoraId: string, private readonly netns: string) {}

  /** The child's PID while one runs (tests kill it to see the restart). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async apply(config: UdpConfig | null): Promise<void> {
    this.closed = false;
    if (!this.child && !hasListeners(config)) {
      // No process binds anything: nothing to close, and no process needed for nothing.
      clearTimeout(this.restartTimer);
      this.applied = config;
      return;
    }
    await this.send(config);
    this.applied = config;
  }

  stats(): StatRow[] {
    return this.rows;
  }

  close(): void {
    this.closed = true;
    this.applied = null;
    this.rows = [];
    clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = undefined;
    this.ready = undefined;
    this.failPending(new Error('UDP engine closed'));
    if (child?.pid && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }

  private send(config: UdpConfig | null): Promise<void> {
    const ready = this.ready ?? this.start();
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`UDP engine process in ${this.netns} did not answer within ${APPLY_TIMEOUT_MS} ms`));
        this.child?.kill('SIGKILL'); // the exit handler starts another with the last applied config
      }, APPLY_TIMEOUT_MS);
      this.pending.set(seq, { resolve, reject, timer });
      ready.then((child) => child.send({ kind: 'apply', seq, config } satisfies UdpParentMessage), (err: Error) => this.settle(seq, err));
    });
  }

  private settle(seq: number, err?: Error): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve();
  }

  private failPending(err: Error): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq, err);
  }

  private start(): Promise<ChildProcess> {
    const argv = ['netns', 'exec', this.netns, process.execPath, ...childExecArgv(), CHILD_ENTRY, this.amphoraId];
    const child = spawn('ip', argv, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const startedAt = Date.now();
    this.child = child;
    // The agent may exit while the child runs: the child follows when the channel closes.
    child.unref();
    child.channel?.unref();
    const ready = new Promise<ChildProcess>((resolve, reject) => {
      child.on('message', (msg: UdpChildMessage) => {
        if (msg.kind === 'ready') {
          this.log.info({ event: 'agent.udp.process_started', amphora_id: this.amphoraId, pid: msg.pid, netns: this.netns });
          resolve(child);
        } else this.receive(msg);
      });
      // No `ip` (or no Node) to run: no 'exit' follows, so this one counts as the exit.
      child.once('error', (err) => {
        reject(err);
        this.exited(child, null, null, Date.now() - startedAt);
      });
      child.once('exit', (code, signal) => {
        reject(new Error(`UDP engine process in ${this.netns} exited (${signal ?? `exit ${code}`}) before it was ready`));
        this.exited(child, code, signal, Date.now() - startedAt);
      });
    });
    this.ready = ready;
    ready.catch(() => undefined);
    return ready;
  }

  private receive(msg: UdpChildMessage): void {
    if (msg.kind === 'stats') this.rows = msg.rows;
    else if (msg.kind === 'applied') {
      this.rows = msg.rows;
      this.settle(msg.seq, msg.error === undefined ? undefined : new Error(msg.error));
    } else if (msg.kind === 'log') this.log[msg.level](msg.obj);
  }

  /** A child that was not closed on purpose is started again with the last applied config. */
  private exited(child: ChildProcess, code: number | null, signal: string | null, ranMs: number): void {
    if (this.child !== child) return; // closed (or already replaced)
    this.child = undefined;
    this.ready = undefined;
    this.rows = [];
    this.failPending(new Error(`UDP engine process in ${this.netns} exited (${signal ?? `exit ${code}`})`));
    if (this.closed) return;
    if (ranMs >= STABLE_MS) this.restartDelay = FIRST_RESTART_DELAY_MS;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(MAX_RESTART_DELAY_MS, this.restartDelay * 2);
    this.log.warn({ event: 'agent.udp.process_exited', amphora_id: this.amphoraId, pid: child.pid, code, signal, restart_in_ms: delay });
    this.restartTimer = setTimeout(() => this.restart(), delay);
    this.restartTimer.unref();
  }

  private restart(): void {
    if (this.closed || this.child || !hasListeners(this.applied)) return;
    const config = this.applied;
    this.send(config).then(
      () => this.log.info({ event: 'agent.udp.process_restarted', amphora_id: this.amphoraId, pid: this.child?.pid }),
      (err: Error) => this.log.error({ event: 'agent.udp.restart_failed', amphora_id: this.amphoraId, error: err.message }),
    );
  }
}

function hasListeners(config: UdpConfig | null): boolean {
  return (config?.listeners.length ?? 0) > 0;
}

/** The engine for an amphora: in this process, or in a child inside the amphora's namespace. */
export function udpForwarder(log: AgentLog, amphoraId: string, netns: string | undefined): UdpForwarder {
  return netns ? new NetnsUdpEngine(log, amphoraId, netns) : new UdpEngine(log, amphoraId);
}
