// The netns network driver: each network of the API is a Linux bridge in one "fabric"
// namespace, and an amphora (or a test's client or member) joins a network through a veth
// whose far end is a port of that bridge. Addresses come from the network's subnet; nothing is
// routed or NATed, and nothing lives in the initial namespace. All `ip` calls go through
// ../netns/ip.ts; every name starts with the deployment's prefix so cleanup finds them.
import { createHash } from 'node:crypto';
import * as ipcmd from '../netns/ip.ts';
import { parseCidr } from './loopback.ts';

export interface NetnsNetworkOptions {
  /** Names of everything this driver creates start with it, e.g. "fu-3a1c" (at most 8 characters). */
  prefix: string;
}

export class NetnsNetwork {
  readonly fabric: string;
  private readonly bridges = new Map<string, { bridge: string; cidr: string }>();
  private ports = 0;
  /** The bridge port of each plugged namespace (cut it to cut the link). */
  private readonly portsOf = new Map<string, string>();

  constructor(private readonly opts: NetnsNetworkOptions) {
    if (!opts.prefix.startsWith(ipcmd.PREFIX) || opts.prefix.length > 8) {
      throw new ipcmd.IpError(`netns prefix ${opts.prefix} must start with ${ipcmd.PREFIX} and have at most 8 characters`);
    }
    this.fabric = `${opts.prefix}-net`;
  }

  get prefix(): string {
    return this.opts.prefix;
  }

  /** Creates the fabric namespace that holds every bridge. */
  async start(): Promise<void> {
    await ipcmd.addNamespace(this.fabric);
  }

  /** Maps the API network `networkId` (subnet `cidr`) to a new bridge. */
  async addNetwork(networkId: string, cidr: string): Promise<string> {
    const known = this.bridges.get(networkId);
    if (known) return known.bridge;
    if (!parseCidr(cidr)) throw new ipcmd.IpError(`network ${networkId}: ${cidr} is not a CIDR`);
    const bridge = `${this.opts.prefix}b${this.bridges.size}`;
    await ipcmd.addBridge(this.fabric, bridge);
    this.bridges.set(networkId, { bridge, cidr });
    return bridge;
  }

  /** The prefix length of the network's subnet (the VIP's netmask in keepalived.conf). */
  prefixLength(networkId: string): number {
    const net = this.bridges.get(networkId);
    if (!net) throw new ipcmd.IpError(`network ${networkId} has no bridge on this host`);
    return parseCidr(net.cidr)!.prefix;
  }

  has(networkId: string): boolean {
    return this.bridges.has(networkId);
  }

  /** Gives namespace `ns` the interface `ifname` on network `networkId`, with `address` (no prefix). */
  async plug(ns: string, networkId: string, ifname: string, address: string): Promise<void> {
    const net = this.bridges.get(networkId);
    if (!net) throw new ipcmd.IpError(`network ${networkId} has no bridge on this host`);
    const port = `${this.opts.prefix}p${this.ports++}`;
    await ipcmd.plugIntoBridge({
      ns, ifname, address: `${address}/${parseCidr(net.cidr)!.prefix}`, mac: macFor(networkId, address), bridgeNs: this.fabric, bridge: net.bridge, port,
    });
    this.portsOf.set(ns, port);
  }

  /** The bridge port namespace `ns` was plugged through (the "switch port" of its link). */
  portOf(ns: string): string | undefined {
    return this.portsOf.get(ns);
  }

  /** Removes the fabric (every bridge and port with it) and anything else named with the prefix. */
  async close(): Promise<void> {
    await ipcmd.cleanup(this.opts.prefix);
    this.bridges.clear();
  }
}

/**
 * The MAC of the interface that holds `address` on `networkId`: derived from both, so whatever
 * takes an address over later (a replacement amphora in its predecessor's place) answers to the
 * MAC its neighbours have cached. With a random one, the survivor of a failover kept sending its
 * VRRP adverts and peer updates to the dead interface's MAC until its neighbour entry expired
 * (15–45 s), long enough for the newcomer to hear nothing and claim the VIP too.
 */
export function macFor(networkId: string, address: string): string {
  const h = createHash('sha256').update(`${networkId}/${address}`).digest();
  // Locally administered (bit 1), unicast (bit 0 clear).
  const bytes = [(h[0] & 0xfc) | 0x02, ...h.subarray(1, 6)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
