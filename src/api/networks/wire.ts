// Neutron's wire format for the networks, subnets and ports Fulcrum knows: the fields
// Neutron clients read when they resolve names and ids. Every network is shared and never
// external; VIP ports look as Octavia's VIP ports do in Neutron (down, owned by Octavia).
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { LoadBalancer, Network, Subnet } from '../../domain/entities.ts';

/** Neutron prints times in UTC with a Z and no fractions. */
function neutronTime(iso: string | null): string | null {
  return iso ? `${iso.slice(0, 19)}Z` : null;
}

export function networkToWire(n: Network, subnets: Subnet[]) {
  return {
    id: n.id,
    name: n.name,
    tenant_id: n.project_id,
    project_id: n.project_id,
    admin_state_up: true,
    status: 'ACTIVE',
    subnets: subnets.filter((s) => s.network_id === n.id).map((s) => s.id),
    shared: true,
    'router:external': false,
    mtu: 1500,
    port_security_enabled: true,
    availability_zone_hints: [],
    availability_zones: [],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    description: '',
    tags: [],
    created_at: neutronTime(n.created_at),
    updated_at: neutronTime(n.created_at),
    revision_number: 1,
  };
}

export function subnetToWire(s: Subnet) {
  return {
    id: s.id,
    name: s.name,
    tenant_id: s.project_id,
    project_id: s.project_id,
    network_id: s.network_id,
    ip_version: s.ip_version,
    cidr: s.cidr,
    gateway_ip: s.gateway_ip,
    allocation_pools: allocationPools(s.cidr, s.gateway_ip),
    enable_dhcp: false,
    dns_nameservers: [],
    host_routes: [],
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    subnetpool_id: null,
    service_types: [],
    description: '',
    tags: [],
    created_at: neutronTime(s.created_at),
    updated_at: neutronTime(s.created_at),
    revision_number: 1,
  };
}

/** A load balancer's VIP port; additional VIPs are further fixed IPs on the same port, as in Octavia. */
export function vipPortToWire(lb: LoadBalancer) {
  const fixedIps = [{ subnet_id: lb.vip_subnet_id, ip_address: lb.vip_address }];
  for (const extra of lb.additional_vips) fixedIps.push({ subnet_id: extra.subnet_id, ip_address: extra.ip_address });
  return {
    id: lb.vip_port_id,
    name: `octavia-lb-${lb.id}`,
    network_id: lb.vip_network_id,
    tenant_id: lb.project_id,
    project_id: lb.project_id,
    mac_address: macAddress(lb.vip_port_id ?? lb.id),
    admin_state_up: false,
    status: 'DOWN',
    device_owner: 'Octavia',
    device_id: `lb-${lb.id}`,
    fixed_ips: fixedIps,
    security_groups: [],
    allowed_address_pairs: [],
    port_security_enabled: true,
    description: '',
    tags: [],
    created_at: neutronTime(lb.created_at),
    updated_at: neutronTime(lb.updated_at ?? lb.created_at),
    revision_number: 1,
  };
}

/** A stable locally-administered MAC (OpenStack's fa:16:3e prefix) derived from the port id. */
function macAddress(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  return ['fa', '16', '3e', ...[0, 1, 2].map((i) => h[i].toString(16).padStart(2, '0'))].join(':');
}

/** Neutron's default pools: every host address of the CIDR except the gateway (and IPv4's network and broadcast). */
export function allocationPools(cidr: string, gateway: string | null): { start: string; end: string }[] {
  const [addr, lenText] = cidr.split('/');
  const v6 = isIP(addr) === 6;
  const bits = v6 ? 128 : 32;
  const len = BigInt(Number(lenText));
  const size = 1n << (BigInt(bits) - len);
  const base = (toBig(addr) >> (BigInt(bits) - len)) << (BigInt(bits) - len);
  let first = base + 1n;
  let last = v6 ? base + size - 1n : base + size - 2n;
  if (size <= 2n) [first, last] = [base, base + size - 1n];
  const gw = gateway ? toBig(gateway) : -1n;
  const pools: [bigint, bigint][] = [];
  if (gw < first || gw > last) pools.push([first, last]);
  else {
    if (gw > first) pools.push([first, gw - 1n]);
    if (gw < last) pools.push([gw + 1n, last]);
  }
  return pools.map(([s, e]) => ({ start: fromBig(s, v6), end: fromBig(e, v6) }));
}

function toBig(ip: string): bigint {
  if (isIP(ip) === 4) return ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
  const [head, tail] = ip.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  // `::` stands for as many zero groups as the address lacks.
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return all.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}

function fromBig(n: bigint, v6: boolean): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  // Compress the longest run of two or more zero groups, as RFC 5952 asks.
  let best = [-1, 0];
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best[1]) best = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best[1] < 2) return hex.join(':');
  return `${hex.slice(0, best[0]).join(':')}::${hex.slice(best[0] + best[1]).join(':')}`;
}
