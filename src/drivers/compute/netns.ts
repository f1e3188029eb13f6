// The netns compute driver: an amphora is a network namespace of its own on an amphora host
// (one `fulcrum agent` started with --netns-prefix, reached over its management address). The
// driver places amphorae on hosts (the two of an ACTIVE_STANDBY load balancer on different
// hosts), creates and plugs the amphora's namespace (eth0 on the VIP network, addressed with
// its vrrp_ip, non-local binds allowed so HAProxy binds a VIP keepalived may not hold yet), and
// deletes it with the amphora. HAProxy and keepalived inside are the agent's business.
import { AgentUnreachable } from '../../amphora/client.ts';
import type { AgentClient } from '../../amphora/client.ts';
import type { AgentInfo } from '../../amphora/protocol.ts';
import * as ipcmd from '../netns/ip.ts';
import type { NetnsNetwork } from '../network/netns.ts';
import type { AmphoraPlacement, Compute } from './compute.ts';

export interface NetnsHost {
  /** The host's name (its agent's --host). */
  name: string;
  /** The agent's management address (the amphora rows' lb_network_ip). */
  managementIp: string;
  client: AgentClient;
  certExpiration: string | null;
}

export interface NetnsComputeOptions {
  hosts: NetnsHost[];
  network: NetnsNetwork;
  /** The agents' --netns-prefix: an amphora's namespace is this + its id. */
  amphoraNetnsPrefix: string;
}

/** The interface each amphora has on its VIP network (vrrp_interface). */
export const VRRP_INTERFACE = 'eth0';
/** How long a host whose agent could not be reached is treated as down (no placements, no remove calls). */
const DOWN_MS = 30_000;

export class NetnsCompute implements Compute {
  readonly name = 'netns';
  private readonly placed = new Map<string, NetnsHost>();
  private readonly infos = new Map<string, Promise<AgentInfo>>();
  /** Hosts whose agent could not be reached, and when: a host kill fails over all its amphorae at once. */
  private readonly down = new Map<string, number>();

  constructor(private readonly opts: NetnsComputeOptions) {
    if (opts.hosts.length === 0) throw new Error('the netns compute driver needs at least one amphora host');
  }

  get hosts(): readonly NetnsHost[] {
    return this.opts.hosts;
  }

  /** The namespace amphora `computeId` lives in. */
  namespaceOf(computeId: string): string {
    return `${this.opts.amphoraNetnsPrefix}${computeId}`;
  }

  /**
   * The least-loaded host, avoiding the hosts named in `avoid` (anti-affinity: the other
   * amphora of the same load balancer) while any other host is left.
   */
  place(amphoraId: string, avoid: string[] = []): AmphoraPlacement {
    const load = (h: NetnsHost) => [...this.placed.values()].filter((p) => p === h).length;
    const allowed = this.opts.hosts.filter((h) => !avoid.includes(h.managementIp));
    // A host just found unreachable gets nothing new while another is left.
    const up = allowed.filter((h) => !this.isDown(h));
    const candidates = up.length > 0 ? up : allowed;
    if (candidates.length === 0) throw new Error(`no amphora host left apart from ${avoid.join(', ')} (anti-affinity)`);
    const host = [...candidates].sort((a, b) => load(a) - load(b))[0];
    this.placed.set(amphoraId, host);
    return { computeId: amphoraId, lbNetworkIp: host.managementIp, certExpiration: host.certExpiration };
  }

  private isDown(host: NetnsHost): boolean {
    const since = this.down.get(host.name);
    if (since === undefined) return false;
    if (Date.now() - since < DOWN_MS) return true;
    this.down.delete(host.name);
    return false;
  }

  /** Records where an amphora placed by an earlier process lives (its row's lb_network_ip). */
  remember(computeId: string, lbNetworkIp: string | null): void {
    if (this.placed.has(computeId)) return;
    const host = this.opts.hosts.find((h) => h.managementIp === lbNetworkIp);
    if (host) this.placed.set(computeId, host);
  }

  hostOf(computeId: string): NetnsHost {
    const host = this.placed.get(computeId);
    if (!host) throw new Error(`amphora ${computeId} is on no known amphora host`);
    return host;
  }

  /** The amphorae placed on the host with this management address. */
  placedOn(managementIp: string): string[] {
    return [...this.placed].filter(([, h]) => h.managementIp === managementIp).map(([id]) => id);
  }

  agentFor(computeId: string): AgentClient {
    return this.hostOf(computeId).client;
  }

  info(computeId: string): Promise<AgentInfo> {
    const host = this.hostOf(computeId);
    let info = this.infos.get(host.name);
    if (!info) {
      info = host.client.info();
      info.catch(() => this.infos.delete(host.name));
      this.infos.set(host.name, info);
    }
    return info;
  }

  /** Creates the amphora's namespace on `networkId` (subnet `cidr`) with address `vrrpIp`; a namespace that exists is kept. */
  async plug(computeId: string, networkId: string, cidr: string, vrrpIp: string): Promise<void> {
    const ns = this.namespaceOf(computeId);
    if ((await ipcmd.listNamespaces(ns)).includes(ns)) return;
    await this.opts.network.addNetwork(networkId, cidr);
    await ipcmd.addNamespace(ns);
    try {
      await ipcmd.sysctl(ns, 'net.ipv4.ip_nonlocal_bind', '1');
      await ipcmd.sysctl(ns, 'net.ipv6.ip_nonlocal_bind', '1');
      await this.opts.network.plug(ns, networkId, VRRP_INTERFACE, vrrpIp);
    } catch (err) {
      await ipcmd.deleteNamespace(ns);
      throw err;
    }
  }

  /**
   * Removes the amphora through its agent, then its namespace. An agent that cannot be reached
   * (its host died) does not keep the amphora alive: deleting the namespace kills what runs in
   * it, which is all there is of the amphora on this kernel.
   */
  async delete(computeId: string): Promise<void> {
    const host = this.placed.get(computeId);
    try {
      // One attempt, none for a host already found down: each would wait out a connect timeout.
      if (host && !this.isDown(host)) await host.client.remove(computeId, { retries: 0 });
    } catch (err) {
      if (!(err instanceof AgentUnreachable)) throw err;
      this.down.set(host!.name, Date.now());
    }
    await ipcmd.deleteNamespace(this.namespaceOf(computeId));
    this.placed.delete(computeId);
  }
}
