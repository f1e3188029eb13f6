// The agent's state: every amphora on this host, found on disk at start (and adopted), plus
// the facts the controller needs to render for this host (HAProxy version, maxconn budget).
import { hostname } from 'node:os';
import { mkdirSync } from 'node:fs';
import { AGENT_VERSION, API_VERSION } from '../protocol.ts';
import type { AgentInfo, AmphoraSummary } from '../protocol.ts';
import { Amphora } from './amphora.ts';
import type { AgentLog } from './amphora.ts';
import { AmphoraFiles } from './files.ts';
import { fdLimit, haproxyVersion, maxconnBudget } from './haproxy.ts';
import { HeartbeatSender } from './heartbeat.ts';
import type { HeartbeatOptions } from './heartbeat.ts';

export interface AgentOptions {
  stateDir: string;
  /** The HAProxy binary; /usr/sbin/haproxy by default. */
  haproxyBin?: string;
  log?: AgentLog;
  /** The host name reported in /v1/info; os.hostname() by default. */
  host?: string;
  /**
   * Runs each amphora in its own network namespace, named this prefix + the amphora id (the
   * netns compute driver creates and plugs it before the first bundle arrives).
   */
  netnsPrefix?: string;
  keepalivedBin?: string;
  /** Where and how to send heartbeats; none are sent without it. */
  heartbeat?: HeartbeatOptions;
}

/** How often the HAProxy of an ACTIVE_STANDBY amphora is checked: bounds the extra failover time. */
const WATCH_MS = 20;

const silent: AgentLog = { info() {}, warn() {}, error() {} };

export class Agent {
  private readonly amphorae = new Map<string, Amphora>();
  private watcher: NodeJS.Timeout | undefined;
  private netnsPrefix: string | undefined;
  private keepalivedBin: string | undefined;
  heartbeats: HeartbeatSender | undefined;
  private constructor(
    readonly stateDir: string,
    readonly haproxyBin: string,
    readonly log: AgentLog,
    readonly host: string,
    readonly haproxyVersion: string,
  ) {}

  /** Opens the state directory and adopts (or restarts) every amphora found there. */
  static async open(opts: AgentOptions): Promise<Agent> {
    const bin = opts.haproxyBin ?? '/usr/sbin/haproxy';
    mkdirSync(opts.stateDir, { recursive: true, mode: 0o750 });
    const agent = new Agent(opts.stateDir, bin, opts.log ?? silent, opts.host ?? hostname(), await haproxyVersion(bin));
    agent.netnsPrefix = opts.netnsPrefix;
    agent.keepalivedBin = opts.keepalivedBin;
    for (const id of AmphoraFiles.list(opts.stateDir)) {
      const amphora = agent.amphora(id);
      if (!amphora.applied) continue;
      try {
        await amphora.adopt();
      } catch (err) {
        agent.log.error({ event: 'agent.amphora.adopt_failed', amphora_id: id, error: (err as Error).message });
      }
    }
    agent.watcher = setInterval(() => {
      for (const a of agent.amphorae.values()) a.watch();
    }, WATCH_MS);
    agent.watcher.unref();
    // Started by startAgent once the API listens, so an agent that fails to start never beats.
    if (opts.heartbeat) agent.heartbeats = new HeartbeatSender(agent, opts.heartbeat);
    return agent;
  }

  /** Amphorae with an applied configuration (the ones that send heartbeats). */
  applied(): Amphora[] {
    return [...this.amphorae.values()].filter((a) => a.applied);
  }

  /** The amphora `id`, known or new (a new one has nothing applied until its first bundle). */
  amphora(id: string): Amphora {
    let amphora = this.amphorae.get(id);
    if (!amphora) {
      amphora = new Amphora(this.stateDir, id, this.haproxyBin, this.log, {
        netns: this.netnsPrefix ? `${this.netnsPrefix}${id}` : undefined, keepalivedBin: this.keepalivedBin,
      });
      this.amphorae.set(id, amphora);
    }
    return amphora;
  }

  /** A known amphora: one with an applied bundle. */
  known(id: string): Amphora | undefined {
    const amphora = this.amphorae.get(id);
    return amphora?.applied ? amphora : undefined;
  }

  async remove(id: string): Promise<void> {
    const amphora = this.amphorae.get(id);
    if (!amphora) return;
    await amphora.destroy();
    // An apply queued behind the delete may have brought it back; keep it then.
    if (!amphora.applied) this.amphorae.delete(id);
  }

  /** Stops every amphora's UDP engine (its sockets live in this process). */
  closeUdp(): void {
    for (const a of this.amphorae.values()) a.closeUdp();
  }

    async list(): Promise<AmphoraSummary[]> {
    const known = [...this.amphorae.values()].filter((a) => a.applied);
    return Promise.all(known.map((a) => a.summary()));
  }

  /** Stops watching HAProxy processes (they, and keepalived, keep running). */
  close(): void {
    if (this.watcher) clearInterval(this.watcher);
  }

  info(): AgentInfo {
    const limit = fdLimit();
    return {
      api_version: API_VERSION, agent_version: AGENT_VERSION, haproxy_version: this.haproxyVersion, host: this.host,
      fd_limit: limit, maxconn_budget: maxconnBudget(limit),
      amphorae: [...this.amphorae.values()].filter((a) => a.applied).length,
    };
  }
}
