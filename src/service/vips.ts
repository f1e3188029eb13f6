// VIPs of load balancers whose provider runs a real data plane: the request's
// vip_port_id / vip_network_id / vip_subnet_id are resolved against the network model as
// Octavia resolves them against Neutron (same order, same refusals), then an address is
// taken in the creating transaction — the requested one if it is in the subnet and free,
// else the lowest free one. Refusals that Neutron raises while allocating (address outside
// the subnet, address in use, subnet full) keep Neutron's status and words, as Octavia
// passes them through.
import { randomUUID } from 'node:crypto';
import { Errors } from '../domain/errors.ts';
import { ProvisioningStatus as PS } from '../domain/enums.ts';
import type { AdditionalVip, Subnet } from '../domain/entities.ts';
import type { Store } from '../store/store.ts';
import { canonicalAddress, nextFreeAddress, refuseAddress } from '../drivers/network/loopback.ts';

export interface VipRequest {
  vip_address?: string | null;
  vip_port_id?: string | null;
  vip_subnet_id?: string | null;
  vip_network_id?: string | null;
  additional_vips?: { subnet_id?: string; ip_address?: string | null }[];
}

/** A request whose subnets are known; the addresses are not taken yet. */
export interface ResolvedVip {
  networkId: string;
  subnet: Subnet;
  address: string | null;
  additional: { subnet: Subnet; address: string | null }[];
}

export interface VipPlacement {
  vip_address: string;
  vip_port_id: string;
  vip_subnet_id: string;
  vip_network_id: string;
  additional_vips: AdditionalVip[];
}

const subnetNotFound = (id: string) => Errors.invalidOption(`Subnet ${id} not found.`);

/** Checks the request against the network model and picks the subnet(s); writes nothing. */
export async function resolveVip(store: Store, req: VipRequest): Promise<ResolvedVip> {
  const subnets = await store.subnets();
  const byId = new Map(subnets.map((s) => [s.id, s]));
  if (req.vip_port_id) await refusePort(store, req.vip_port_id);
  let subnet: Subnet;
  if (req.vip_network_id) {
    const networkId = req.vip_network_id;
    if (!(await store.networks()).some((n) => n.id === networkId)) throw Errors.invalidOption(`Network ${networkId} not found.`);
    subnet = subnetInNetwork(subnets.filter((s) => s.network_id === networkId), req);
  } else {
    const found = byId.get(req.vip_subnet_id ?? '');
    if (!found) throw subnetNotFound(req.vip_subnet_id ?? '');
    subnet = found;
  }
  const additional = (req.additional_vips ?? []).map((v) => {
    const found = byId.get(v.subnet_id ?? '');
    if (!found) throw subnetNotFound(v.subnet_id ?? '');
    return { subnet: found, address: v.ip_address ?? null };
  });
  const used = [subnet.id, ...additional.map((a) => a.subnet.id)];
  if (new Set(used).size !== used.length) {
    throw Errors.validation('Duplicate VIP subnet(s) specified. Only one IP can be bound per subnet.');
  }
  if (additional.some((a) => a.subnet.network_id !== subnet.network_id)) {
    throw Errors.validation('All VIP subnets must belong to the same network.');
  }
  return { networkId: subnet.network_id, subnet, address: req.vip_address ?? null, additional };
}

/**
 * Fulcrum's ports are the VIP ports of live load balancers, so a port a client names is
 * either unknown or already used by its load balancer (Octavia refuses both).
 */
async function refusePort(store: Store, portId: string): Promise<never> {
  const [owner] = (await store.find('load_balancer', { vip_port_id: portId })).filter((lb) => lb.provisioning_status !== PS.DELETED);
  if (!owner) throw Errors.invalidOption(`Port ${portId} not found.`);
  throw Errors.validation(`Port ${portId} is already used by device lb-${owner.id}.`);
}

/** With a network: the named subnet must be in it, else the one holding the address, else the first IPv4 one. */
function subnetInNetwork(inNetwork: Subnet[], req: VipRequest): Subnet {
  if (req.vip_subnet_id) {
    const found = inNetwork.find((s) => s.id === req.vip_subnet_id);
    if (!found) throw subnetNotFound(req.vip_subnet_id);
    return found;
  }
  if (req.vip_address) {
    const found = inNetwork.find((s) => refuseAddress(s.cidr, null, req.vip_address!, new Set()) !== 'invalid');
    if (!found) throw Errors.validation('Supplied network does not contain a subnet for VIP address specified.');
    return found;
  }
  if (inNetwork.length === 0) throw Errors.validation('Supplied network does not contain a subnet.');
  return inNetwork.find((s) => s.ip_version === 4) ?? inNetwork[0];
}

/**
 * Takes the addresses inside the creating transaction. The network lock makes a parallel
 * create (another process, PostgreSQL) wait, so two load balancers never share an address.
 */
export async function allocateVip(tx: Store, vip: ResolvedVip): Promise<VipPlacement> {
  await tx.lockNetwork(vip.networkId);
  const taken = await addressesInUse(tx, vip.networkId);
  const take = (subnet: Subnet, requested: string | null): string => {
    const address = requested === null ? nextFreeAddress(subnet.cidr, subnet.gateway_ip, taken) : checked(subnet, requested, taken, vip.networkId);
    if (address === undefined) throw Errors.conflict(`No more IP addresses available on network ${vip.networkId}.`);
    taken.add(address);
    return address;
  };
  const vipAddress = take(vip.subnet, vip.address);
  return {
    vip_address: vipAddress,
    vip_port_id: randomUUID(),
    vip_subnet_id: vip.subnet.id,
    vip_network_id: vip.networkId,
    additional_vips: vip.additional.map((a) => ({ subnet_id: a.subnet.id, ip_address: take(a.subnet, a.address) })),
  };
}

function checked(subnet: Subnet, address: string, taken: Set<string>, networkId: string): string {
  const why = refuseAddress(subnet.cidr, subnet.gateway_ip, address, taken);
  if (why === 'invalid') throw Errors.invalidOption(`IP address ${address} is not a valid IP for the specified subnet.`);
  if (why === 'in-use') throw Errors.conflict(`Unable to complete operation for network ${networkId}. The IP address ${address} is in use.`);
  return canonicalAddress(address);
}

/** Addresses held by live load balancers on the network (VIPs and additional VIPs), canonically spelled. */
async function addressesInUse(tx: Store, networkId: string): Promise<Set<string>> {
  const lbs = (await tx.find('load_balancer', { vip_network_id: networkId })).filter((lb) => lb.provisioning_status !== PS.DELETED);
  const taken = new Set<string>();
  for (const lb of lbs) {
    if (lb.vip_address) taken.add(canonicalAddress(lb.vip_address));
    for (const extra of lb.additional_vips) if (extra.ip_address) taken.add(canonicalAddress(extra.ip_address));
  }
  return taken;
}
