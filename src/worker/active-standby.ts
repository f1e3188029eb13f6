// ACTIVE_STANDBY amphorae (Octavia's topology): two amphora rows per load balancer, MASTER and
// BACKUP, on two different hosts (anti-affinity), each with its own address on the VIP network
// (vrrp_ip), the VIP as ha_ip, one VRRP router id per load balancer and priorities one apart.
// Ids are derived from the load balancer's and the role, so re-applies and racing workers
// agree. Failover (service/failover.ts: the health role or the failover API) marks the lost
// amphora PENDING_DELETE; the next apply finds its role empty and places a successor with a new
// id on a host other than the survivor's and the lost one's, then the driver retires the lost row.
import { createHash } from 'node:crypto';
import type { Amphora, LoadBalancer, Subnet } from '../domain/entities.ts';
import type { Store } from '../store/store.ts';
import { canonicalAddress, formatAddress, parseCidr, addressValue, inSubnet } from '../drivers/network/loopback.ts';
import type { Compute } from '../drivers/compute/compute.ts';
import type { AmphoraContext, VrrpContext } from '../render/index.ts';
import { renderKeepalived } from '../render/index.ts';

export type Role = 'MASTER' | 'BACKUP';
export const ROLES: Role[] = ['MASTER', 'BACKUP'];
/** One apart: a graceful handover waits almost no skew time (DESIGN.md: 250/249 → ~0.1 s). */
export const PRIORITY: Record<Role, number> = { MASTER: 250, BACKUP: 249 };
/** HAProxy `peers` port on the vrrp_ip (stick tables follow the VIP). */
export const PEER_PORT = 1025;
export const VRRP_INTERFACE = 'eth0';
/** keepalived's track file (relative to the amphora's config directory; see agent/keepalived.ts). */
export const TRACK_FILE = 'haproxy.down';
const GONE = new Set(['DELETED', 'PENDING_DELETE']);

/** A UUID derived from `seed`, shaped as version 4 so clients that validate ids accept it. */
export function derivedUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function amphoraIdFor(lbId: string, role: Role, incarnation = 0): string {
  return derivedUuid(`fulcrum-amphora:${lbId}:${role}${incarnation ? `:${incarnation}` : ''}`);
}

/** The VRRP router id of a load balancer: 1..255, stable. */
export function vrrpIdOf(lbId: string): number {
  return (createHash('sha256').update(`fulcrum-vrid:${lbId}`).digest()[0] % 255) + 1;
}

/** Compute drivers that give each amphora its own address on the VIP network (netns). */
export interface PluggingCompute extends Compute {
  place(amphoraId: string, avoid?: string[]): ReturnType<Compute['place']>;
  plug(computeId: string, networkId: string, cidr: string, vrrpIp: string): Promise<void>;
  remember?(computeId: string, lbNetworkIp: string | null): void;
}

export function isPlugging(c: Compute): c is PluggingCompute {
  return typeof (c as Partial<PluggingCompute>).plug === 'function';
}

/** The highest addresses of the subnet not used by a VIP or another amphora: VIPs grow from the bottom. */
async function freeVrrpIp(store: Store, subnet: Subnet, extra: Set<string>, preferred?: string): Promise<string> {
  const taken = new Set(extra);
  for (const lb of await store.find('load_balancer', {})) {
    if (lb.vip_address) taken.add(canonicalAddress(lb.vip_address));
  }
  for (const a of await store.find('amphora', {})) {
    // A PENDING_DELETE amphora may still hold its address (its removal can fail): only DELETED frees it.
    if (a.vrrp_ip && a.status !== 'DELETED') taken.add(canonicalAddress(a.vrrp_ip));
  }
  const c = parseCidr(subnet.cidr);
  if (!c) throw new Error(`subnet ${subnet.id}: ${subnet.cidr} is not a CIDR`);
  if (preferred && !taken.has(canonicalAddress(preferred)) && inSubnet(subnet.cidr, preferred) && preferred !== subnet.gateway_ip) {
    return canonicalAddress(preferred);
  }
  const bits = c.version === 4 ? 32 : 128;
  const last = c.network + (1n << BigInt(bits - c.prefix)) - (c.version === 4 ? 2n : 1n);
  const gateway = subnet.gateway_ip ? addressValue(subnet.gateway_ip)?.value : undefined;
  for (let v = last; v > c.network; v--) {
    const a = formatAddress(c.version, v);
    if (!taken.has(a) && v !== gateway) return a;
  }
  throw new Error(`subnet ${subnet.id} has no address left for an amphora`);
}

export interface Pair {
  master: Amphora;
  backup: Amphora;
  subnet: Subnet;
  /** One of the two is a retiring amphora standing in until its successor's turn (see ensurePair). */
  more: boolean;
}

/** The load balancer's two live amphorae, created (placed, plugged, rows inserted) when missing. */
export async function ensurePair(store: Store, compute: PluggingCompute, lb: LoadBalancer): Promise<Pair> {
  const subnet = (await store.subnets()).find((s) => s.id === lb.vip_subnet_id);
  if (!subnet || !lb.vip_address || !lb.vip_network_id) throw new Error(`load balancer ${lb.id} has no VIP subnet for ACTIVE_STANDBY`);
  const all = await store.find('amphora', { load_balancer_id: lb.id });
  const live = all.filter((a) => !GONE.has(a.status));
  const out: Partial<Record<Role, Amphora>> = {};
  // Both retiring (a load balancer failover): one at a time, BACKUP first as Octavia does, so
  // the other keeps serving the VIP while the first successor joins; the caller applies this
  // pair and asks again for the second. Replacing both at once took the VIP down.
  const retiring = (role: Role) => all.find((a) => a.role === role && a.status === 'PENDING_DELETE');
  const standIn = !live.some((a) => a.role === 'MASTER') && !live.some((a) => a.role === 'BACKUP') ? retiring('MASTER') : undefined;
  if (standIn && retiring('BACKUP')) out.MASTER = standIn;
  for (const role of ROLES) {
    let row = out[role] ?? live.find((a) => a.role === role);
    if (!row) {
      const sibling = live.find((a) => a.role !== role) ?? out[role === 'MASTER' ? 'BACKUP' : 'MASTER'];
      // A replacement (failover) gets a new id and stays off the hosts earlier amphorae died on.
      const earlier = all.filter((a) => a.role === role);
      const lostHosts = earlier.map((a) => a.lb_network_ip).filter((h): h is string => !!h);
      const reuse = await vacate(store, compute, earlier);
      row = await createAmphora(store, compute, lb, subnet, role, amphoraIdFor(lb.id, role, earlier.length), sibling, lostHosts, reuse);
      live.push(row);
    }
    compute.remember?.(row.compute_id ?? row.id, row.lb_network_ip);
    await compute.plug(row.compute_id ?? row.id, lb.vip_network_id, subnet.cidr, row.vrrp_ip!);
    out[role] = row;
  }
  return { master: out.MASTER!, backup: out.BACKUP!, subnet, more: out.MASTER!.status === 'PENDING_DELETE' };
}

/** Places one amphora of `role` away from `sibling`'s host and records its row (ALLOCATED). */
export async function createAmphora(
  store: Store, compute: PluggingCompute, lb: LoadBalancer, subnet: Subnet, role: Role, id: string, sibling?: Amphora,
  /** Hosts to stay off when another is left (where earlier amphorae of this role were lost). */
  lostHosts: string[] = [],
  /** The address to take when free (a replacement: its predecessor's, see vacate). */
  preferredIp?: string,
): Promise<Amphora> {
  const apart = sibling?.lb_network_ip ? [sibling.lb_network_ip] : [];
  let placement: ReturnType<PluggingCompute['place']>;
  try {
    placement = compute.place(id, [...apart, ...lostHosts]);
  } catch {
    placement = compute.place(id, apart);
  }
  const vrrpIp = await freeVrrpIp(store, subnet, new Set(sibling?.vrrp_ip ? [sibling.vrrp_ip] : []), preferredIp);
  const row: Amphora = {
    id, load_balancer_id: lb.id, compute_id: placement.computeId, lb_network_ip: placement.lbNetworkIp,
    vrrp_ip: vrrpIp, ha_ip: lb.vip_address, vrrp_port_id: derivedUuid(`fulcrum-vrrp-port:${id}`), ha_port_id: lb.vip_port_id,
    cert_expiration: placement.certExpiration, cert_busy: false, role, status: 'ALLOCATED',
    vrrp_interface: VRRP_INTERFACE, vrrp_id: vrrpIdOf(lb.id), vrrp_priority: PRIORITY[role], cached_zone: lb.availability_zone,
    image_id: null, compute_flavor: null, created_at: new Date().toISOString(), updated_at: null,
  };
  try {
    await store.insert('amphora', row);
  } catch (err) {
    const raced = await store.get('amphora', id);
    if (raced) return raced;
    throw err;
  }
  return row;
}

/**
 * Makes room for a replacement in its predecessor's place: the newest earlier amphora of the
 * role is removed (its namespace, if any is left, goes now rather than after the successor
 * serves) and its vrrp_ip is answered, for the successor to take. With the same address, the
 * same peer name (peerName) and the same MAC (the netns network derives it from the address),
 * the survivor's haproxy.cfg and keepalived.conf stay byte-identical and its neighbour entry
 * stays right: it is neither reloaded nor cut off from its new peer while it holds the VIP.
 * A predecessor that cannot be removed yet keeps its address (undefined: take a fresh one).
 */
async function vacate(store: Store, compute: PluggingCompute, earlier: Amphora[]): Promise<string | undefined> {
  const predecessor = [...earlier].filter((a) => a.vrrp_ip).sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0];
  if (!predecessor || !GONE.has(predecessor.status)) return undefined;
  if (predecessor.status === 'PENDING_DELETE') {
    try {
      compute.remember?.(predecessor.compute_id ?? predecessor.id, predecessor.lb_network_ip);
      await compute.delete(predecessor.compute_id ?? predecessor.id);
    } catch {
      return undefined;
    }
    await store.update('amphora', predecessor.id, { status: 'DELETED', updated_at: new Date().toISOString() });
  }
  return predecessor.vrrp_ip!;
}

/**
 * HAProxy peer name of an amphora: its role, not its id, so a replacement (new id, same role,
 * same vrrp_ip) leaves the survivor's haproxy.cfg byte-identical. A reload of the VIP holder
 * would lose persistence: its new worker serves at once, before the old one has taught it the
 * stick tables, so clients are balanced afresh and their new member is stored and pushed.
 */
export function peerName(a: Amphora): string {
  return a.role === 'BACKUP' ? 'backup' : 'master';
}

/** What the renderer needs for one amphora of the pair: HAProxy peers and the VRRP instance. */
export function pairContext(pair: Pair, self: Amphora, lb: LoadBalancer): { peers: NonNullable<AmphoraContext['peers']>; vrrp: VrrpContext } {
  const both = [pair.master, pair.backup];
  return {
    peers: { localName: peerName(self), port: PEER_PORT, peers: both.map((a) => ({ name: peerName(a), address: a.vrrp_ip! })) },
    vrrp: {
      routerId: self.id, interface: self.vrrp_interface ?? VRRP_INTERFACE, vrid: self.vrrp_id ?? vrrpIdOf(lb.id),
      priority: self.vrrp_priority ?? PRIORITY[self.role as Role], sourceIp: self.vrrp_ip!,
      peers: both.filter((a) => a.id !== self.id).map((a) => a.vrrp_ip!), vipPrefix: parseCidr(pair.subnet.cidr)!.prefix,
      trackFile: TRACK_FILE,
    },
  };
}

/** keepalived.conf for one amphora of the pair, as a bundle file. */
export function keepalivedFile(lb: LoadBalancer, vrrp: VrrpContext) {
  const vips = [lb.vip_address!, ...lb.additional_vips.map((v) => v.ip_address).filter((a): a is string => !!a)];
  return { path: 'keepalived.conf', content: renderKeepalived(vips, vrrp), mode: 0o640 };
}
