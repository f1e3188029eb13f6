// The agent's heartbeat sender: every `intervalMs`, one signed UDP datagram per amphora to
// each health target (see ../heartbeat.ts), carrying the applied generation, whether its
// HAProxy lives, listener/pool/member status and raw counters from HAProxy's `show stat`.
// Between beats a cheap watch (/proc only, no socket) notices a HAProxy that died and beats
// at once, so detection does not wait for the next interval.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { HEARTBEAT_VERSION, signHeartbeat } from '../heartbeat.ts';
import type { Heartbeat, ListenerBeat, PoolBeat } from '../heartbeat.ts';
import type { StatRow } from '../protocol.ts';
import type { Agent } from './agent.ts';
import type { Amphora } from './amphora.ts';
import * as haproxy from './haproxy.ts';
import { command, parseShowStat } from './runtime.ts';

export interface HeartbeatOptions {
  /** host:port of each health receiver. */
  targets: { host: string; port: number }[];
  key: string;
  intervalMs: number;
  /** How often the /proc watch looks for a dead HAProxy; 0 turns it off. */
  watchMs?: number;
}

export class HeartbeatSender {
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private seq = Date.now() * 1000;
  /** Last liveness each amphora was reported with, for the watch. */
  private readonly lastUp = new Map<string, boolean>();
  private beating = false;
  /** Amphora ids this sender keeps quiet about (tests simulate a lost host). */
  readonly silenced = new Set<string>();
  sent = 0;

  constructor(private readonly agent: Agent, private readonly opts: HeartbeatOptions) {}

  start(): void {
    if (this.opts.targets.length === 0) return;
    this.socket = createSocket('udp4');
    this.socket.on('error', (err) => this.agent.log.warn({ event: 'agent.heartbeat.socket_error', error: err.message }));
    this.socket.unref();
    this.timer = setInterval(() => void this.beatAll(), this.opts.intervalMs);
    this.timer.unref();
    const watchMs = this.opts.watchMs ?? Math.min(200, this.opts.intervalMs);
    if (watchMs > 0) {
      this.watchTimer = setInterval(() => this.watch(), watchMs);
      this.watchTimer.unref();
    }
    void this.beatAll();
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.watchTimer);
    this.socket?.close();
    this.socket = undefined;
  }

  /** Sends one heartbeat for every amphora with an applied configuration. */
  async beatAll(): Promise<void> {
    if (this.beating || !this.socket) return;
    this.beating = true;
    try {
      const amphorae = this.agent.applied().filter((a) => !this.silenced.has(a.id));
      await Promise.all(amphorae.map((a) => this.beat(a)));
    } finally {
      this.beating = false;
    }
  }

  private watch(): void {
    for (const a of this.agent.applied()) {
      if (this.lastUp.get(a.id) === true && !masterAlive(a)) {
        void this.beatAll();
        return;
      }
    }
  }

  private async beat(amphora: Amphora): Promise<void> {
    try {
      const beat = await heartbeatOf(amphora, ++this.seq);
      this.lastUp.set(amphora.id, beat.haproxy_up);
      const packet = signHeartbeat(beat, this.opts.key);
      for (const t of this.opts.targets) this.socket?.send(packet, t.port, t.host);
      this.sent++;
    } catch (err) {
      this.agent.log.warn({ event: 'agent.heartbeat.failed', amphora_id: amphora.id, error: (err as Error).message });
    }
  }
}

function masterAlive(amphora: Amphora): boolean {
  const pid = haproxy.readPid(amphora.files.paths.pidFile);
  return pid !== undefined && haproxy.isOurMaster(pid, amphora.files.paths.masterSocket);
}

/**
 * The heartbeat of one amphora. Liveness comes from /proc (a master re-executing itself on
 * reload keeps its pid, so a reload never reads as a death); status and counters come from
 * the current worker, and a worker that does not answer leaves them empty for this beat.
 */
/** How long a master that looks dead is given before the beat says so. */
const CONFIRM_DEAD_MS = 50;

export async function heartbeatOf(amphora: Amphora, seq: number): Promise<Heartbeat> {
  const paths = amphora.files.paths;
  let pid = haproxy.readPid(paths.pidFile);
  let up = pid !== undefined && haproxy.isOurMaster(pid, paths.masterSocket);
  if (!up) {
    // A SINGLE amphora reported dead is failed over at once, so one look is not enough: while
    // a master re-executes itself on reload its pid file is rewritten and its /proc cmdline
    // replaced, and a read in that instant would report a death that is not one.
    await new Promise((r) => setTimeout(r, CONFIRM_DEAD_MS));
    pid = haproxy.readPid(paths.pidFile);
    up = pid !== undefined && haproxy.isOurMaster(pid, paths.masterSocket);
  }
  const beat: Heartbeat = {
    v: HEARTBEAT_VERSION, amphora_id: amphora.id, seq, sent_at: Date.now(),
    generation: amphora.applied?.generation ?? 0, haproxy_up: up, epoch: '', listeners: {}, pools: {},
  };
  if (!up) return beat;
  try {
    const info = await command(paths.masterSocket, '@1 show info', { timeoutMs: 1000 });
    const workerPid = /^Pid: (\d+)$/m.exec(info)?.[1] ?? '?';
    const started = /^Start_time_sec: (\d+)$/m.exec(info)?.[1] ?? '';
    beat.epoch = `${pid}/${workerPid}/${started}`;
    const rows = parseShowStat(await command(paths.masterSocket, '@1 show stat', { timeoutMs: 1000 }));
    // UDP listeners are served by the agent's own engine, beside HAProxy.
    Object.assign(beat, fromStats([...rows, ...amphora.udpStats()]));
  } catch {
    // Up but not answering (busy, mid-reload): a beat without status still proves life.
  }
  return beat;
}

/** Frontends are listeners (named by listener id), backends pools (`<pool>:<listener>`), servers members. */
export function fromStats(rows: StatRow[]): { listeners: Record<string, ListenerBeat>; pools: Record<string, PoolBeat> } {
  const listeners: Record<string, ListenerBeat> = {};
  const pools: Record<string, PoolBeat> = {};
  for (const r of rows) {
    if (r.type === 'frontend') {
      listeners[r.proxy] = {
        status: r.status, bytes_in: r.bin, bytes_out: r.bout, active_connections: r.scur,
        total_connections: r.stot, request_errors: r.ereq,
      };
    } else if (r.type === 'backend') {
      (pools[r.proxy] ??= { status: r.status, members: {} }).status = r.status;
    } else {
      (pools[r.proxy] ??= { status: '', members: {} }).members[r.name] = r.status;
    }
  }
  return { listeners, pools };
}
