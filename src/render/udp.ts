// Graph → the UDP engine's configuration (`udp.json` in the bundle). HAProxy carries no UDP
// and this host has no IPVS, so UDP listeners are served by the agent's own datagram engine
// (src/amphora/agent/udp.ts; why, and its figures: docs/udp.md). This is what Octavia's
// keepalived/LVS template decides, as plain data: per UDP listener its VIP binds, its
// default pool's algorithm, SOURCE_IP persistence, health check and members.
import type { HealthMonitor, Listener, LoadBalancerGraph, Member, Pool } from '../domain/entities.ts';
import type { AmphoraContext } from './context.ts';
import { RenderError, checkPort, hostPort, ipAddress, safeName } from './escape.ts';
import { live } from './live.ts';
import { expectedCodes } from './translate-pool.ts';

export const UDP_CONFIG_FILE = 'udp.json';

export interface UdpConfig {
  listeners: UdpListenerConfig[];
}

export interface UdpListenerConfig {
  /** The listener id. */
  id: string;
  /** False when the listener or its load balancer is disabled: nothing is bound. */
  enabled: boolean;
  binds: { address: string; port: number }[];
  pool: UdpPoolConfig | null;
}

export interface UdpPoolConfig {
  /** `<pool id>:<listener id>`, as HAProxy backends are named, so statistics read alike. */
  name: string;
  poolId: string;
  algorithm: 'roundrobin' | 'leastconn' | 'source';
  /** SOURCE_IP persistence: a client address (masked by `granularity`) stays on its member. */
  persistence: { timeoutSeconds: number; granularity: string | null } | null;
  /** A client's flow (its upstream socket) is closed after this long without a datagram. */
  idleSeconds: number;
  check: UdpCheckConfig | null;
  members: UdpMemberConfig[];
}

export interface UdpCheckConfig {
  kind: 'udp-connect' | 'tcp' | 'http';
  /** Seconds, as Octavia's delay and timeout; rise = max_retries, fall = max_retries_down. */
  interval: number;
  timeout: number;
  rise: number;
  fall: number;
  http: { method: string; path: string; expectStatus: string } | null;
}

export interface UdpMemberConfig {
  id: string;
  address: string;
  port: number;
  weight: number;
  backup: boolean;
  disabled: boolean;
  checkAddress: string | null;
  checkPort: number | null;
}

/** Octavia's default persistence_timeout for UDP pools (seconds). */
export const UDP_PERSISTENCE_TIMEOUT = 360;
/** How long a client's flow stays open without traffic; LVS's UDP default is 300 s, kept shorter here. */
export const UDP_IDLE_SECONDS = 60;

const UDP_CHECKS: Partial<Record<HealthMonitor['type'], UdpCheckConfig['kind']>> = {
  'UDP-CONNECT': 'udp-connect', TCP: 'tcp', HTTP: 'http',
};

/** The UDP listeners of the graph, or null when it has none (no file in the bundle then). */
export function toUdpConfig(graph: LoadBalancerGraph, amphora: AmphoraContext): UdpConfig | null {
  const g = live(graph);
  const listeners = g.listeners.filter((l) => l.protocol === 'UDP')
    .sort((a, b) => a.protocol_port - b.protocol_port || a.id.localeCompare(b.id));
  if (listeners.length === 0) return null;
  const addresses = [amphora.vipAddress, ...(amphora.additionalVipAddresses ?? [])];
  return {
    listeners: listeners.map((listener) => {
      const pool = listener.default_pool_id ? g.pool(listener.default_pool_id) : undefined;
      return {
        id: safeName(listener.id, 'listener'),
        enabled: graph.loadBalancer.admin_state_up && listener.admin_state_up,
        binds: addresses.map((address) => {
          hostPort(address, listener.protocol_port, 'VIP');
          return { address, port: listener.protocol_port };
        }),
        pool: pool ? toPool(listener, pool, g.membersOf(pool.id), g.monitorOf(pool.id)) : null,
      };
    }),
  };
}

function toPool(listener: Listener, pool: Pool, members: Member[], monitor: HealthMonitor | undefined): UdpPoolConfig {
  if (pool.protocol !== 'UDP') throw new RenderError(`pool ${pool.id} (${pool.protocol}) cannot serve UDP listener ${listener.id}`);
  const sp = pool.session_persistence;
  const check = monitor?.admin_state_up ? toCheck(monitor) : null;
  return {
    name: `${safeName(pool.id, 'pool')}:${listener.id}`,
    poolId: pool.id,
    algorithm: pool.lb_algorithm === 'LEAST_CONNECTIONS' ? 'leastconn' : pool.lb_algorithm === 'SOURCE_IP' ? 'source' : 'roundrobin',
    persistence: sp?.type === 'SOURCE_IP'
      ? { timeoutSeconds: sp.persistence_timeout ?? UDP_PERSISTENCE_TIMEOUT, granularity: sp.persistence_granularity ? netmask(sp.persistence_granularity) : null }
      : null,
    idleSeconds: UDP_IDLE_SECONDS,
    check,
    members: members.map((m) => ({
      id: safeName(m.id, 'member'),
      address: (hostPort(m.address, m.protocol_port, 'member'), m.address),
      port: m.protocol_port,
      weight: m.weight,
      backup: m.backup,
      disabled: !m.admin_state_up || !pool.admin_state_up,
      checkAddress: check && m.monitor_address ? ipAddress(m.monitor_address, 'monitor') : null,
      checkPort: check && m.monitor_port ? checkPort(m.monitor_port, 'monitor') : null,
    })),
  };
}

function toCheck(hm: HealthMonitor): UdpCheckConfig | null {
  const kind = UDP_CHECKS[hm.type];
  if (!kind) throw new RenderError(`health monitor ${hm.id}: type ${hm.type} cannot check UDP members`);
  return {
    kind, interval: hm.delay, timeout: hm.timeout, rise: hm.max_retries, fall: hm.max_retries_down,
    http: kind === 'http'
      ? { method: hm.http_method ?? 'GET', path: hm.url_path ?? '/', expectStatus: expectedCodes(hm.expected_codes ?? '200', hm.id) }
      : null,
  };
}

/** persistence_granularity: an IPv4 netmask such as 255.255.255.0 (as LVS takes it). */
function netmask(value: string): string {
  const parts = value.split('.').map(Number);
  const bits = parts.reduce((acc, p) => acc * 256 + p, 0);
  const ok = ipAddress(value, 'persistence granularity') && parts.length === 4 && /^1*0*$/.test(bits.toString(2).padStart(32, '0'));
  if (!ok) throw new RenderError(`persistence_granularity ${JSON.stringify(value)} is not an IPv4 netmask`);
  return value;
}

/** The file the agent reads: stable JSON, so the bundle's sha256 changes only with the config. */
export function renderUdp(config: UdpConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}
