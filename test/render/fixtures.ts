// Builders for load-balancer graphs with Octavia's API defaults, for renderer tests. Ids are
// deterministic UUID-shaped strings so rendered output is stable.
import type {
  HealthMonitor, L7Policy, L7Rule, Listener, LoadBalancer, LoadBalancerGraph, Member, Owned, Pool,
} from '../../src/domain/entities.ts';
import type { AmphoraContext } from '../../src/render/context.ts';

/** `uuid('listener', 1)` → a fixed, readable UUID-shaped id. */
export function uuid(kind: string, n: number): string {
  const prefix = { lb: 'aaaa', listener: 'bbbb', pool: 'cccc', member: 'dddd', hm: 'eeee', policy: 'ffff', rule: 'abcd' }[kind] ?? '0000';
  return `${prefix}0000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

export const LB_ID = uuid('lb', 1);
const PROJECT = 'e3cd678b11784734bc366148aa37580e';

function owned(id: string, n: number): Owned {
  return {
    id, project_id: PROJECT, name: null, description: null, admin_state_up: true,
    provisioning_status: 'ACTIVE', operating_status: 'ONLINE', tags: [],
    created_at: `2024-01-01T00:00:${String(n).padStart(2, '0')}`, updated_at: null,
  };
}

export function loadBalancer(over: Partial<LoadBalancer> = {}): LoadBalancer {
  return {
    ...owned(LB_ID, 0), provider: 'amphora', flavor_id: null, availability_zone: null, topology: 'SINGLE',
    vip_address: '203.0.113.10', vip_port_id: null, vip_subnet_id: null, vip_network_id: null, vip_qos_policy_id: null,
    additional_vips: [], generation: 1, applied_generation: 0, ...over,
  };
}

export function listener(n: number, over: Partial<Listener> = {}): Listener {
  return {
    ...owned(uuid('listener', n), n), load_balancer_id: LB_ID, protocol: 'HTTP', protocol_port: 80, connection_limit: -1,
    default_pool_id: null, default_tls_container_ref: null, sni_container_refs: [], insert_headers: {},
    timeout_client_data: 50000, timeout_member_connect: 5000, timeout_member_data: 50000, timeout_tcp_inspect: 0,
    client_ca_tls_container_ref: null, client_authentication: 'NONE', client_crl_container_ref: null, allowed_cidrs: [],
    tls_ciphers: null, tls_versions: [], alpn_protocols: [], hsts_max_age: null, hsts_include_subdomains: false,
    hsts_preload: false, ...over,
  };
}

export function pool(n: number, over: Partial<Pool> = {}): Pool {
  return {
    ...owned(uuid('pool', n), n), load_balancer_id: LB_ID, listener_id: null, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
    session_persistence: null, tls_enabled: false, tls_container_ref: null, ca_tls_container_ref: null,
    crl_container_ref: null, tls_ciphers: null, tls_versions: null, alpn_protocols: null, ...over,
  };
}

export function member(n: number, poolN: number, over: Partial<Member> = {}): Member {
  return {
    ...owned(uuid('member', n), n), load_balancer_id: LB_ID, pool_id: uuid('pool', poolN), address: `192.0.2.${n}`,
    protocol_port: 8080, weight: 1, backup: false, subnet_id: null, monitor_address: null, monitor_port: null, ...over,
  };
}

export function monitor(n: number, poolN: number, over: Partial<HealthMonitor> = {}): HealthMonitor {
  return {
    ...owned(uuid('hm', n), n), load_balancer_id: LB_ID, pool_id: uuid('pool', poolN), type: 'HTTP', delay: 5, timeout: 3,
    max_retries: 3, max_retries_down: 3, http_method: 'GET', url_path: '/', expected_codes: '200', http_version: null,
    domain_name: null, ...over,
  };
}

export function policy(n: number, listenerN: number, over: Partial<L7Policy> = {}): L7Policy {
  return {
    ...owned(uuid('policy', n), n), load_balancer_id: LB_ID, listener_id: uuid('listener', listenerN), action: 'REJECT',
    position: n, redirect_pool_id: null, redirect_url: null, redirect_prefix: null, redirect_http_code: null, ...over,
  };
}

export function rule(n: number, policyN: number, over: Partial<L7Rule> = {}): L7Rule {
  return {
    ...owned(uuid('rule', n), n), load_balancer_id: LB_ID, l7policy_id: uuid('policy', policyN), type: 'PATH',
    compare_type: 'STARTS_WITH', key: null, value: '/api', invert: false, ...over,
  };
}

export function graph(parts: Partial<LoadBalancerGraph> = {}): LoadBalancerGraph {
  return {
    loadBalancer: loadBalancer(), listeners: [], pools: [], members: [], healthMonitors: [], l7policies: [], l7rules: [],
    ...parts,
  };
}

/** An HTTP listener on :80 whose default pool 1 holds `members` members. */
export function simpleGraph(members = 2, over: { listener?: Partial<Listener>; pool?: Partial<Pool> } = {}): LoadBalancerGraph {
  return graph({
    listeners: [listener(1, { default_pool_id: uuid('pool', 1), ...over.listener })],
    pools: [pool(1, { listener_id: uuid('listener', 1), ...over.pool })],
    members: Array.from({ length: members }, (_, i) => member(i + 1, 1)),
  });
}

export const RUN_DIR = '/run/fulcrum/lb';

export function amphoraContext(over: Partial<AmphoraContext> = {}): AmphoraContext {
  return {
    vipAddress: '203.0.113.10',
    paths: {
      statsSocket: `${RUN_DIR}/haproxy.sock`,
      serverStateFile: `${RUN_DIR}/haproxy.state`,
      pidFile: `${RUN_DIR}/haproxy.pid`,
      certDir: `${RUN_DIR}/certs`,
    },
    maxconn: 4000,
    ...over,
  };
}
