// The agent's UDP engine: HAProxy has no UDP and this host has no IPVS, so the agent forwards
// datagrams itself (docs/udp.md: why this engine, and its figures against direct delivery).
// Per UDP listener: one socket per VIP bind; per client address:port a flow with its own
// upstream socket connected to the chosen member, so replies find their way back. Members are
// chosen by round robin (weighted), least flows or source hash; SOURCE_IP persistence pins a
// (masked) client address to its member; health checks (UDP-CONNECT, TCP, HTTP) take members
// out after `fall` failures and back after `rise` successes, as HAProxy and keepalived do.
import { createSocket } from 'node:dgram';
import type { Socket as DgramSocket } from 'node:dgram';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { connect, isIPv6 } from 'node:net';
import type { UdpCheckConfig, UdpConfig, UdpListenerConfig, UdpMemberConfig, UdpPoolConfig } from '../../render/udp.ts';
import type { StatRow } from '../protocol.ts';
import type { AgentLog } from './amphora.ts';

interface MemberState {
  config: UdpMemberConfig;
  up: boolean;
  /** Consecutive check results in the direction opposite to `up`. */
  streak: number;
  lastCheck: string;
  flows: number;
  total: number;
  bytesIn: number;
  bytesOut: number;
  /** Smooth weighted round robin's running weight. */
  current: number;
}

interface Flow {
  upstream: DgramSocket;
  /** Datagrams that arrived before the upstream socket finished connecting. */
  pending: Buffer[] | null;
  member: MemberState;
  lastSeen: number;
}

const family = (address: string) => (isIPv6(address) ? 'udp6' : 'udp4');

function bindSocket(address: string, port: number): Promise<DgramSocket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket({ type: family(address), reuseAddr: false });
    sock.once('error', reject);
    sock.bind(port, address, () => {
      sock.off('error', reject);
      resolve(sock);
    });
  });
}

/** One UDP listener: its bound sockets, its pool's members and checks, and the client flows. */
class UdpListener {
  private readonly flows = new Map<string, Flow>();
  private readonly sticky = new Map<string, { member: string; expires: number }>();
  private members = new Map<string, MemberState>();
  private pool: UdpPoolConfig | null = null;
  private timers: NodeJS.Timeout[] = [];
  private readonly sweeper: NodeJS.Timeout;
  private received = 0;
  /** A clock the sweeper advances once a second: flows need no finer idle time, and datagrams skip Date.now(). */
  private clock = Date.now();

  constructor(readonly config: UdpListenerConfig, private readonly sockets: DgramSocket[], private readonly log: AgentLog) {
    for (const sock of sockets) sock.on('message', (msg, rinfo) => this.forward(sock, msg, rinfo.address, rinfo.port));
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
    this.setPool(config.pool);
  }

  static async open(config: UdpListenerConfig, log: AgentLog): Promise<UdpListener> {
    const sockets: DgramSocket[] = [];
    try {
      for (const b of config.binds) sockets.push(await bindSocket(b.address, b.port));
    } catch (err) {
      for (const s of sockets) s.close();
      throw new Error(`UDP listener ${config.id}: cannot bind: ${(err as Error).message}`);
    }
    return new UdpListener(config, sockets, log);
  }

  sameBinds(config: UdpListenerConfig): boolean {
    return JSON.stringify(config.binds) === JSON.stringify(this.config.binds);
  }

  /** Takes a new pool configuration; member state (health, counters) carries over by id. */
  setPool(pool: UdpPoolConfig | null): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const old = this.members;
    const sameCheck = JSON.stringify(pool?.check) === JSON.stringify(this.pool?.check);
    const initial = pool?.check ? 'INI' : '';
    this.members = new Map((pool?.members ?? []).map((m): [string, MemberState] => {
      const prev = old.get(m.id);
      if (!prev) return [m.id, { config: m, up: true, streak: 0, lastCheck: initial, flows: 0, total: 0, bytesIn: 0, bytesOut: 0, current: 0 }];
      // Kept in place: its flows point at it. A changed check starts its health afresh.
      prev.config = m;
      if (!sameCheck) Object.assign(prev, { up: true, streak: 0, lastCheck: initial });
      return [m.id, prev];
    }));
    this.pool = pool;
    // Flows to members that are gone or no longer eligible pick a member again on their next datagram.
    for (const [key, flow] of this.flows) if (this.members.get(flow.member.config.id) !== flow.member || !this.eligible(flow.member)) this.endFlow(key, flow);
    if (pool?.check) for (const m of this.members.values()) this.timers.push(this.scheduleCheck(pool.check, m));
  }

  private eligible(m: MemberState): boolean {
    return !m.config.disabled && m.up && m.config.weight > 0;
  }

  private forward(front: DgramSocket, msg: Buffer, address: string, port: number): void {
    this.received++;
    const key = `${address}|${port}`;
    let flow = this.flows.get(key);
    if (flow && !this.eligible(flow.member)) {
      this.endFlow(key, flow);
      flow = undefined;
    }
    if (!flow) {
      const member = this.choose(address);
      if (!member) return; // no member up: dropped, as LVS drops it
      flow = this.openFlow(front, key, address, port, member);
    }
    flow.lastSeen = this.clock;
    flow.member.bytesIn += msg.length;
    if (flow.pending) flow.pending.push(msg);
    else flow.upstream.send(msg);
  }

  private openFlow(front: DgramSocket, key: string, address: string, port: number, member: MemberState): Flow {
    const upstream = createSocket(family(member.config.address));
    const flow: Flow = { upstream, member, lastSeen: Date.now(), pending: [] };
    upstream.on('message', (reply) => {
      flow.lastSeen = this.clock;
      member.bytesOut += reply.length;
      front.send(reply, port, address);
    });
    // ICMP port unreachable from the member arrives as ECONNREFUSED on the connected socket.
    upstream.on('error', () => undefined);
    upstream.connect(member.config.port, member.config.address, () => {
      const queued = flow.pending ?? [];
      flow.pending = null;
      for (const msg of queued) upstream.send(msg);
    });
    member.flows++;
    member.total++;
    this.flows.set(key, flow);
    return flow;
  }

  private endFlow(key: string, flow: Flow): void {
    this.flows.delete(key);
    flow.member.flows--;
    try {
      flow.upstream.close();
    } catch {
      // already closed
    }
  }

  /** Persistence first, then the algorithm over the eligible members (backups only when none is). */
  private choose(client: string): MemberState | undefined {
    const pool = this.pool;
    if (!pool) return undefined;
    const all = [...this.members.values()].filter((m) => this.eligible(m));
    const primaries = all.filter((m) => !m.config.backup);
    const candidates = primaries.length > 0 ? primaries : all;
    if (candidates.length === 0) return undefined;
    const stickKey = pool.persistence ? masked(client, pool.persistence.granularity) : null;
    if (stickKey && pool.persistence) {
      const entry = this.sticky.get(stickKey);
      const member = entry && entry.expires > Date.now() ? this.members.get(entry.member) : undefined;
      if (member && this.eligible(member)) {
        entry!.expires = Date.now() + pool.persistence.timeoutSeconds * 1000;
        return member;
      }
    }
    const chosen = pool.algorithm === 'leastconn' ? leastFlows(candidates)
      : pool.algorithm === 'source' ? bySourceHash(candidates, client)
        : weightedRoundRobin(candidates);
    if (stickKey && pool.persistence) this.sticky.set(stickKey, { member: chosen.config.id, expires: Date.now() + pool.persistence.timeoutSeconds * 1000 });
    return chosen;
  }

  private sweep(): void {
    const now = (this.clock = Date.now());
    const idle = (this.pool?.idleSeconds ?? 60) * 1000;
    for (const [key, flow] of this.flows) if (now - flow.lastSeen > idle) this.endFlow(key, flow);
    for (const [key, entry] of this.sticky) if (entry.expires <= now) this.sticky.delete(key);
  }

  private scheduleCheck(check: UdpCheckConfig, m: MemberState): NodeJS.Timeout {
    let running = false;
    const run = async () => {
      if (running || m.config.disabled) return;
      running = true;
      try {
        const ok = await probe(check, m.config);
        this.record(check, m, ok);
      } finally {
        running = false;
      }
    };
    void run();
    const timer = setInterval(run, check.interval * 1000);
    timer.unref();
    return timer;
  }

  private record(check: UdpCheckConfig, m: MemberState, ok: boolean): void {
    m.lastCheck = ok ? 'OK' : 'FAIL';
    if (ok === m.up) {
      m.streak = 0;
      return;
    }
    m.streak++;
    if (m.streak >= (m.up ? check.fall : check.rise)) {
      m.up = ok;
      m.streak = 0;
      this.log.info({ event: ok ? 'agent.udp.member_up' : 'agent.udp.member_down', listener_id: this.config.id, member_id: m.config.id });
      if (!ok) for (const [key, flow] of this.flows) if (flow.member === m) this.endFlow(key, flow);
    }
  }

  stats(): StatRow[] {
    const row = (proxy: string, name: string, type: StatRow['type'], status: string, extra: Partial<StatRow> = {}): StatRow => ({
      proxy, name, type, status, check_status: '', weight: null, bin: 0, bout: 0, scur: 0, stot: 0, ereq: 0, econ: 0, eresp: 0, ...extra,
    });
    const members = [...this.members.values()];
    const sum = (f: (m: MemberState) => number) => members.reduce((a, m) => a + f(m), 0);
    const rows = [row(this.config.id, 'FRONTEND', 'frontend', 'OPEN', { bin: sum((m) => m.bytesIn), bout: sum((m) => m.bytesOut), scur: this.flows.size, stot: sum((m) => m.total) })];
    if (!this.pool) return rows;
    const pool = this.pool;
    for (const m of members) {
      const status = m.config.disabled ? 'MAINT' : !pool.check ? 'no check' : m.up ? 'UP' : 'DOWN';
      rows.push(row(pool.name, m.config.id, 'server', status, {
        check_status: pool.check ? `${pool.check.kind.toUpperCase()}_${m.lastCheck}` : '', weight: m.config.weight,
        bin: m.bytesIn, bout: m.bytesOut, scur: m.flows, stot: m.total,
      }));
    }
    const anyUp = members.some((m) => this.eligible(m));
    rows.push(row(pool.name, 'BACKEND', 'backend', anyUp ? 'UP' : 'DOWN', { bin: sum((m) => m.bytesIn), bout: sum((m) => m.bytesOut), scur: this.flows.size, stot: sum((m) => m.total) }));
    return rows;
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const t of this.timers) clearInterval(t);
    for (const [key, flow] of this.flows) this.endFlow(key, flow);
    for (const s of this.sockets) s.close();
  }
}

function leastFlows(list: MemberState[]): MemberState {
  return list.reduce((best, m) => (m.flows * best.config.weight < best.flows * m.config.weight ? m : best));
}

function bySourceHash(list: MemberState[], client: string): MemberState {
  const sorted = [...list].sort((a, b) => a.config.id.localeCompare(b.config.id));
  const h = createHash('sha1').update(client).digest().readUInt32BE(0);
  return sorted[h % sorted.length];
}

/** nginx's smooth weighted round robin: even spread, proportional to weight. */
function weightedRoundRobin(list: MemberState[]): MemberState {
  const total = list.reduce((a, m) => a + m.config.weight, 0);
  let best = list[0];
  for (const m of list) {
    m.current += m.config.weight;
    if (m.current > best.current) best = m;
  }
  best.current -= total;
  return best;
}

function masked(address: string, granularity: string | null): string {
  if (!granularity || isIPv6(address)) return address;
  const mask = granularity.split('.').map(Number);
  return address.split('.').map((p, i) => Number(p) & mask[i]).join('.');
}

/** One health check of one member; true when it passed. */
export function probe(check: UdpCheckConfig, m: UdpMemberConfig): Promise<boolean> {
  const address = m.checkAddress ?? m.address;
  const port = m.checkPort ?? m.port;
  const timeoutMs = check.timeout * 1000;
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean, cleanup: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cleanup();
      resolve(ok);
    };
    let cleanup = () => {};
    // UDP-CONNECT passes unless the member's host answers "port unreachable" in time (as nc -uz).
    const timer = setTimeout(() => finish(check.kind === 'udp-connect', cleanup), timeoutMs);
    if (check.kind === 'udp-connect') {
      const sock = createSocket(family(address));
      cleanup = () => sock.close();
      sock.on('error', () => finish(false, cleanup));
      sock.on('message', () => finish(true, cleanup));
      sock.connect(port, address, () => sock.send(Buffer.alloc(0)));
    } else if (check.kind === 'tcp') {
      const sock = connect({ host: address, port });
      cleanup = () => sock.destroy();
      sock.once('connect', () => finish(true, cleanup));
      sock.once('error', () => finish(false, cleanup));
    } else {
      const http = check.http!;
      try {
        const req = request({ host: address, port, method: http.method, path: http.path, agent: false, headers: { connection: 'close' } }, (res) => {
          res.resume();
          finish(statusMatches(res.statusCode ?? 0, http.expectStatus), cleanup);
        });
        cleanup = () => req.destroy();
        req.on('error', () => finish(false, cleanup));
        req.end();
      } catch {
        // A path or method Node refuses to send (the API refuses them first): the check fails.
        finish(false, cleanup);
      }
    }
  });
}

/** HAProxy's status list syntax as the renderer writes it: "200", "200-204,301". */
function statusMatches(status: number, list: string): boolean {
  return list.split(',').some((part) => {
    const [lo, hi] = part.split('-').map(Number);
    return hi === undefined ? status === lo : status >= lo && status <= hi;
  });
}

/**
 * What an amphora needs from whatever serves its UDP listeners: UdpEngine in this process,
 * or NetnsUdpEngine (udp-process.ts) in a child process inside the amphora's namespace.
 */
export interface UdpForwarder {
  /** Moves to `config`; rejects with the bind error, the running listeners left as they were. */
  apply(config: UdpConfig | null): Promise<void>;
  /** Listener, member and pool rows for status and heartbeats. */
  stats(): StatRow[];
  close(): void;
}

/** Every UDP listener of one amphora. */
export class UdpEngine implements UdpForwarder {
  private readonly listeners = new Map<string, UdpListener>();

  constructor(private readonly log: AgentLog, private readonly amphoraId: string) {}

  /**
   * Moves to `config` (null: no UDP listeners). New binds are opened before anything is
   * closed, so a bind that fails leaves the running listeners as they were.
   */
  async apply(config: UdpConfig | null): Promise<void> {
    const wanted = new Map((config?.listeners ?? []).filter((l) => l.enabled).map((l) => [l.id, l]));
    const opened = new Map<string, UdpListener>();
    try {
      for (const [id, l] of wanted) {
        const current = this.listeners.get(id);
        if (!current || !current.sameBinds(l)) {
          current?.close(); // same id, other port: free it before binding the new one
          this.listeners.delete(id);
          opened.set(id, await UdpListener.open(l, this.log));
        }
      }
    } catch (err) {
      for (const l of opened.values()) l.close();
      throw err;
    }
    for (const [id, l] of this.listeners) {
      const next = wanted.get(id);
      if (next) l.setPool(next.pool);
      else {
        l.close();
        this.listeners.delete(id);
      }
    }
    for (const [id, l] of opened) this.listeners.set(id, l);
    if (opened.size > 0 || wanted.size > 0) this.log.info({ event: 'agent.udp.applied', amphora_id: this.amphoraId, listeners: wanted.size });
  }

  stats(): StatRow[] {
    return [...this.listeners.values()].flatMap((l) => l.stats());
  }

  close(): void {
    for (const l of this.listeners.values()) l.close();
    this.listeners.clear();
  }
}
