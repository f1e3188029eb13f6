// Graph → IR for one amphora: which proxies exist, what each one does. Everything Octavia's
// amphora driver decides before its template runs is decided here (defaults, which objects
// are live, what admin_state_up=false means); haproxy.ts only spells the result.
import type { LoadBalancerGraph, Listener, Pool } from '../domain/entities.ts';
import type { AmphoraContext } from './context.ts';
import { DEFAULTS, certPaths } from './context.ts';
import { RenderError, checkPort, cidr, hostPort, safeName } from './escape.ts';
import type { BackendIR, BindTlsIR, FrontendIR, GlobalIR, HaproxyIR, PeersIR } from './ir.ts';
import { policiesOf } from './translate-l7.ts';
import { backendName, toBackend } from './translate-pool.ts';
import { live, type LiveGraph } from './live.ts';
import { LISTENER_MODE, TIMEOUT_CLIENT_DATA, disabledTlsVersions } from './octavia.ts';

export function toIR(graph: LoadBalancerGraph, amphora: AmphoraContext): HaproxyIR {
  const g = live(graph);
  const lb = graph.loadBalancer;
  const peers = toPeers(graph, amphora);
  const listeners = g.listeners.filter((l) => LISTENER_MODE[l.protocol] !== undefined)
    .sort((a, b) => a.protocol_port - b.protocol_port || a.id.localeCompare(b.id));
  const frontends: FrontendIR[] = [];
  const backends: BackendIR[] = [];
  for (const listener of listeners) {
    const pools = poolsOf(g, listener);
    frontends.push(toFrontend(g, listener, pools, amphora, lb.admin_state_up));
    for (const pool of pools) backends.push(toBackend(g, listener, pool, amphora, peers?.name ?? null));
  }
  return {
    loadBalancerId: safeName(lb.id, 'load balancer'),
    global: toGlobal(amphora, backends),
    peers,
    frontends,
    backends,
  };
}

function toGlobal(amphora: AmphoraContext, backends: BackendIR[]): GlobalIR {
  if (!Number.isInteger(amphora.maxconn) || amphora.maxconn < 1) {
    throw new RenderError(`maxconn budget ${amphora.maxconn} must be a positive integer`);
  }
  return {
    maxconn: amphora.maxconn,
    statsSocket: amphora.paths.statsSocket,
    serverStateFile: amphora.paths.serverStateFile,
    pidFile: amphora.paths.pidFile ?? null,
    hardStopAfter: amphora.hardStopAfter ?? DEFAULTS.hardStopAfter,
    closeSpreadTime: amphora.closeSpreadTime ?? DEFAULTS.closeSpreadTime,
    mworkerMaxReloads: amphora.mworkerMaxReloads ?? DEFAULTS.mworkerMaxReloads,
    log: amphora.log ? { target: amphora.log.target, facility: amphora.log.facility ?? DEFAULTS.logFacility } : null,
    externalCheck: backends.some((b) => b.check?.kind === 'external'),
  };
}

/** Stick tables are shared between the amphorae of an ACTIVE_STANDBY load balancer. */
function toPeers(graph: LoadBalancerGraph, amphora: AmphoraContext): PeersIR | null {
  const ctx = amphora.peers;
  if (graph.loadBalancer.topology !== 'ACTIVE_STANDBY' || !ctx || ctx.peers.length === 0) return null;
  checkPort(ctx.port, 'peer');
  return {
    name: `${safeName(graph.loadBalancer.id, 'load balancer').replace(/-/g, '')}_peers`,
    localName: safeName(ctx.localName, 'local peer'),
    peers: ctx.peers.map((p) => {
      hostPort(p.address, ctx.port, 'peer');
      return { name: safeName(p.name, 'peer'), address: p.address, port: ctx.port };
    }),
  };
}

/** The pools a listener reaches: its default pool, then its L7 policies' pools, once each. */
function poolsOf(g: LiveGraph, listener: Listener): Pool[] {
  const ids = [listener.default_pool_id, ...g.policiesOf(listener.id).map((p) => p.redirect_pool_id)];
  const seen = new Set<string>();
  const pools: Pool[] = [];
  for (const id of ids) {
    const pool = id ? g.pool(id) : undefined;
    if (pool && !seen.has(pool.id)) {
      seen.add(pool.id);
      pools.push(pool);
    }
  }
  return pools;
}

function toFrontend(g: LiveGraph, listener: Listener, pools: Pool[], amphora: AmphoraContext, lbUp: boolean): FrontendIR {
  const name = safeName(listener.id, 'listener');
  const mode = LISTENER_MODE[listener.protocol]!;
  const tls = bindTls(listener, amphora);
  const addresses = [amphora.vipAddress, ...(amphora.additionalVipAddresses ?? [])];
  const defaultPool = pools.find((p) => p.id === listener.default_pool_id);
  return {
    name,
    enabled: lbUp && listener.admin_state_up,
    mode,
    binds: addresses.map((address) => {
      hostPort(address, listener.protocol_port, 'VIP');
      return { address, port: listener.protocol_port, tls };
    }),
    maxconn: listener.connection_limit > 0 ? Math.min(listener.connection_limit, amphora.maxconn) : amphora.maxconn,
    timeoutClient: listener.timeout_client_data || TIMEOUT_CLIENT_DATA,
    tcpInspectDelay: listener.timeout_tcp_inspect || null,
    allowedCidrs: (listener.allowed_cidrs ?? []).map(cidr),
    log: Boolean(amphora.log),
    prometheus: listener.protocol === 'PROMETHEUS',
    hsts: hsts(listener),
    policies: mode === 'http' ? policiesOf(g, listener) : [],
    defaultBackend: defaultPool ? backendName(defaultPool, listener) : null,
  };
}

function hsts(listener: Listener): string | null {
  if (listener.protocol !== 'TERMINATED_HTTPS' || listener.hsts_max_age == null) return null;
  return [
    `max-age=${listener.hsts_max_age}`,
    ...(listener.hsts_include_subdomains ? ['includeSubDomains'] : []),
    ...(listener.hsts_preload ? ['preload'] : []),
  ].join('; ');
}

const CLIENT_VERIFY = { NONE: 'none', OPTIONAL: 'optional', MANDATORY: 'required' } as const;

function bindTls(listener: Listener, amphora: AmphoraContext): BindTlsIR | null {
  const terminated = listener.protocol === 'TERMINATED_HTTPS'
    || (listener.protocol === 'PROMETHEUS' && listener.default_tls_container_ref !== null);
  if (!terminated) return null;
  if (!listener.default_tls_container_ref) {
    throw new RenderError(`listener ${listener.id} terminates TLS but has no default certificate`);
  }
  const dir = amphora.paths.certDir;
  const verify = listener.client_ca_tls_container_ref ? CLIENT_VERIFY[listener.client_authentication] : 'none';
  const clientCa = verify !== 'none' ? certPaths.listenerClientCa(dir, listener.id) : null;
  return {
    certificates: [
      certPaths.listenerDefault(dir, listener.id),
      ...listener.sni_container_refs.map((_, i) => certPaths.listenerSni(dir, listener.id, i)),
    ],
    clientCa,
    clientCrl: clientCa && listener.client_crl_container_ref ? certPaths.listenerClientCrl(dir, listener.id) : null,
    verify,
    ciphers: listener.tls_ciphers,
    disabledVersions: disabledTlsVersions(listener.tls_versions),
    alpn: listener.alpn_protocols ?? [],
  };
}

