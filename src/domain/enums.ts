// Octavia's vocabulary, spelled exactly as its API spells it on the wire.

export const ProvisioningStatus = {
  ACTIVE: 'ACTIVE',
  DELETED: 'DELETED',
  ERROR: 'ERROR',
  PENDING_CREATE: 'PENDING_CREATE',
  PENDING_UPDATE: 'PENDING_UPDATE',
  PENDING_DELETE: 'PENDING_DELETE',
} as const;
export type ProvisioningStatus = (typeof ProvisioningStatus)[keyof typeof ProvisioningStatus];

export const OperatingStatus = {
  ONLINE: 'ONLINE',
  OFFLINE: 'OFFLINE',
  DEGRADED: 'DEGRADED',
  ERROR: 'ERROR',
  DRAINING: 'DRAINING',
  NO_MONITOR: 'NO_MONITOR',
} as const;
export type OperatingStatus = (typeof OperatingStatus)[keyof typeof OperatingStatus];

export const LISTENER_PROTOCOLS = [
  'HTTP', 'HTTPS', 'TCP', 'TERMINATED_HTTPS', 'UDP', 'SCTP', 'PROMETHEUS',
] as const;
export type ListenerProtocol = (typeof LISTENER_PROTOCOLS)[number];

export const POOL_PROTOCOLS = ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP', 'UDP', 'SCTP'] as const;
export type PoolProtocol = (typeof POOL_PROTOCOLS)[number];

/** Which pool protocols a listener of each protocol may forward to (Octavia's VALID_LISTENER_POOL_PROTOCOL_MAP). */
export const LISTENER_POOL_PROTOCOLS: Record<ListenerProtocol, readonly PoolProtocol[]> = {
  TCP: ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
};

export const LB_ALGORITHMS = ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'SOURCE_IP_PORT'] as const;
export type LbAlgorithm = (typeof LB_ALGORITHMS)[number];

export const SESSION_PERSISTENCE_TYPES = ['SOURCE_IP', 'HTTP_COOKIE', 'APP_COOKIE'] as const;
export type SessionPersistenceType = (typeof SESSION_PERSISTENCE_TYPES)[number];

export const HEALTH_MONITOR_TYPES = ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP'] as const;
export type HealthMonitorType = (typeof HEALTH_MONITOR_TYPES)[number];

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'PATCH', 'CONNECT'] as const;
export const HTTP_VERSIONS = [1.0, 1.1] as const;

export const L7_POLICY_ACTIONS = ['REJECT', 'REDIRECT_TO_URL', 'REDIRECT_TO_POOL', 'REDIRECT_PREFIX'] as const;
export type L7PolicyAction = (typeof L7_POLICY_ACTIONS)[number];

export const L7_RULE_TYPES = [
  'HOST_NAME', 'PATH', 'FILE_TYPE', 'HEADER', 'COOKIE',
  'SSL_CONN_HAS_CERT', 'SSL_VERIFY_RESULT', 'SSL_DN_FIELD',
] as const;
export type L7RuleType = (typeof L7_RULE_TYPES)[number];

export const L7_COMPARE_TYPES = ['REGEX', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'] as const;
export type L7CompareType = (typeof L7_COMPARE_TYPES)[number];

export const DISTINGUISHED_NAME_FIELDS = [
  'C', 'ST', 'L', 'O', 'OU', 'CN', 'STREET', 'DC', 'UID', 'emailAddress',
] as const;

export const REDIRECT_HTTP_CODES = [301, 302, 303, 307, 308] as const;

export const CLIENT_AUTH_MODES = ['NONE', 'OPTIONAL', 'MANDATORY'] as const;
export type ClientAuthMode = (typeof CLIENT_AUTH_MODES)[number];

export const SUPPORTED_HTTP_HEADERS = [
  'X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto',
] as const;
export const SUPPORTED_SSL_HEADERS = [
  'X-SSL-Client-Verify', 'X-SSL-Client-Has-Cert', 'X-SSL-Client-DN', 'X-SSL-Client-CN',
  'X-SSL-Issuer', 'X-SSL-Client-SHA1', 'X-SSL-Client-Not-Before', 'X-SSL-Client-Not-After',
] as const;

export const TLS_VERSIONS = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export const ALPN_PROTOCOLS = ['http/1.0', 'http/1.1', 'h2'] as const;

export const TOPOLOGIES = ['SINGLE', 'ACTIVE_STANDBY'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

export const AMPHORA_ROLES = ['MASTER', 'BACKUP', 'STANDALONE'] as const;
export const AMPHORA_STATUSES = [
  'BOOTING', 'ALLOCATED', 'READY', 'PENDING_CREATE', 'PENDING_DELETE', 'DELETED', 'ERROR',
] as const;
