// A pool as one listener uses it → one backend: algorithm, persistence, health check,
// listener-side headers and timeouts, and a server per member.
import type { HealthMonitor, Listener, Member, Pool } from '../domain/entities.ts';
import type { AmphoraContext } from './context.ts';
import { DEFAULTS, certPaths } from './context.ts';
import { RenderError, checkPort, hostPort, ipAddress, safeName } from './escape.ts';
import type {
  BackendIR, HeadersIR, HealthCheckIR, HttpCheckIR, PersistenceIR, ProxyMode, ServerIR, ServerTlsIR,
} from './ir.ts';
import type { LiveGraph } from './live.ts';
import { LISTENER_MODE, TIMEOUT_MEMBER_CONNECT, TIMEOUT_MEMBER_DATA, disabledTlsVersions } from './octavia.ts';

export function backendName(pool: Pool, listener: Listener): string {
  return `${safeName(pool.id, 'pool')}:${safeName(listener.id, 'listener')}`;
}

function modeOf(pool: Pool, listener: Listener): ProxyMode {
  const listenerMode = LISTENER_MODE[listener.protocol] ?? 'tcp';
  if (pool.protocol === 'PROXY' || pool.protocol === 'PROXYV2') return listenerMode;
  const mode: ProxyMode = pool.protocol === 'HTTP' ? 'http' : 'tcp';
  // HAProxy may hand a TCP connection to an HTTP backend, not an HTTP stream to a TCP one.
  if (listenerMode === 'http' && mode === 'tcp') {
    throw new RenderError(`pool ${pool.id} (${pool.protocol}) cannot serve listener ${listener.id} (${listener.protocol})`);
  }
  return mode;
}

/** Octavia's algorithms; SOURCE_IP_PORT is served here although Octavia's amphora driver refuses it. */
const BALANCE: Record<string, BackendIR['balance']> = {
  ROUND_ROBIN: 'roundrobin', LEAST_CONNECTIONS: 'leastconn', SOURCE_IP: 'source', SOURCE_IP_PORT: 'source-ip-port',
};

export function toBackend(g: LiveGraph, listener: Listener, pool: Pool, amphora: AmphoraContext, peers: string | null): BackendIR {
  const mode = modeOf(pool, listener);
  const notes: string[] = [];
  const monitor = g.monitorOf(pool.id);
  const check = monitor?.admin_state_up ? toCheck(monitor, amphora, notes) : null;
  const persistence = toPersistence(pool, mode, amphora, peers, notes);
  const balance = BALANCE[pool.lb_algorithm] ?? 'roundrobin';
  return {
    name: backendName(pool, listener),
    poolId: pool.id,
    listenerId: listener.id,
    mode,
    balance,
    hashType: balance === 'source' || balance === 'source-ip-port' ? 'consistent' : null,
    persistence,
    check,
    headers: mode === 'http' ? headersOf(listener) : { forwardedFor: false, forwardedPort: false, forwardedProto: null, ssl: [] },
    timeoutConnect: listener.timeout_member_connect || TIMEOUT_MEMBER_CONNECT,
    timeoutServer: listener.timeout_member_data || TIMEOUT_MEMBER_DATA,
    servers: toServers(g.membersOf(pool.id), pool, listener, amphora, check, persistence),
    notes,
  };
}

function toPersistence(pool: Pool, mode: ProxyMode, amphora: AmphoraContext, peers: string | null, notes: string[]): PersistenceIR | null {
  const sp = pool.session_persistence;
  if (!sp) return null;
  const tableSize = amphora.stickTableSize ?? DEFAULTS.stickTableSize;
  if (sp.type === 'SOURCE_IP') return { kind: 'source-ip', tableSize, peers };
  if (mode !== 'http') {
    notes.push(`${sp.type} persistence needs HTTP; this backend runs in TCP mode`);
    return null;
  }
  if (sp.type === 'HTTP_COOKIE') return { kind: 'http-cookie' };
  if (!sp.cookie_name) {
    notes.push('APP_COOKIE persistence has no cookie name');
    return null;
  }
  return { kind: 'app-cookie', cookie: sp.cookie_name, tableSize, peers };
}

function headersOf(listener: Listener): HeadersIR {
  const on = (name: string) => String(listener.insert_headers?.[name] ?? '').toLowerCase() === 'true';
  const terminated = listener.protocol === 'TERMINATED_HTTPS';
  return {
    forwardedFor: on('X-Forwarded-For'),
    forwardedPort: on('X-Forwarded-Port'),
    forwardedProto: on('X-Forwarded-Proto') ? (terminated ? 'https' : 'http') : null,
    ssl: terminated ? SSL_HEADERS.filter(on) : [],
  };
}

const SSL_HEADERS = [
  'X-SSL-Client-Verify', 'X-SSL-Client-Has-Cert', 'X-SSL-Client-DN', 'X-SSL-Client-CN',
  'X-SSL-Issuer', 'X-SSL-Client-SHA1', 'X-SSL-Client-Not-Before', 'X-SSL-Client-Not-After',
];

function toCheck(hm: HealthMonitor, amphora: AmphoraContext, notes: string[]): HealthCheckIR {
  const base = {
    interval: hm.delay, timeout: hm.timeout, rise: hm.max_retries, fall: hm.max_retries_down,
    ssl: false, http: null, command: null,
  };
  switch (hm.type) {
    case 'HTTP':
    case 'HTTPS':
      return { ...base, kind: 'http', ssl: hm.type === 'HTTPS', http: httpCheck(hm) };
    case 'TLS-HELLO':
      return { ...base, kind: 'tls-hello' };
    case 'PING':
      if (amphora.pingCommand) return { ...base, kind: 'external', command: amphora.pingCommand };
      notes.push('PING monitor checked by TCP connect: HAProxy forks an external ping only with insecure-fork-wanted');
      return { ...base, kind: 'tcp' };
    default:
      return { ...base, kind: 'tcp' };
  }
}

function httpCheck(hm: HealthMonitor): HttpCheckIR {
  const version = hm.http_version === 1.1 ? 'HTTP/1.1' : hm.http_version === 1.0 ? 'HTTP/1.0' : null;
  return {
    method: hm.http_method ?? 'GET',
    path: hm.url_path ?? '/',
    version,
    // Octavia sends the domain name only with HTTP/1.1, where Host is mandatory.
    host: version === 'HTTP/1.1' ? hm.domain_name : null,
    expectStatus: expectedCodes(hm.expected_codes ?? '200', hm.id),
  };
}

/** Octavia's expected_codes ("200", "200-204", "200, 202") as HAProxy's status list. */
export function expectedCodes(codes: string, monitorId: string): string {
  const parts = codes.split(/,\s*/).filter((p) => p !== '');
  if (parts.length === 0 || !parts.every((p) => /^\d{3}(-\d{3})?$/.test(p))) {
    throw new RenderError(`health monitor ${monitorId}: expected_codes ${JSON.stringify(codes)} is not a list of codes`);
  }
  return parts.join(',');
}

function toServers(
  members: Member[], pool: Pool, listener: Listener, amphora: AmphoraContext,
  check: HealthCheckIR | null, persistence: PersistenceIR | null,
): ServerIR[] {
  const ids = serverIds(members);
  const tls = pool.tls_enabled ? serverTls(pool, amphora) : null;
  const proxy = pool.protocol === 'PROXY' ? 'v1'
    : pool.protocol === 'PROXYV2' ? (listener.protocol === 'TERMINATED_HTTPS' ? 'v2-ssl-cn' : 'v2') : null;
  return members.map((m) => {
    hostPort(m.address, m.protocol_port, 'member');
    return {
      name: safeName(m.id, 'member'),
      id: ids.get(m.id)!,
      address: m.address,
      port: m.protocol_port,
      weight: m.weight,
      backup: m.backup,
      disabled: !m.admin_state_up || !pool.admin_state_up,
      check: check !== null,
      checkAddress: check && m.monitor_address ? ipAddress(m.monitor_address, 'monitor') : null,
      checkPort: check && m.monitor_port ? checkPort(m.monitor_port, 'monitor') : null,
      cookie: persistence?.kind === 'http-cookie' ? m.id : null,
      proxyProtocol: proxy,
      tls,
    };
  });
}

function serverTls(pool: Pool, amphora: AmphoraContext): ServerTlsIR {
  const dir = amphora.paths.certDir;
  const ca = pool.ca_tls_container_ref ? certPaths.poolCa(dir, pool.id) : null;
  return {
    verify: ca ? 'required' : 'none',
    ca,
    crl: ca && pool.crl_container_ref ? certPaths.poolCrl(dir, pool.id) : null,
    clientCert: pool.tls_container_ref ? certPaths.poolClientCert(dir, pool.id) : null,
    ciphers: pool.tls_ciphers,
    disabledVersions: disabledTlsVersions(pool.tls_versions),
    alpn: pool.alpn_protocols ?? [],
  };
}

/**
 * HAProxy numbers servers in file order unless told otherwise, and `hash-type consistent`
 * places servers on its ring by that number: deleting one member would renumber the rest at
 * the next reload and move their clients. A number derived from the member id does not move.
 * Collisions (rare) take the next free number, in the members' stable order.
 */
function serverIds(members: Member[]): Map<string, number> {
  const taken = new Set<number>();
  const ids = new Map<string, number>();
  for (const m of members) {
    let id = (fnv1a(m.id) % 0x7ffffffe) + 1;
    while (taken.has(id)) id = (id % 0x7ffffffe) + 1;
    taken.add(id);
    ids.set(m.id, id);
  }
  return ids;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
