// Listener bodies on the wire: what a POST and a PUT may carry, and what a response shows
// (Octavia's ListenerResponse plus v2.27's HSTS fields).
import { isIP } from 'node:net';
import { Invalid, isObject, t, required, withDefault } from '../schema.ts';
import type { Field } from '../schema.ts';
import { ALPN_PROTOCOLS, CLIENT_AUTH_MODES, LISTENER_PROTOCOLS } from '../../domain/enums.ts';
import { LISTENER_DEFAULTS as D, MAX_TIMEOUT, MIN_TIMEOUT } from '../../service/listeners.ts';
import type { ListenerView } from '../../service/listeners.ts';
import { formatTime } from '../wire.ts';

/** A secret reference. Until the secret store lands, any non-empty string of up to 255 characters. */
const ref = () => t.string({ min: 1, max: 255 });
const timeout = () => t.int({ min: MIN_TIMEOUT, max: MAX_TIMEOUT });

/** Header name → 'true' / 'false' (any case), the values the data plane understands. */
const insertHeaders = (): Field<Record<string, string>> => ({
  parse(v) {
    if (!isObject(v)) throw new Invalid(`Value not a valid dict: ${JSON.stringify(v)}`);
    for (const [name, value] of Object.entries(v)) {
      if (typeof value !== 'string') throw new Invalid(`Wrong type. Expected '{str: str}', got '${typeof value}' for ${name}`);
      if (!['true', 'false'].includes(value.toLowerCase())) throw new Invalid(`Value for ${name} should be 'true' or 'false'`);
    }
    return v as Record<string, string>;
  },
});

const alpnProtocol = (): Field<string> => ({
  parse(v) {
    if (typeof v !== 'string' || !(ALPN_PROTOCOLS as readonly string[]).includes(v)) {
      throw new Invalid('Value should be a valid ALPN protocol ID');
    }
    return v;
  },
});

/** An IPv4 or IPv6 network, normalised as Octavia stores it (host bits cleared, /32 or /128 when bare). */
const cidr = (): Field<string> => ({
  parse(v) {
    const normal = typeof v === 'string' ? normalCidr(v) : undefined;
    if (!normal) throw new Invalid('Value should be IPv4 or IPv6 CIDR format');
    return normal;
  },
});

/** Fields shared by a standalone POST and a listener inside a load balancer graph. */
export const listenerCreateFields = {
  name: t.string({ max: 255 }),
  description: t.string({ max: 255 }),
  // No default here: an explicit null means false (Octavia), absence means true (the service).
  admin_state_up: t.bool(),
  protocol: required(t.enum(LISTENER_PROTOCOLS)),
  protocol_port: required(t.int({ min: 1, max: 65535 })),
  connection_limit: withDefault(t.int({ min: -1 }), D.connection_limit),
  default_tls_container_ref: ref(),
  sni_container_refs: withDefault(t.array(ref(), { unique: true }), []),
  default_pool_id: t.uuid(),
  insert_headers: withDefault(insertHeaders(), {}),
  timeout_client_data: withDefault(timeout(), D.timeout_client_data),
  timeout_member_connect: withDefault(timeout(), D.timeout_member_connect),
  timeout_member_data: withDefault(timeout(), D.timeout_member_data),
  timeout_tcp_inspect: withDefault(timeout(), D.timeout_tcp_inspect),
  tags: withDefault(t.array(t.string({ max: 255 })), []),
  client_ca_tls_container_ref: ref(),
  client_authentication: withDefault(t.enum(CLIENT_AUTH_MODES), D.client_authentication),
  client_crl_container_ref: ref(),
  allowed_cidrs: t.array(cidr()),
  // TLS defaults depend on the protocol; the service fills them in.
  tls_ciphers: t.string({ max: 2048 }),
  tls_versions: t.array(t.string({ max: 32 })),
  alpn_protocols: t.array(alpnProtocol()),
  hsts_max_age: t.int({ min: 0, max: 2 ** 31 - 1 }),
  hsts_include_subdomains: withDefault(t.bool(), false),
  hsts_preload: withDefault(t.bool(), false),
};

export const listenerPostShape = {
  ...listenerCreateFields,
  loadbalancer_id: required(t.uuid()),
  // Accepted for compatibility and ignored: a listener belongs to its load balancer's project.
  project_id: t.string({ max: 36 }),
  tenant_id: t.string({ max: 36 }),
};

export const listenerPutShape = {
  name: t.string({ max: 255 }),
  description: t.string({ max: 255 }),
  admin_state_up: t.bool(),
  connection_limit: t.int({ min: -1 }),
  default_tls_container_ref: ref(),
  sni_container_refs: t.array(ref(), { unique: true }),
  default_pool_id: t.uuid(),
  insert_headers: insertHeaders(),
  timeout_client_data: timeout(),
  timeout_member_connect: timeout(),
  timeout_member_data: timeout(),
  timeout_tcp_inspect: timeout(),
  tags: t.array(t.string({ max: 255 })),
  client_ca_tls_container_ref: ref(),
  client_authentication: t.enum(CLIENT_AUTH_MODES),
  client_crl_container_ref: ref(),
  allowed_cidrs: t.array(cidr()),
  tls_ciphers: t.string({ max: 2048 }),
  tls_versions: t.array(t.string({ max: 32 })),
  alpn_protocols: t.array(alpnProtocol()),
  hsts_max_age: t.int({ min: 0, max: 2 ** 31 - 1 }),
  hsts_include_subdomains: t.bool(),
  hsts_preload: t.bool(),
};

export function listenerToWire({ listener: l, l7policyIds }: ListenerView) {
  return {
    id: l.id,
    name: l.name ?? '',
    description: l.description ?? '',
    provisioning_status: l.provisioning_status,
    operating_status: l.operating_status,
    admin_state_up: l.admin_state_up,
    protocol: l.protocol,
    protocol_port: l.protocol_port,
    connection_limit: l.connection_limit,
    default_tls_container_ref: l.default_tls_container_ref,
    sni_container_refs: l.sni_container_refs,
    project_id: l.project_id,
    tenant_id: l.project_id,
    default_pool_id: l.default_pool_id,
    l7policies: l7policyIds.map((id) => ({ id })),
    insert_headers: l.insert_headers,
    created_at: formatTime(l.created_at),
    updated_at: formatTime(l.updated_at),
    loadbalancers: [{ id: l.load_balancer_id }],
    timeout_client_data: l.timeout_client_data,
    timeout_member_connect: l.timeout_member_connect,
    timeout_member_data: l.timeout_member_data,
    timeout_tcp_inspect: l.timeout_tcp_inspect,
    tags: l.tags,
    client_ca_tls_container_ref: l.client_ca_tls_container_ref,
    client_authentication: l.client_authentication,
    client_crl_container_ref: l.client_crl_container_ref,
    // Octavia shows "not set" as null for these lists (an empty list is never stored for a TLS listener).
    allowed_cidrs: l.allowed_cidrs.length > 0 ? l.allowed_cidrs : null,
    tls_ciphers: l.tls_ciphers,
    tls_versions: l.tls_versions.length > 0 ? l.tls_versions : null,
    alpn_protocols: l.alpn_protocols.length > 0 ? l.alpn_protocols : null,
    hsts_max_age: l.hsts_max_age,
    hsts_include_subdomains: l.hsts_include_subdomains,
    hsts_preload: l.hsts_preload,
  };
}

/** Parses `addr[/len]` and answers the network in canonical form, or undefined when malformed. */
export function normalCidr(text: string): string | undefined {
  const parts = text.trim().split('/');
  if (parts.length > 2 || text.includes('%')) return undefined;
  const family = isIP(parts[0]);
  if (family === 0) return undefined;
  const bits = family === 4 ? 32 : 128;
  if (parts.length === 2 && !/^\d{1,3}$/.test(parts[1])) return undefined;
  const len = parts.length === 2 ? Number(parts[1]) : bits;
  if (len > bits) return undefined;
  if (family === 4) {
    const octets = parts[0].split('.').map(Number);
    const masked = octets.map((o, i) => o & maskBits(len - 8 * i, 8));
    return `${masked.join('.')}/${len}`;
  }
  const words = ipv6Words(parts[0]).map((w, i) => w & maskBits(len - 16 * i, 16));
  return `${formatIpv6(words)}/${len}`;
}

function maskBits(remaining: number, width: number): number {
  const n = Math.max(0, Math.min(width, remaining));
  return ((1 << width) - 1) ^ ((1 << (width - n)) - 1);
}

/** The eight 16-bit words of a valid IPv6 address (`::` and a dotted IPv4 tail expanded). */
function ipv6Words(addr: string): number[] {
  let text = addr.toLowerCase();
  const tail = text.slice(text.lastIndexOf(':') + 1);
  if (tail.includes('.')) {
    const o = tail.split('.').map(Number);
    text = `${text.slice(0, text.length - tail.length)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest === undefined ? [] : rest ? rest.split(':') : [];
  const fill = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((w) => parseInt(w, 16));
}

/** RFC 5952 text, as Python's ipaddress prints it: the longest run (of two or more) zero words becomes `::`. */
function formatIpv6(words: number[]): string {
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best.len < 2) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}
