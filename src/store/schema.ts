// One description of every table: its columns and how each is kept. The migration creates
// the tables from it and the Kysely store converts rows with it, so the two cannot drift.
import type {
  Amphora, AvailabilityZone, AvailabilityZoneProfile, Flavor, FlavorProfile, HealthMonitor, L7Policy,
  L7Rule, Listener, ListenerStats, LoadBalancer, Member, Pool, Quota, Secret, SecretContainer,
} from '../domain/entities.ts';
import type {
  IdentityAppCredential, IdentityProject, IdentityRoleAssignment, IdentityToken, IdentityUser,
} from '../domain/identity.ts';

export type ColumnType = 'text' | 'int' | 'bigint' | 'bool' | 'json' | 'real';

export interface Entities {
  load_balancer: LoadBalancer;
  listener: Listener;
  pool: Pool;
  member: Member;
  health_monitor: HealthMonitor;
  l7policy: L7Policy;
  l7rule: L7Rule;
  amphora: Amphora;
  flavor: Flavor;
  flavor_profile: FlavorProfile;
  availability_zone: AvailabilityZone;
  availability_zone_profile: AvailabilityZoneProfile;
  quota: Quota;
  listener_stats: ListenerStats;
  identity_project: IdentityProject;
  identity_user: IdentityUser;
  identity_role_assignment: IdentityRoleAssignment;
  identity_app_credential: IdentityAppCredential;
  identity_token: IdentityToken;
  secret: Secret;
  secret_container: SecretContainer;
}
export type Kind = keyof Entities;

export interface TableSpec {
  key: string[];
  columns: Record<string, ColumnType>;
  /** Columns queried often enough to deserve an index. */
  indexes?: string[][];
}

const owned = {
  id: 'text', project_id: 'text', name: 'text', description: 'text', admin_state_up: 'bool',
  provisioning_status: 'text', operating_status: 'text', tags: 'json', created_at: 'text', updated_at: 'text',
} as const;
const child = { ...owned, load_balancer_id: 'text' } as const;
const childIndexes = [['load_balancer_id'], ['project_id']];

export const TABLES: { [K in Kind]: TableSpec & { columns: Record<keyof Entities[K] & string, ColumnType> } } = {
  load_balancer: {
    key: ['id'],
    indexes: [['project_id'], ['provisioning_status']],
    columns: {
      ...owned, provider: 'text', flavor_id: 'text', availability_zone: 'text', topology: 'text',
      vip_address: 'text', vip_port_id: 'text', vip_subnet_id: 'text', vip_network_id: 'text',
      vip_qos_policy_id: 'text', additional_vips: 'json', generation: 'int', applied_generation: 'int',
    },
  },
  listener: {
    key: ['id'],
    indexes: childIndexes,
    columns: {
      ...child, protocol: 'text', protocol_port: 'int', connection_limit: 'int', default_pool_id: 'text',
      default_tls_container_ref: 'text', sni_container_refs: 'json', insert_headers: 'json',
      timeout_client_data: 'int', timeout_member_connect: 'int', timeout_member_data: 'int',
      timeout_tcp_inspect: 'int', client_ca_tls_container_ref: 'text', client_authentication: 'text',
      client_crl_container_ref: 'text', allowed_cidrs: 'json', tls_ciphers: 'text', tls_versions: 'json',
      alpn_protocols: 'json', hsts_max_age: 'int', hsts_include_subdomains: 'bool', hsts_preload: 'bool',
    },
  },
  pool: {
    key: ['id'],
    indexes: childIndexes,
    columns: {
      ...child, listener_id: 'text', protocol: 'text', lb_algorithm: 'text', session_persistence: 'json',
      tls_enabled: 'bool', tls_container_ref: 'text', ca_tls_container_ref: 'text', crl_container_ref: 'text',
      tls_ciphers: 'text', tls_versions: 'json', alpn_protocols: 'json',
    },
  },
  member: {
    key: ['id'],
    indexes: [...childIndexes, ['pool_id']],
    columns: {
      ...child, pool_id: 'text', address: 'text', protocol_port: 'int', weight: 'int', backup: 'bool',
      subnet_id: 'text', monitor_address: 'text', monitor_port: 'int',
    },
  },
  health_monitor: {
    key: ['id'],
    indexes: [...childIndexes, ['pool_id']],
    columns: {
      ...child, pool_id: 'text', type: 'text', delay: 'int', timeout: 'int', max_retries: 'int',
      max_retries_down: 'int', http_method: 'text', url_path: 'text', expected_codes: 'text',
      http_version: 'real', domain_name: 'text',
    },
  },
  l7policy: {
    key: ['id'],
    indexes: [...childIndexes, ['listener_id']],
    columns: {
      ...child, listener_id: 'text', action: 'text', position: 'int', redirect_pool_id: 'text',
      redirect_url: 'text', redirect_prefix: 'text', redirect_http_code: 'int',
    },
  },
  l7rule: {
    key: ['id'],
    indexes: [...childIndexes, ['l7policy_id']],
    columns: {
      ...child, l7policy_id: 'text', type: 'text', compare_type: 'text', key: 'text', value: 'text', invert: 'bool',
    },
  },
  amphora: {
    key: ['id'],
    indexes: [['load_balancer_id']],
    columns: {
      id: 'text', load_balancer_id: 'text', compute_id: 'text', lb_network_ip: 'text', vrrp_ip: 'text',
      ha_ip: 'text', vrrp_port_id: 'text', ha_port_id: 'text', cert_expiration: 'text', cert_busy: 'bool',
      role: 'text', status: 'text', vrrp_interface: 'text', vrrp_id: 'int', vrrp_priority: 'int',
      cached_zone: 'text', image_id: 'text', compute_flavor: 'text', created_at: 'text', updated_at: 'text',
    },
  },
  flavor_profile: {
    key: ['id'],
    columns: { id: 'text', name: 'text', provider_name: 'text', flavor_data: 'text' },
  },
  flavor: {
    key: ['id'],
    columns: { id: 'text', name: 'text', description: 'text', enabled: 'bool', flavor_profile_id: 'text' },
  },
  availability_zone_profile: {
    key: ['id'],
    columns: { id: 'text', name: 'text', provider_name: 'text', availability_zone_data: 'text' },
  },
  availability_zone: {
    key: ['name'],
    columns: { name: 'text', description: 'text', enabled: 'bool', availability_zone_profile_id: 'text' },
  },
  quota: {
    key: ['project_id'],
    columns: {
      project_id: 'text', load_balancer: 'int', listener: 'int', pool: 'int', member: 'int',
      health_monitor: 'int', l7policy: 'int', l7rule: 'int',
    },
  },
  listener_stats: {
    key: ['listener_id', 'amphora_id'],
    columns: {
      listener_id: 'text', amphora_id: 'text', bytes_in: 'bigint', bytes_out: 'bigint',
      active_connections: 'bigint', total_connections: 'bigint', request_errors: 'bigint', counters: 'json',
    },
  },
  // The built-in identity (`--auth builtin`): see src/identity/.
  identity_project: {
    key: ['id'],
    columns: { id: 'text', name: 'text', domain_id: 'text', description: 'text', enabled: 'bool', created_at: 'text' },
  },
  identity_user: {
    key: ['id'],
    columns: {
      id: 'text', name: 'text', domain_id: 'text', password_hash: 'text', default_project_id: 'text',
      enabled: 'bool', created_at: 'text',
    },
  },
  identity_role_assignment: {
    key: ['project_id', 'user_id', 'role'],
    indexes: [['user_id']],
    columns: { project_id: 'text', user_id: 'text', role: 'text' },
  },
  identity_app_credential: {
    key: ['id'],
    indexes: [['user_id']],
    columns: {
      id: 'text', user_id: 'text', project_id: 'text', name: 'text', description: 'text', secret_hash: 'text',
      roles: 'json', expires_at: 'text', created_at: 'text',
    },
  },
  identity_token: {
    key: ['id'],
    indexes: [['expires_at']],
    columns: {
      id: 'text', user_id: 'text', project_id: 'text', roles: 'json', methods: 'json', app_credential_id: 'text',
      issued_at: 'text', expires_at: 'text',
    },
  },
  secret: {
    key: ['id'],
    indexes: [['project_id']],
    columns: {
      id: 'text', project_id: 'text', creator_id: 'text', name: 'text', secret_type: 'text', content_type: 'text',
      algorithm: 'text', bit_length: 'int', mode: 'text', expiration: 'text', payload_encrypted: 'text',
      created_at: 'text', updated_at: 'text',
    },
  },
  secret_container: {
    key: ['id'],
    indexes: [['project_id']],
    columns: {
      id: 'text', project_id: 'text', creator_id: 'text', name: 'text', type: 'text', secret_refs: 'json',
      created_at: 'text', updated_at: 'text',
    },
  },
};

/** Unique names and (load balancer, port) pairs are checked by services under the LB lock;
 *  these constraints are the database's last word should a service ever get it wrong. */
export const UNIQUES: { kind: Kind; columns: string[] }[] = [
  { kind: 'flavor', columns: ['name'] },
  { kind: 'listener', columns: ['load_balancer_id', 'protocol', 'protocol_port'] },
  { kind: 'member', columns: ['pool_id', 'address', 'protocol_port'] },
  { kind: 'health_monitor', columns: ['pool_id'] },
  { kind: 'identity_project', columns: ['domain_id', 'name'] },
  { kind: 'identity_user', columns: ['domain_id', 'name'] },
  { kind: 'identity_app_credential', columns: ['user_id', 'name'] },
];
