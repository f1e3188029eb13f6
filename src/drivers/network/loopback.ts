// The loopback network driver: VIPs are addresses of a subnet that is local to this host, so
// HAProxy binds them without any interface set-up. On Linux all of 127.0.0.0/8 is local
// (the `lo` route covers it), which is why the default subnet 127.42.0.0/16 needs nothing
// but address bookkeeping: this file is that bookkeeping, pure arithmetic over a CIDR.
import { isIP } from 'node:net';

/** A parsed subnet: the first address and the prefix length, as big integers. */
export interface Cidr {
  version: 4 | 6;
  network: bigint;
  prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

/** The address as an integer, or undefined when it is not an IPv4/IPv6 literal. */
export function addressValue(address: string): { version: 4 | 6; value: bigint } | undefined {
  const version = isIP(address);
  if (version === 4) {
    return { version, value: address.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n) };
  }
  if (version !== 6) return undefined;
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = addressValue(v4[1])!.value;
    text = `${text.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return { version, value: groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n) };
}

/** The integer back as an address in its canonical spelling (RFC 5952 for IPv6). */
export function formatAddress(version: 4 | 6, value: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((s) => Number((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // The longest run (of two or more) of zero groups collapses to "::", the first one on a tie.
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** The canonical spelling of an address literal (so two spellings of one address compare equal). */
export function canonicalAddress(address: string): string {
  const parsed = addressValue(address);
  return parsed ? formatAddress(parsed.version, parsed.value) : address;
}

export function parseCidr(cidr: string): Cidr | undefined {
  const [address, prefixText, extra] = cidr.split('/');
  const parsed = addressValue(address);
  if (!parsed || extra !== undefined || !/^\d{1,3}$/.test(prefixText ?? '')) return undefined;
  const prefix = Number(prefixText);
  const bits = BITS[parsed.version];
  if (prefix > bits) return undefined;
  const hostBits = BigInt(bits - prefix);
  return { version: parsed.version, network: (parsed.value >> hostBits) << hostBits, prefix };
}

function size(c: Cidr): bigint {
  return 1n << BigInt(BITS[c.version] - c.prefix);
}

/** Whether `address` lies in `cidr` (same IP version, inside the prefix). */
export function inSubnet(cidr: string, address: string): boolean {
  const c = parseCidr(cidr);
  const a = addressValue(address);
  return !!c && !!a && a.version === c.version && a.value >= c.network && a.value < c.network + size(c);
}

/**
 * Addresses of the subnet outside Neutron's allocation pools: the network address and, for
 * IPv4, the broadcast address (a /31 or /32 has neither, RFC 3021).
 */
function unallocatable(c: Cidr): Set<string> {
  if (c.version === 4 && c.prefix >= 31) return new Set();
  const out = new Set([formatAddress(c.version, c.network)]);
  if (c.version === 4) out.add(formatAddress(4, c.network + size(c) - 1n));
  return out;
}

/** Why a requested VIP address cannot be used in the subnet, or undefined when it can. */
export function refuseAddress(cidr: string, gatewayIp: string | null, address: string, taken: Set<string>): 'invalid' | 'in-use' | undefined {
  const c = parseCidr(cidr);
  if (!c || !inSubnet(cidr, address)) return 'invalid';
  const canonical = canonicalAddress(address);
  if (unallocatable(c).has(canonical)) return 'invalid';
  // The gateway is a port of its own, so Neutron answers that it is in use.
  if (gatewayIp && canonical === canonicalAddress(gatewayIp)) return 'in-use';
  return taken.has(canonical) ? 'in-use' : undefined;
}

/**
 * The lowest address of the subnet that is neither reserved nor `taken` (canonical
 * spellings), or undefined when the subnet is full. Lowest-first keeps VIPs predictable
 * and reuses freed addresses.
 */
export function nextFreeAddress(cidr: string, gatewayIp: string | null, taken: Set<string>): string | undefined {
  const c = parseCidr(cidr);
  if (!c) return undefined;
  const skip = unallocatable(c);
  if (gatewayIp) skip.add(canonicalAddress(gatewayIp));
  const end = c.network + size(c);
  // Bounded by the number of addresses in use: each step skips one reserved or taken address.
  for (let value = c.network; value < end; value++) {
    const address = formatAddress(c.version, value);
    if (!skip.has(address) && !taken.has(address)) return address;
  }
  return undefined;
}
