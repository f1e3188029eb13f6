// The health role: what each heartbeat says becomes operating status (written only when it
// changed) and listener statistics (never going backwards); an amphora that stops beating,
// or reports its HAProxy dead, is failed over — unless so many are due at once that the
// cause is more likely ours (a network cut, this role's own outage) than theirs: then the
// circuit breaker holds every failover and says so.
//
// Last-heard times live in memory only. At start every amphora gets a full heartbeat_timeout
// of grace from the first time it is seen, so a health role that was down for a while never
// mistakes its own absence for theirs.
import type { Logger } from 'pino';
import type { Heartbeat } from '../amphora/heartbeat.ts';
import type { Amphora, ListenerStats } from '../domain/entities.ts';
import { ProvisioningStatus as PS } from '../domain/enums.ts';
import { deriveOperatingStatus, haproxyDownStatus } from '../domain/operating-status.ts';
import type { StatusChange, StoredLoadBalancer } from '../domain/operating-status.ts';
import { accumulate } from '../domain/counters.ts';
import type { LoadBalancerGraph } from '../domain/entities.ts';
import type { Store } from '../store/store.ts';
import { HeartbeatReceiver } from './receiver.ts';

export interface HealthOptions {
  store: Store;
  log: Logger;
  listen: { host: string; port: number };
  key: string;
  intervalMs: number;
  timeoutMs: number;
  /** More amphorae due at once than this: fail none over (the breaker opens). */
  failoverThreshold: number;
  /** Starts the failover of one amphora; answers whether it started (service/failover.ts). */
  failover(amphoraId: string, reason: string): Promise<boolean>;
  now?: () => number;
}

interface Heard {
  /** When the last heartbeat arrived (or when this role first saw the amphora: the grace). */
  at: number;
  haproxyUp: boolean;
  /** Since when heartbeats have said HAProxy is dead (the first such beat). */
  downSince?: number;
}

export interface HealthStatus {
  breaker: 'closed' | 'open';
  /** Amphorae that needed a failover at the last check. */
  due: number;
  failovers: number;
  receiver: HeartbeatReceiver['counters'];
}

/** Failovers of one load balancer further apart than this are not "in a row". */
const BACKOFF_RESET_MS = 10 * 60_000;
const BACKOFF_MAX_MS = 5 * 60_000;

export class HealthRole {
  readonly receiver: HeartbeatReceiver;
  private readonly heard = new Map<string, Heard>();
  private readonly statsRows = new Map<string, ListenerStats>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private again = false;
  private breaker: 'closed' | 'open' = 'closed';
  private due = 0;
  private failovers = 0;
  /** Per load balancer: automatic failovers in a row and when the last one started (backoff). */
  private readonly recent = new Map<string, { count: number; at: number }>();
  private readonly now: () => number;
  /** When checkOnce last ran: a long gap means this role, not the amphorae, was away. */
  private lastCheck: number | undefined;

  constructor(private readonly opts: HealthOptions) {
    this.now = opts.now ?? Date.now;
    this.receiver = new HeartbeatReceiver(
      { listen: opts.listen, key: opts.key, log: opts.log, maxAgeMs: Math.max(10_000, opts.timeoutMs * 3), now: this.now },
      (beat, at) => this.onHeartbeat(beat, at),
    );
  }

  /** Binds the receiver (answers its address, for the agents) and starts the failover checks. */
  async start(): Promise<{ host: string; port: number }> {
    const address = await this.receiver.start();
    this.timer = setInterval(() => void this.check(), Math.max(50, Math.min(250, this.opts.intervalMs / 4)));
    this.timer.unref();
    this.opts.log.info({ event: 'health.listening', ...address, heartbeat_timeout_ms: this.opts.timeoutMs, failover_threshold: this.opts.failoverThreshold });
    return address;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
    await this.receiver.close();
  }

  status(): HealthStatus {
    return { breaker: this.breaker, due: this.due, failovers: this.failovers, receiver: this.receiver.counters };
  }

  async onHeartbeat(beat: Heartbeat, at: number): Promise<void> {
    const before = this.heard.get(beat.amphora_id);
    const downSince = beat.haproxy_up ? undefined : before?.downSince ?? at;
    this.heard.set(beat.amphora_id, { at, haproxyUp: beat.haproxy_up, downSince });
    const amphora = await this.opts.store.get('amphora', beat.amphora_id);
    if (!amphora?.load_balancer_id || amphora.status !== 'ALLOCATED') return;
    if (!beat.haproxy_up && before?.haproxyUp !== false) void this.check();
    const graph = await this.opts.store.graph(amphora.load_balancer_id);
    if (!graph || graph.loadBalancer.provisioning_status === PS.DELETED) return;
    const stored = storedStatus(graph);
    const changes = !beat.haproxy_up
      ? (await this.peerServes(amphora, at) ? [] : haproxyDownStatus(stored))
      : beat.epoch ? deriveOperatingStatus(stored, beat) : [];
    if (changes.length > 0) await this.writeStatus(amphora, changes);
    if (beat.haproxy_up && beat.epoch) await this.writeStats(amphora, graph, beat);
  }

  /**
   * Whether the other amphora of an ACTIVE_STANDBY pair beats with HAProxy up: then the load
   * balancer still serves (VRRP moved the VIP to it) and one amphora's dead HAProxy, which its
   * agent is restarting, is no ERROR of the load balancer — else the status flapped between
   * ERROR and the peer's ONLINE with every beat of the two.
   */
  private async peerServes(amphora: Amphora, at: number): Promise<boolean> {
    if (!paired(amphora)) return false;
    const pair = await this.opts.store.find('amphora', { load_balancer_id: amphora.load_balancer_id!, status: 'ALLOCATED' });
    return pair.some((a) => {
      if (a.id === amphora.id) return false;
      const heard = this.heard.get(a.id);
      return !!heard?.haproxyUp && at - heard.at <= this.opts.timeoutMs;
    });
  }

  private async writeStatus(amphora: Amphora, changes: StatusChange[]): Promise<void> {
    await this.opts.store.transaction(async (tx) => {
      for (const c of changes) await tx.update(c.kind, c.id, { operating_status: c.to });
    });
    this.opts.log.info({
      event: 'health.operating_status', amphora_id: amphora.id, load_balancer_id: amphora.load_balancer_id,
      changes: changes.map((c) => `${c.kind} ${c.id}: ${c.from} → ${c.to}`),
    });
  }

  private async writeStats(amphora: Amphora, graph: LoadBalancerGraph, beat: Heartbeat): Promise<void> {
    const known = new Set(graph.listeners.map((l) => l.id));
    for (const [listenerId, counters] of Object.entries(beat.listeners)) {
      if (!known.has(listenerId)) continue;
      const key = `${listenerId}/${amphora.id}`;
      const where = { listener_id: listenerId, amphora_id: amphora.id };
      let prev = this.statsRows.get(key);
      prev ??= await this.opts.store.get('listener_stats', where);
      const next = accumulate(prev, listenerId, amphora.id, beat.epoch, counters);
      if (!next) continue;
      if (prev) await this.opts.store.update('listener_stats', where, next);
      else await this.opts.store.insert('listener_stats', next);
      this.statsRows.set(key, next);
    }
  }

  /** One failover check; calls that arrive while one runs make it run once more. */
  check(): Promise<void> {
    if (this.checking) {
      this.again = true;
      return this.checking;
    }
    this.checking = (async () => {
      try {
        do {
          this.again = false;
          await this.checkOnce();
        } while (this.again);
      } catch (err) {
        this.opts.log.error({ event: 'health.check_failed', error: (err as Error).message });
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    const now = this.now();
    // A role whose own timer ran late (a stalled event loop, a suspended process) heard
    // nothing meanwhile, through no fault of the amphorae: as after a restart, everyone gets
    // a full timeout of grace rather than a failover.
    if (this.lastCheck !== undefined && now - this.lastCheck > this.opts.timeoutMs / 2) {
      this.opts.log.warn({ event: 'health.stalled', stalled_ms: now - this.lastCheck });
      for (const heard of this.heard.values()) heard.at = Math.max(heard.at, now);
    }
    this.lastCheck = now;
    const amphorae = (await this.opts.store.find('amphora', { status: 'ALLOCATED' })).filter((a) => a.load_balancer_id);
    const live = new Set(amphorae.map((a) => a.id));
    for (const id of this.heard.keys()) if (!live.has(id)) this.forget(id);
    const candidates: { amphora: Amphora; reason: string }[] = [];
    for (const amphora of amphorae) {
      const heard = this.heard.get(amphora.id);
      if (!heard) {
        this.heard.set(amphora.id, { at: now, haproxyUp: true });
        continue;
      }
      if (!heard.haproxyUp) {
        // An ACTIVE_STANDBY amphora's agent restarts HAProxy itself (its peer holds the VIP
        // meanwhile): replacing it is the answer only when HAProxy stays dead that long.
        if (!paired(amphora) || now - (heard.downSince ?? heard.at) > this.opts.timeoutMs) candidates.push({ amphora, reason: 'haproxy_down' });
      } else if (now - heard.at > this.opts.timeoutMs) candidates.push({ amphora, reason: `no heartbeat for ${now - heard.at} ms` });
    }
    // Only ACTIVE load balancers: one being changed is the worker's, and one in ERROR would
    // fail its new amphora too, over and over.
    const lbIds = [...new Set(candidates.map((c) => c.amphora.load_balancer_id!))];
    const active = lbIds.length === 0 ? new Set<string>() : new Set(
      (await this.opts.store.find('load_balancer', { id: lbIds, provisioning_status: PS.ACTIVE })).map((lb) => lb.id),
    );
    const due = candidates.filter((c) => active.has(c.amphora.load_balancer_id!) && !this.backingOff(c.amphora.load_balancer_id!, now));
    this.due = due.length;
    if (due.length > this.opts.failoverThreshold) {
      if (this.breaker === 'closed') {
        this.opts.log.error({
          event: 'health.failover.storm', due: due.length, failover_threshold: this.opts.failoverThreshold,
          amphora_ids: due.slice(0, 20).map((c) => c.amphora.id),
        }, 'too many amphorae failed at once: automatic failover is held until fewer are due');
      }
      this.breaker = 'open';
      return;
    }
    if (this.breaker === 'open') this.opts.log.warn({ event: 'health.failover.resumed', due: due.length });
    this.breaker = 'closed';
    for (const { amphora, reason } of due) {
      if (await this.opts.failover(amphora.id, reason)) {
        this.failovers++;
        const lbId = amphora.load_balancer_id!;
        const last = this.recent.get(lbId);
        this.recent.set(lbId, { count: last && now - last.at < BACKOFF_RESET_MS ? last.count + 1 : 1, at: now });
        this.forget(amphora.id);
      }
    }
  }

  /**
   * A load balancer whose new amphora fails too (a config HAProxy refuses to start, a broken
   * host) would otherwise be failed over every heartbeat_timeout forever: after the first,
   * each further failover within BACKOFF_RESET_MS waits twice as long as the one before.
   */
  private backingOff(lbId: string, now: number): boolean {
    const last = this.recent.get(lbId);
    if (!last || last.count < 2) return false;
    const wait = Math.min(BACKOFF_MAX_MS, this.opts.timeoutMs * 2 ** (last.count - 1));
    return now - last.at < wait;
  }

  private forget(amphoraId: string): void {
    this.heard.delete(amphoraId);
    this.receiver.forget(amphoraId);
    for (const key of this.statsRows.keys()) if (key.endsWith(`/${amphoraId}`)) this.statsRows.delete(key);
  }
}

/** One of an ACTIVE_STANDBY pair (its agent restarts a dead HAProxy on its own). */
function paired(amphora: Amphora): boolean {
  return amphora.role === 'MASTER' || amphora.role === 'BACKUP';
}

/** The stored statuses the derivation compares against. */
export function storedStatus(graph: LoadBalancerGraph): StoredLoadBalancer {
  const lb = graph.loadBalancer;
  const live = (s: string) => s !== PS.DELETED;
  return {
    id: lb.id, admin_state_up: lb.admin_state_up, provisioning_status: lb.provisioning_status, operating_status: lb.operating_status,
    listeners: graph.listeners.filter((l) => live(l.provisioning_status)).map((l) => ({ id: l.id, admin_state_up: l.admin_state_up, operating_status: l.operating_status })),
    pools: graph.pools.filter((p) => live(p.provisioning_status)).map((p) => ({
      id: p.id, operating_status: p.operating_status,
      members: graph.members.filter((m) => m.pool_id === p.id).map((m) => ({ id: m.id, operating_status: m.operating_status })),
    })),
  };
}
