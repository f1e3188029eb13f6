// Desired state as the store keeps it. Field names follow Octavia's wire names so the
// API edge maps one to one; only relations (ids of children) are computed, never stored.
import type {
  ClientAuthMode, HealthMonitorType, L7CompareType, L7PolicyAction, L7RuleType, LbAlgorithm,
  ListenerProtocol, OperatingStatus, PoolProtocol, ProvisioningStatus, SessionPersistenceType, Topology,
} from './enums.ts';

/** Every tenant-owned object carries these. */
export interface Owned {
  id: string;
  project_id: string;
  name: string | null;
  description: string | null;
  admin_state_up: boolean;
  provisioning_status: ProvisioningStatus;
  operating_status: OperatingStatus;
  tags: string[];
  created_at: string;
  updated_at: string | null;
}

export interface AdditionalVip { subnet_id: string; ip_address: string | null }

export interface LoadBalancer extends Owned {
  provider: string;
  flavor_id: string | null;
  availability_zone: string | null;
  topology: Topology;
  vip_address: string | null;
  vip_port_id: string | null;
  vip_subnet_id: string | null;
  vip_network_id: string | null;
  vip_qos_policy_id: string | null;
  additional_vips: AdditionalVip[];
  /** Bumped by every API write; the worker converges to the latest one as a whole. */
  generation: number;
  /** The generation the provider last applied successfully. */
  applied_generation: number;
}

export interface Listener extends Owned {
  load_balancer_id: string;
  protocol: ListenerProtocol;
  protocol_port: number;
  connection_limit: number;
  default_pool_id: string | null;
  default_tls_container_ref: string | null;
  sni_container_refs: string[];
  insert_headers: Record<string, string>;
  timeout_client_data: number;
  timeout_member_connect: number;
  timeout_member_data: number;
  timeout_tcp_inspect: number;
  client_ca_tls_container_ref: string | null;
  client_authentication: ClientAuthMode;
  client_crl_container_ref: string | null;
  allowed_cidrs: string[];
  tls_ciphers: string | null;
  tls_versions: string[];
  alpn_protocols: string[];
  hsts_max_age: number | null;
  hsts_include_subdomains: boolean;
  hsts_preload: boolean;
}

export interface SessionPersistence {
  type: SessionPersistenceType;
  cookie_name: string | null;
  persistence_timeout: number | null;
  persistence_granularity: string | null;
}

export interface Pool extends Owned {
  load_balancer_id: string;
  /** The listener that named this pool when it was created (Octavia's pool.listener_id), if any. */
  listener_id: string | null;
  protocol: PoolProtocol;
  lb_algorithm: LbAlgorithm;
  session_persistence: SessionPersistence | null;
  tls_enabled: boolean;
  tls_container_ref: string | null;
  ca_tls_container_ref: string | null;
  crl_container_ref: string | null;
  tls_ciphers: string | null;
  /** Null until TLS is enabled or set, as Octavia shows a plain pool's. */
  tls_versions: string[] | null;
  alpn_protocols: string[] | null;
}

export interface Member extends Owned {
  load_balancer_id: string;
  pool_id: string;
  address: string;
  protocol_port: number;
  weight: number;
  backup: boolean;
  subnet_id: string | null;
  monitor_address: string | null;
  monitor_port: number | null;
}

export interface HealthMonitor extends Owned {
  load_balancer_id: string;
  pool_id: string;
  type: HealthMonitorType;
  delay: number;
  timeout: number;
  max_retries: number;
  max_retries_down: number;
  http_method: string | null;
  url_path: string | null;
  expected_codes: string | null;
  http_version: number | null;
  domain_name: string | null;
}

export interface L7Policy extends Owned {
  load_balancer_id: string;
  listener_id: string;
  action: L7PolicyAction;
  position: number;
  redirect_pool_id: string | null;
  redirect_url: string | null;
  redirect_prefix: string | null;
  redirect_http_code: number | null;
}

export interface L7Rule extends Owned {
  load_balancer_id: string;
  l7policy_id: string;
  type: L7RuleType;
  compare_type: L7CompareType;
  key: string | null;
  value: string;
  invert: boolean;
}

export interface Amphora {
  id: string;
  load_balancer_id: string | null;
  compute_id: string | null;
  lb_network_ip: string | null;
  vrrp_ip: string | null;
  ha_ip: string | null;
  vrrp_port_id: string | null;
  ha_port_id: string | null;
  cert_expiration: string | null;
  cert_busy: boolean;
  role: string | null;
  status: string;
  vrrp_interface: string | null;
  vrrp_id: number | null;
  vrrp_priority: number | null;
  cached_zone: string | null;
  image_id: string | null;
  compute_flavor: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface FlavorProfile {
  id: string;
  name: string;
  provider_name: string;
  flavor_data: string;
}

export interface Flavor {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  flavor_profile_id: string;
}

export interface AvailabilityZoneProfile {
  id: string;
  name: string;
  provider_name: string;
  availability_zone_data: string;
}

export interface AvailabilityZone {
  name: string;
  description: string;
  enabled: boolean;
  availability_zone_profile_id: string;
}

/** Per-project limits; null means "use the configured default", -1 means unlimited. */
export interface Quota {
  project_id: string;
  load_balancer: number | null;
  listener: number | null;
  pool: number | null;
  member: number | null;
  health_monitor: number | null;
  l7policy: number | null;
  l7rule: number | null;
}

export interface ListenerStats {
  listener_id: string;
  amphora_id: string;
  bytes_in: number;
  bytes_out: number;
  active_connections: number;
  total_connections: number;
  request_errors: number;
  /**
   * The raw HAProxy counters last added in, and the worker they came from (health role):
   * the base for the next delta, so totals never go backwards when HAProxy restarts counting.
   */
  counters?: RawCounters | null;
}

export interface RawCounters {
  epoch: string;
  bytes_in: number;
  bytes_out: number;
  total_connections: number;
  request_errors: number;
}

/** The objects that make up one load balancer, as the worker and the status tree need them. */
export interface LoadBalancerGraph {
  loadBalancer: LoadBalancer;
  listeners: Listener[];
  pools: Pool[];
  members: Member[];
  healthMonitors: HealthMonitor[];
  l7policies: L7Policy[];
  l7rules: L7Rule[];
}

/** The tenant-owned kinds that live under a load balancer and are locked through it. */
export interface ChildKinds {
  listener: Listener;
  pool: Pool;
  member: Member;
  health_monitor: HealthMonitor;
  l7policy: L7Policy;
  l7rule: L7Rule;
}
export type ChildKind = keyof ChildKinds;

/** The network model clients reference by id (vip_subnet_id, member subnet_id, ...). */
export interface Network {
  id: string;
  project_id: string;
  name: string;
  created_at: string;
}

export interface Subnet {
  id: string;
  network_id: string;
  project_id: string;
  name: string;
  cidr: string;
  ip_version: number;
  gateway_ip: string | null;
  created_at: string;
}

/**
 * A secret kept by Fulcrum's Barbican-compatible key manager (/v1/secrets). The payload is
 * stored only encrypted (AES-256-GCM, `payload_encrypted` = iv ‖ tag ‖ ciphertext, base64);
 * it is never logged and only its owner project reads it back.
 */
export interface Secret {
  id: string;
  project_id: string;
  creator_id: string | null;
  name: string | null;
  /** Barbican's: certificate, private, passphrase, opaque, symmetric, public. */
  secret_type: string;
  /** text/plain or application/octet-stream: how the payload is answered. */
  content_type: string;
  algorithm: string | null;
  bit_length: number | null;
  mode: string | null;
  expiration: string | null;
  payload_encrypted: string;
  created_at: string;
  updated_at: string | null;
}

/** A Barbican container (/v1/containers): named references to secrets of one project. */
export interface SecretContainer {
  id: string;
  project_id: string;
  creator_id: string | null;
  name: string | null;
  /** certificate, generic or rsa. */
  type: string;
  /** [{name, secret_id}], in the order given. */
  secret_refs: { name: string; secret_id: string }[];
  created_at: string;
  updated_at: string | null;
}

/**
 * TLS material resolved from the key manager, ready to be written for HAProxy: PEM text with
 * the private key decrypted (passphrases applied), intermediates in chain order.
 */
export interface TlsCertificate {
  certificate: string;
  privateKey: string;
  intermediates: string[];
}

/** Every certificate, CA and CRL a load balancer's graph refers to, by the ref it names. */
export interface TlsMaterial {
  certificates: Map<string, TlsCertificate>;
  /** CA bundles and CRLs: PEM text as stored. */
  pems: Map<string, string>;
}
