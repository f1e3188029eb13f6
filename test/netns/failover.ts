// One failover case on a lab (lab.ts): an ACTIVE_STANDBY load balancer created through the API
// (flavor with loadbalancer_topology ACTIVE_STANDBY; listener :80 → pool with SOURCE_IP
// persistence, listener :8080 → pool with APP_COOKIE persistence, both on members m1 and m2),
// constant client load through the VIP, one failure on the amphora holding the VIP, and what
// the clients saw: the longest stretch with no successful response, and whether each client
// stayed on its member. Shared by test/netns/active-standby.test.ts and bench/failover-vrrp.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { command } from '../../src/amphora/agent/runtime.ts';
import * as ipcmd from '../../src/drivers/netns/ip.ts';
import type { Lab } from './lab.ts';
import { longestGap, sleep, vipHolders, waitFor } from './lab.ts';
import type { ClientResult } from './loadgen.ts';

/**
 * 'api': an operator fails the VIP holder over (PUT /v2/octavia/amphorae/{id}/failover) while
 * it still runs; 'lb': the whole load balancer (PUT /v2/lbaas/loadbalancers/{id}/failover).
 */
export type FailureKind = 'haproxy' | 'keepalived' | 'link' | 'host' | 'api' | 'lb';
// The API cases before 'host': a host killed earlier would be the only one left for their successors.
export const FAILURES: FailureKind[] = ['haproxy', 'keepalived', 'link', 'api', 'lb', 'host'];
/** The cases after which successors are awaited (the lost amphora, or both, replaced). */
export const REPLACED = new Set<FailureKind>(['host', 'api', 'lb']);

export const MEMBERS = [{ name: 'm1', address: '198.18.0.50' }, { name: 'm2', address: '198.18.0.51' }];
export const SOURCE_CLIENTS = ['198.18.0.60', '198.18.0.61', '198.18.0.62', '198.18.0.63'];
export const COOKIE_CLIENTS = ['198.18.0.70', '198.18.0.71'];

/** Members and the client namespace, once per lab. */
export async function prepareLab(lab: Lab): Promise<void> {
  for (const m of MEMBERS) await lab.member(m.name, m.address);
  await lab.client([...SOURCE_CLIENTS, ...COOKIE_CLIENTS]);
}

async function api(lab: Lab, method: string, path: string, body?: unknown): Promise<any> {
  const res = await lab.app.req(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

async function settled(lab: Lab, lbId: string): Promise<any> {
  await lab.app.settle();
  const lb = (await api(lab, 'GET', `/v2/lbaas/loadbalancers/${lbId}`)).loadbalancer;
  if (lb.provisioning_status !== 'ACTIVE') throw new Error(`load balancer ${lbId} is ${lb.provisioning_status}`);
  return lb;
}

/** The ACTIVE_STANDBY flavor (profile + flavor), created once per lab. */
export async function activeStandbyFlavor(lab: Lab): Promise<string> {
  const fp = (await api(lab, 'POST', '/v2/lbaas/flavorprofiles', {
    flavorprofile: { name: 'active-standby', provider_name: 'amphora', flavor_data: JSON.stringify({ loadbalancer_topology: 'ACTIVE_STANDBY' }) },
  })).flavorprofile;
  return (await api(lab, 'POST', '/v2/lbaas/flavors', { flavor: { name: 'ha', flavor_profile_id: fp.id } })).flavor.id;
}

export interface HaStack {
  lb: any;
  amphorae: any[];
}

/**
 * One fully populated create (Octavia's single-call graph): LB from the flavor, listener :80 →
 * SOURCE_IP pool, listener :8080 → APP_COOKIE pool, both on members m1 and m2.
 */
export async function haStack(lab: Lab, flavorId: string): Promise<HaStack> {
  const pool = (persistence: Record<string, unknown>) => ({
    name: `pool-${String(persistence.type).toLowerCase()}`, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: persistence,
    members: MEMBERS.map((m) => ({ address: m.address, protocol_port: 80, subnet_id: lab.subnetId })),
  });
  const lb = (await api(lab, 'POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: {
      vip_subnet_id: lab.subnetId, flavor_id: flavorId,
      listeners: [
        { protocol: 'HTTP', protocol_port: 80, default_pool: pool({ type: 'SOURCE_IP' }) },
        { protocol: 'HTTP', protocol_port: 8080, default_pool: pool({ type: 'APP_COOKIE', cookie_name: 'sid' }) },
      ],
    },
  })).loadbalancer;
  await settled(lab, lb.id);
  const amphorae = (await api(lab, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).amphorae;
  return { lb: await settled(lab, lb.id), amphorae };
}

export interface CaseResult {
  kind: FailureKind;
  /** Longest time (ms) with no successful response from any client around the failure. */
  gapMs: number;
  /** Clients whose member changed during the run (persistence lost), as "address: m1→m2". */
  moved: string[];
  requests: number;
  failed: number;
  holderBefore: string;
  holderAfter: string[];
  /** The compute ids of the pair before the failure. */
  before: string[];
  /** Whether a keepalived runs in the old holder's namespace after the failure (the agent restarted it). */
  keepalivedBack: boolean;
  /**
   * With `replace`: the health role's automatic replacement of the lost amphora, the time from
   * the failure until the load balancer had two amphorae again and was ACTIVE, and the longest
   * gap from the end of the first failover's window until a second after that.
   */
  replacement?: { gapMs: number; durationMs: number; amphorae: any[]; holder: string[] };
}

function pidsNamed(pids: number[], name: RegExp): number[] {
  return pids.filter((p) => {
    try {
      return name.test(readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0]);
    } catch {
      return false;
    }
  });
}

function killAll(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Breaks the amphora `computeId` (the VIP holder) the way `kind` says. */
export async function fail(lab: Lab, kind: FailureKind, computeId: string): Promise<void> {
  const ns = lab.compute.namespaceOf(computeId);
  const pids = await ipcmd.namespacePids(ns);
  if (kind === 'haproxy') killAll(pidsNamed(pids, /haproxy/));
  else if (kind === 'keepalived') killAll(pidsNamed(pids, /keepalived/));
  else if (kind === 'link') await ipcmd.setLink(lab.network.fabric, lab.network.portOf(ns)!, 'down');
  else if (kind === 'api') await api(lab, 'PUT', `/v2/octavia/amphorae/${computeId}/failover`);
  else if (kind === 'lb') {
    const lbId = (await api(lab, 'GET', `/v2/octavia/amphorae/${computeId}`)).amphora.loadbalancer_id;
    await api(lab, 'PUT', `/v2/lbaas/loadbalancers/${lbId}/failover`);
  }
  else {
    // The whole host: its agent and every amphora namespace it runs, at once, then the namespaces.
    const host = lab.compute.hostOf(computeId);
    const victims = [await ipcmd.namespacePids(`${host.name}`)];
    const amphorae = [...lab.compute.placedOn(host.managementIp)];
    for (const id of amphorae) victims.push(await ipcmd.namespacePids(lab.compute.namespaceOf(id)));
    killAll(victims.flat());
    for (const id of amphorae) await ipcmd.deleteNamespace(lab.compute.namespaceOf(id), 0);
    await ipcmd.deleteNamespace(host.name, 0);
  }
}

/** Whether every remote peer of the amphora's HAProxy has a live, established session. */
async function peersUp(lab: Lab, computeId: string): Promise<boolean> {
  const sock = lab.hosts.map((h) => join(h.stateDir, 'amphorae', computeId, 'conf', 'haproxy.sock')).find((p) => existsSync(p));
  if (!sock) return false;
  const text = await command(sock, 'show peers', { timeoutMs: 1000 }).catch(() => '');
  const remotes = text.split('\n').filter((l) => l.includes('(remote,'));
  return remotes.length > 0 && remotes.every((l) => l.includes('(remote,active)') && l.includes('last_status=ESTA'));
}

/**
 * Waits until the pair's HAProxy `peers` sessions have been up for `stableMs` on both sides:
 * a fresh pair drops and re-opens its first session once in its first ~2 s (seen with `show
 * peers`: both sides connect at once, one session is closed), and a failure inside that window
 * finds the survivor without the latest entries. Production load balancers are not failed in
 * their first seconds; the cases here are, so they start from a connected pair.
 */
export async function peersConnected(lab: Lab, computeIds: string[], stableMs = 1500, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let since = 0;
  while (Date.now() < deadline) {
    const up = (await Promise.all(computeIds.map((id) => peersUp(lab, id)))).every(Boolean);
    since = up ? since || Date.now() : 0;
    if (since && Date.now() - since >= stableMs) return;
    await sleep(100);
  }
  throw new Error(`HAProxy peers of ${computeIds.join(', ')} not connected within ${timeoutMs} ms`);
}

/** One case: a fresh HA load balancer, load, the failure at t0, load for `afterMs` more. */
export async function runCase(lab: Lab, flavorId: string, kind: FailureKind, afterMs = 2500, replace = false): Promise<CaseResult> {
  const { lb, amphorae } = await haStack(lab, flavorId);
  const ids = amphorae.map((a) => a.compute_id as string);
  const holders: string[] = await waitFor(async () => {
    const h = await vipHolders(lab, ids, lb.vip_address);
    return h.length === 1 ? h : undefined;
  }, 5000, 'one amphora holding the VIP') as string[];
  const holder = holders[0];
  await peersConnected(lab, ids);
  const load = lab.load({
    clients: [
      ...SOURCE_CLIENTS.map((a) => ({ url: `http://${lb.vip_address}/`, localAddress: a })),
      ...COOKIE_CLIENTS.map((a) => ({ url: `http://${lb.vip_address}:8080/`, localAddress: a, cookie: true })),
    ],
    timeoutMs: 200, durationMs: 60_000,
  });
  try {
    await load.ready;
  } catch (err) {
    await load.stop().catch(() => undefined);
    throw err;
  }
  await sleep(1000);
  const t0 = Date.now();
  await fail(lab, kind, holder);
  await sleep(afterMs);
  const holderAfter = await vipHolders(lab, ids, lb.vip_address);
  const keepalivedBack = !REPLACED.has(kind) && pidsNamed(await ipcmd.namespacePids(lab.compute.namespaceOf(holder)), /keepalived/).length > 0;
  let replacement: CaseResult['replacement'];
  let t1 = 0;
  let t2 = 0;
  if (replace) {
    // Host: no API call. The lost amphora's agent is gone, so its heartbeats stop; after
    // heartbeat_timeout the health role fails it over and the worker places a successor on
    // the third host while clients keep going (measured from the gap's end: the survivor
    // serves meanwhile, so a second interruption would show here). API: the worker removes
    // the old holder first (the VIP moves once) and places its successor.
    t1 = t0 + afterMs;
    const replaced = await waitFor(async () => {
      const lbNow = (await api(lab, 'GET', `/v2/lbaas/loadbalancers/${lb.id}`)).loadbalancer;
      if (lbNow.provisioning_status !== 'ACTIVE') return undefined;
      const list = (await api(lab, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).amphorae.filter((a: any) => a.status !== 'DELETED');
      const gone = kind === 'lb' ? ids : [holder];
      return list.length === 2 && !list.some((a: any) => gone.includes(a.compute_id)) ? list : undefined;
    }, 30_000, 'the health role replacing the lost amphora') as any[];
    const durationMs = Date.now() - t0;
    await sleep(1000);
    t2 = Date.now();
    replacement = { gapMs: 0, durationMs, amphorae: replaced, holder: await vipHolders(lab, replaced.map((a: any) => a.compute_id), lb.vip_address) };
  }
  const results = await load.stop();
  const r = summarize(kind, results, t0, afterMs, holder, holderAfter);
  if (replacement) replacement.gapMs = longestGap(results, t1, t2);
  return { ...r, before: ids, keepalivedBack, replacement };
}

function summarize(kind: FailureKind, results: ClientResult[], t0: number, afterMs: number, holderBefore: string, holderAfter: string[]): Omit<CaseResult, 'keepalivedBack' | 'before'> {
  const moved = results.filter((r) => new Set(r.members).size > 1).map((r) => `${r.localAddress}: ${[...new Set(r.members)].join('→')}`);
  const starved = results.filter((r) => r.ok === 0).map((r) => `${r.localAddress}: no success`);
  return {
    kind, gapMs: longestGap(results, t0 - 500, t0 + afterMs), moved: [...moved, ...starved],
    requests: results.reduce((n, r) => n + r.ok, 0), failed: results.reduce((n, r) => n + r.failed, 0),
    holderBefore, holderAfter,
  };
}
