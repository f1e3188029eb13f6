// The amphora provider's driver (SINGLE topology): one amphora per load balancer, an HAProxy
// run by an agent. Applying a graph renders it (graph → IR → bundle) and sends it to the
// agent: member-only changes go through HAProxy's runtime API (no reload) when the agent is
// still serving the configuration this driver last sent; anything else is a whole bundle
// (the agent checks it, swaps it in and reloads hitlessly, or answers "unchanged").
//
// Idempotent by construction: the amphora's id is derived from the load balancer's, the
// agent compares bundles by sha256, and generations only move forward. After a crash between
// apply and finalize the poll finds the load balancer dirty and the same apply runs again.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Amphora, LoadBalancer, LoadBalancerGraph } from '../domain/entities.ts';
import type { Store } from '../store/store.ts';
import { AgentRequestError, AgentUnreachable } from '../amphora/client.ts';
import type { AgentInfo, ApplyResult } from '../amphora/protocol.ts';
import { SERVER_STATE_FILE, STATS_SOCKET } from '../amphora/protocol.ts';
import type { Compute } from '../drivers/compute/compute.ts';
import { certificateFiles, haproxyBundle, makeBundle, runtimeDelta, toIR } from '../render/index.ts';
import { DEFAULT_FILE_MODE, UDP_CONFIG_FILE, renderUdp, toUdpConfig } from '../render/index.ts';
import type { Secrets } from '../drivers/secrets/secrets.ts';
import type { AmphoraContext, HaproxyIR } from '../render/index.ts';
import type { ProviderDriver } from './driver.ts';
import type { Pair, PluggingCompute } from './active-standby.ts';
import { ensurePair, isPlugging, keepalivedFile, pairContext, amphoraIdFor, ROLES } from './active-standby.ts';
import type { BundleFile } from '../render/index.ts';

export interface AmphoraDriverOptions {
  store: Store;
  compute: Compute;
  /** Resolves the certificate refs of listeners and pools into the bundle's PEM files. */
  secrets: Secrets;
  log: Logger;
}

/** What this driver last got serving on an amphora: the base for the next runtime delta. */
interface Applied {
  ir: HaproxyIR;
  sha256: string;
  /** Digest of the certificate files alone: new certificates need a reload, never a runtime delta. */
  certs: string;
}

const ROLE = 'STANDALONE';
/** Amphora rows the data plane no longer serves from. */
const GONE = new Set(['DELETED', 'PENDING_DELETE']);

export class AmphoraDriver implements ProviderDriver {
  readonly name = 'amphora';
  /** Kept in memory only: after a restart the first apply of each amphora is a whole bundle. */
  private readonly applied = new Map<string, Applied>();

  constructor(private readonly opts: AmphoraDriverOptions) {}

  async apply(graph: LoadBalancerGraph): Promise<void> {
    const lb = graph.loadBalancer;
    if (lb.topology === 'ACTIVE_STANDBY') {
      if (isPlugging(this.opts.compute)) return this.applyActiveStandby(graph, this.opts.compute);
      // The local compute runs every amphora on this one host: a standby there would add
      // nothing, so it serves one amphora and says so (the netns compute runs two).
      this.opts.log.warn({ event: 'amphora.topology_single', load_balancer_id: lb.id, compute: this.opts.compute.name },
        'ACTIVE_STANDBY needs the netns compute driver; serving one amphora');
    }
    const amphora = await this.ensureAmphora(lb);
    const ids = { load_balancer_id: lb.id, amphora_id: amphora.id, generation: lb.generation };
    try {
      const result = await this.push(amphora, graph);
      this.opts.log.info({
        event: 'amphora.applied', ...ids, action: result.action, duration_ms: result.duration_ms,
        timings: result.timings, reloads: result.reloads, master_pid: result.master_pid,
      });
      await this.retireReplaced(lb);
    } catch (err) {
      // The agent may now serve something else (rolled back, or nothing): no runtime delta next time.
      this.applied.delete(amphora.id);
      const detail = err instanceof AgentRequestError ? err.body.detail : undefined;
      this.opts.log.error({ event: 'amphora.apply_failed', ...ids, error: (err as Error).message, detail });
      throw err;
    }
  }

  /**
   * Both amphorae of the pair get the same HAProxy configuration (with `peers`, so persistence
   * tables follow the VIP) and their own keepalived.conf, one after the other, oldest first.
   */
  private async applyActiveStandby(graph: LoadBalancerGraph, compute: PluggingCompute): Promise<void> {
    const lb = graph.loadBalancer;
    // A load balancer failover replaces its two amphorae one after the other (ensurePair).
    for (let more = true; more;) {
      const pair = await ensurePair(this.opts.store, compute, lb);
      await this.applyPair(graph, pair);
      more = pair.more;
    }
    // After a failover (service/failover.ts marked the lost one PENDING_DELETE and ensurePair
    // placed its successor), the lost amphora is removed once the pair serves again.
    await this.retireReplaced(lb);
  }

  /**
   * Oldest first: on a fresh pair the MASTER (it wins the first election); after a failover the
   * survivor, so it already adverts to the newcomer's address when the newcomer's keepalived
   * starts, and the newcomer stays BACKUP (nopreempt) instead of grabbing the VIP with empty
   * stick tables. A retiring amphora standing in that cannot be reached is passed over: it is
   * replaced next.
   */
  private async applyPair(graph: LoadBalancerGraph, pair: Pair): Promise<void> {
    const lb = graph.loadBalancer;
    const ordered = [pair.master, pair.backup].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
    for (const amphora of ordered) {
      const ids = { load_balancer_id: lb.id, amphora_id: amphora.id, role: amphora.role, generation: lb.generation };
      const ctx = pairContext(pair, amphora, lb);
      try {
        const result = await this.push(amphora, graph, { peers: ctx.peers }, [keepalivedFile(lb, ctx.vrrp)]);
        this.opts.log.info({ event: 'amphora.applied', ...ids, action: result.action, duration_ms: result.duration_ms });
      } catch (err) {
        this.applied.delete(amphora.id);
        const detail = err instanceof AgentRequestError ? err.body.detail : undefined;
        const standIn = amphora.status === 'PENDING_DELETE' && err instanceof AgentUnreachable;
        this.opts.log[standIn ? 'warn' : 'error']({ event: 'amphora.apply_failed', ...ids, error: (err as Error).message, detail });
        if (!standIn) throw err;
      }
    }
  }

  async remove(graph: LoadBalancerGraph): Promise<void> {
    const lb = graph.loadBalancer;
    const rows = (await this.opts.store.find('amphora', { load_balancer_id: lb.id })).filter((a) => a.status !== 'DELETED');
    for (const row of rows) (this.opts.compute as { remember?(id: string, ip: string | null): void }).remember?.(row.compute_id ?? row.id, row.lb_network_ip);
    // The derived ids too: an amphora the agent runs is removed even if its row is gone.
    const derived = [amphoraIdOf(lb.id), ...(lb.topology === 'ACTIVE_STANDBY' ? ROLES.map((r) => amphoraIdFor(lb.id, r)) : [])];
    const computeIds = new Set([...rows.map((a) => a.compute_id ?? a.id), ...derived]);
    for (const computeId of computeIds) {
      await this.opts.compute.delete(computeId);
      this.opts.log.info({ event: 'amphora.deleted', load_balancer_id: lb.id, amphora_id: computeId });
    }
    for (const row of rows) this.applied.delete(row.id);
    this.applied.delete(amphoraIdOf(lb.id));
  }

  /** Renders the graph and sends it: a runtime delta when possible, else the whole bundle. */
  private async push(amphora: Amphora, graph: LoadBalancerGraph, extra: Partial<AmphoraContext> = {}, files: BundleFile[] = []): Promise<ApplyResult> {
    const computeId = amphora.compute_id ?? amphora.id;
    refuseUnserved(graph);
    const context = { ...(await this.context(graph.loadBalancer, computeId)), ...extra };
    const ir = toIR(graph, context);
    const certFiles = certificateFiles(graph, ir, await this.opts.secrets.materialFor(graph), context.paths.certDir);
    const certs = makeBundle(certFiles).sha256;
    // UDP listeners are served by the agent's datagram engine from udp.json (docs/udp.md).
    const udp = toUdpConfig(graph, context);
    const udpFiles = udp ? [{ path: UDP_CONFIG_FILE, content: renderUdp(udp), mode: DEFAULT_FILE_MODE }] : [];
    const bundle = haproxyBundle(ir, [...certFiles, ...udpFiles, ...files]);
    const client = this.opts.compute.agentFor(computeId);
    const generation = graph.loadBalancer.generation;
    const last = this.applied.get(amphora.id);
    const commands = last && last.sha256 !== bundle.sha256 && last.certs === certs ? runtimeDelta(last.ir, ir) : null;
    // Runtime commands only make sense against the configuration they were computed from:
    // the agent applies the bundle whole when it no longer serves `last` (no status call first).
    const result = commands && commands.length > 0
      ? await client.applyRuntime(computeId, generation, bundle, commands, last!.sha256)
      : await client.applyConfig(computeId, generation, bundle);
    this.applied.set(amphora.id, { ir, sha256: bundle.sha256, certs });
    return result;
  }

  private async context(lb: LoadBalancer, computeId: string): Promise<AmphoraContext> {
    const info = await this.opts.compute.info(computeId);
    if (!lb.vip_address) throw new Error(`load balancer ${lb.id} has no VIP address`);
    return {
      vipAddress: lb.vip_address,
      additionalVipAddresses: lb.additional_vips.map((v) => v.ip_address).filter((a): a is string => !!a),
      // Relative to the amphora's config directory, as the agent protocol asks (src/amphora/protocol.ts).
      paths: { statsSocket: `unix@${STATS_SOCKET}`, serverStateFile: SERVER_STATE_FILE, certDir: 'certs', pidFile: null },
      maxconn: maxconnFor(info),
    };
  }

  /**
   * Failover: once the new amphora serves, the ones it replaces (PENDING_DELETE) are stopped
   * and their rows end DELETED, as Octavia's do. One that cannot be removed now (its agent is
   * unreachable) stays PENDING_DELETE and is tried again at the next apply.
   */
  private async retireReplaced(lb: LoadBalancer): Promise<void> {
    const old = await this.opts.store.find('amphora', { load_balancer_id: lb.id, status: 'PENDING_DELETE' });
    for (const row of old) {
      try {
        await this.opts.compute.delete(row.compute_id ?? row.id);
      } catch (err) {
        this.opts.log.warn({ event: 'amphora.retire_failed', load_balancer_id: lb.id, amphora_id: row.id, error: (err as Error).message });
        continue;
      }
      this.applied.delete(row.id);
      await this.opts.store.update('amphora', row.id, { status: 'DELETED', updated_at: new Date().toISOString() });
      this.opts.log.info({ event: 'amphora.failover.retired', load_balancer_id: lb.id, amphora_id: row.id });
    }
  }

  /**
   * The load balancer's amphora row, created (ALLOCATED, STANDALONE) on its first apply and
   * after a failover retired the previous one. The id is derived from the LB's and the
   * number of amphorae it has had, so racing workers still agree on it.
   */
  private async ensureAmphora(lb: LoadBalancer): Promise<Amphora> {
    const existing = await this.liveAmphora(lb.id);
    if (existing) return existing;
    const id = amphoraIdOf(lb.id, await this.opts.store.count('amphora', { load_balancer_id: lb.id }));
    const placement = this.opts.compute.place(id);
    const row: Amphora = {
      id, load_balancer_id: lb.id, compute_id: placement.computeId, lb_network_ip: placement.lbNetworkIp,
      vrrp_ip: lb.vip_address, ha_ip: lb.vip_address, vrrp_port_id: null, ha_port_id: lb.vip_port_id,
      cert_expiration: placement.certExpiration, cert_busy: false, role: ROLE, status: 'ALLOCATED',
      vrrp_interface: null, vrrp_id: null, vrrp_priority: null, cached_zone: lb.availability_zone,
      image_id: null, compute_flavor: null, created_at: new Date().toISOString(), updated_at: null,
    };
    try {
      await this.opts.store.insert('amphora', row);
    } catch (err) {
      // Another worker inserted the same (derived) id first: use its row.
      const raced = await this.liveAmphora(lb.id);
      if (raced) return raced;
      throw err;
    }
    this.opts.log.info({ event: 'amphora.allocated', load_balancer_id: lb.id, amphora_id: id, lb_network_ip: placement.lbNetworkIp });
    return row;
  }

  private async liveAmphora(lbId: string): Promise<Amphora | undefined> {
    const rows = await this.opts.store.find('amphora', { load_balancer_id: lbId });
    return rows.find((a) => !GONE.has(a.status));
  }
}

/** The agent sizes the budget from its descriptor limit (src/amphora/agent/haproxy.ts); at least 1 renders. */
export function maxconnFor(info: AgentInfo): number {
  return Math.max(1, info.maxconn_budget);
}

/**
 * The SINGLE amphora's id: a UUID derived from the load balancer's (and, after failovers, how
 * many amphorae came before), so every worker picks the same one.
 */
export function amphoraIdOf(lbId: string, previous = 0): string {
  const h = createHash('sha256').update(`fulcrum-amphora:${lbId}:${ROLE}${previous > 0 ? `:${previous}` : ''}`).digest('hex');
  // Shaped as a version-4-style UUID so clients that validate ids accept it.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * HAProxy carries TCP and HTTP, the agent's engine UDP; nothing here carries SCTP (no IPVS on
 * this host, see DESIGN; the API refuses new SCTP objects): an ERROR says so, where an ACTIVE
 * listener that nothing serves would not.
 */
function refuseUnserved(graph: LoadBalancerGraph): void {
  const live = (s: string) => s !== 'PENDING_DELETE' && s !== 'DELETED';
  const listener = graph.listeners.find((l) => live(l.provisioning_status) && !LISTENER_MODE_SERVED.has(l.protocol));
  if (listener) throw new Error(`listener ${listener.id}: ${listener.protocol} listeners have no data plane on this host yet`);
}

const LISTENER_MODE_SERVED = new Set(['HTTP', 'HTTPS', 'TCP', 'TERMINATED_HTTPS', 'PROMETHEUS', 'UDP']);
