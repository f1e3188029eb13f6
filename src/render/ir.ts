// The intermediate representation of one amphora's HAProxy: plain data, already decided
// (defaults applied, disabled and deleted objects resolved, names checked), but not yet
// spelled as configuration text. translate.ts builds it from the graph; haproxy.ts prints
// it; delta.ts compares two of them to find runtime-API changes.

export interface HaproxyIR {
  loadBalancerId: string;
  global: GlobalIR;
  peers: PeersIR | null;
  frontends: FrontendIR[];
  backends: BackendIR[];
}

export interface GlobalIR {
  maxconn: number;
  statsSocket: string;
  serverStateFile: string;
  pidFile: string | null;
  hardStopAfter: string;
  closeSpreadTime: string;
  mworkerMaxReloads: number;
  log: { target: string; facility: string } | null;
  /** True when a PING monitor runs an external command (needs `insecure-fork-wanted`). */
  externalCheck: boolean;
}

export interface PeersIR {
  name: string;
  localName: string;
  peers: { name: string; address: string; port: number }[];
}

export type ProxyMode = 'http' | 'tcp';

export interface FrontendIR {
  /** The listener id. */
  name: string;
  /** False when the listener or the load balancer has admin_state_up=false: no bind. */
  enabled: boolean;
  mode: ProxyMode;
  binds: BindIR[];
  maxconn: number;
  /** Milliseconds, as Octavia's listener timeouts are. */
  timeoutClient: number;
  tcpInspectDelay: number | null;
  allowedCidrs: string[];
  /** Log connections (httplog/tcplog) when the amphora has a log target. */
  log: boolean;
  /** PROMETHEUS listeners answer /metrics from HAProxy's own exporter. */
  prometheus: boolean;
  /** TERMINATED_HTTPS with hsts_max_age: the Strict-Transport-Security value. */
  hsts: string | null;
  /** In evaluation order (see translate-l7.ts). */
  policies: PolicyIR[];
  defaultBackend: string | null;
}

export interface BindIR {
  address: string;
  port: number;
  tls: BindTlsIR | null;
}

export interface BindTlsIR {
  /** The default certificate first, then the SNI ones. */
  certificates: string[];
  clientCa: string | null;
  clientCrl: string | null;
  verify: 'none' | 'optional' | 'required';
  ciphers: string | null;
  /** HAProxy `no-…` switches for the TLS versions the listener does not allow. */
  disabledVersions: string[];
  alpn: string[];
}

export type PolicyAction =
  | { kind: 'deny' }
  | { kind: 'redirect-location'; url: string; code: number | null }
  | { kind: 'redirect-prefix'; prefix: string; code: number | null }
  | { kind: 'backend'; backend: string };

export interface PolicyIR {
  /** The L7 policy id. */
  id: string;
  action: PolicyAction;
  /** ANDed; each names an ACL, possibly negated. */
  conditions: AclIR[];
}

export type SampleIR =
  | { fetch: 'host' }
  | { fetch: 'path' }
  | { fetch: 'header'; name: string }
  | { fetch: 'cookie'; name: string }
  | { fetch: 'ssl-has-cert' }
  | { fetch: 'ssl-verify' }
  | { fetch: 'ssl-dn'; field: string };

export type MatchMethod = 'str' | 'beg' | 'end' | 'sub' | 'reg';

export interface AclIR {
  /** The L7 rule id. */
  name: string;
  sample: SampleIR;
  /** null for ssl-has-cert (a boolean) and ssl-verify (an integer compare). */
  match: { method: MatchMethod; ignoreCase: boolean; pattern: string } | null;
  /** ssl-verify compares an integer. */
  integer: number | null;
  invert: boolean;
}

export interface BackendIR {
  /** `<pool id>:<listener id>`: listener timeouts and headers apply per pair, as in Octavia. */
  name: string;
  poolId: string;
  listenerId: string;
  mode: ProxyMode;
  /** `source-ip-port`: a hash of the client's address and port (SOURCE_IP_PORT). */
  balance: 'roundrobin' | 'leastconn' | 'source' | 'source-ip-port';
  /** `consistent` keeps hashing backends dynamic, so members can be added without a reload. */
  hashType: 'consistent' | null;
  persistence: PersistenceIR | null;
  check: HealthCheckIR | null;
  headers: HeadersIR;
  timeoutConnect: number;
  timeoutServer: number;
  servers: ServerIR[];
  /** Why something asked for could not be rendered as asked, printed as a comment. */
  notes: string[];
}

export type PersistenceIR =
  | { kind: 'source-ip'; tableSize: string; peers: string | null }
  | { kind: 'app-cookie'; cookie: string; tableSize: string; peers: string | null }
  | { kind: 'http-cookie' };

export interface HeadersIR {
  forwardedFor: boolean;
  forwardedPort: boolean;
  forwardedProto: 'http' | 'https' | null;
  /** X-SSL-* header names for TERMINATED_HTTPS listeners. */
  ssl: string[];
}

export interface HealthCheckIR {
  kind: 'http' | 'tcp' | 'tls-hello' | 'external';
  /** Seconds: Octavia's delay, timeout, max_retries (rise) and max_retries_down (fall). */
  interval: number;
  timeout: number;
  rise: number;
  fall: number;
  /** HTTPS monitors check over TLS without verifying the member's certificate. */
  ssl: boolean;
  http: HttpCheckIR | null;
  command: string | null;
}

export interface HttpCheckIR {
  method: string;
  path: string;
  version: 'HTTP/1.0' | 'HTTP/1.1' | null;
  host: string | null;
  /** HAProxy's `http-check expect status` list, e.g. "200" or "200-204,301". */
  expectStatus: string;
}

export interface ServerIR {
  /** The member id. */
  name: string;
  /** HAProxy server id, derived from the member id so it survives reloads (see translate-pool.ts). */
  id: number;
  address: string;
  port: number;
  weight: number;
  backup: boolean;
  /** admin_state_up=false on the member or its pool. */
  disabled: boolean;
  check: boolean;
  checkAddress: string | null;
  checkPort: number | null;
  /** HTTP_COOKIE persistence: the cookie value naming this server. */
  cookie: string | null;
  proxyProtocol: 'v1' | 'v2' | 'v2-ssl-cn' | null;
  tls: ServerTlsIR | null;
}

export interface ServerTlsIR {
  verify: 'none' | 'required';
  ca: string | null;
  crl: string | null;
  clientCert: string | null;
  ciphers: string | null;
  disabledVersions: string[];
  alpn: string[];
}
