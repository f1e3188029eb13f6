// Rows for the Store contract suite: typed factories for the load balancer and its children,
// and samples of any kind generated from schema.ts, so a column added there is exercised here
// without anyone remembering to.
import { randomUUID } from 'node:crypto';
import { TABLES } from '../../src/store/schema.ts';
import type { ColumnType, Entities, Kind } from '../../src/store/schema.ts';
import type { Listener, LoadBalancer, Member, Pool } from '../../src/domain/entities.ts';
import type { Store } from '../../src/store/store.ts';

export const KINDS = Object.keys(TABLES) as Kind[];

/** Values that stress each column type: limits, unicode, quoting, nesting. */
const FULL: Record<ColumnType, (column: string) => unknown> = {
  text: (c) => `${c} välue ✓ 'quoted' "double" \\ back`,
  int: () => 2147483647, // the largest PostgreSQL integer
  bigint: () => Number.MAX_SAFE_INTEGER, // beyond 32 bits; PostgreSQL hands bigint back as a string
  bool: () => true,
  json: (c) => ({ name: c, list: [1, 'two', null, { three: [3.5] }], nested: { ok: true, none: null }, ü: 'ß' }),
  real: () => 1.1,
};

/** The other end of each type: zeros, negatives, empties, false. */
const ALT: Record<ColumnType, (column: string) => unknown> = {
  text: () => '',
  int: () => -2147483648,
  bigint: () => 0,
  bool: () => false,
  json: () => [],
  real: () => -0.5,
};

export type Variant = 'full' | 'alt' | 'nulls';

/** A row of `kind` whose key columns are fresh ids and whose other columns follow `variant`. */
export function sample<K extends Kind>(kind: K, variant: Variant, keys: Record<string, string> = {}): Entities[K] {
  const spec = TABLES[kind];
  const row: Record<string, unknown> = {};
  for (const [column, type] of Object.entries(spec.columns) as [string, ColumnType][]) {
    if (spec.key.includes(column)) row[column] = keys[column] ?? `${kind}-${column}-${randomUUID()}`;
    else if (variant === 'nulls') row[column] = null;
    else row[column] = (variant === 'full' ? FULL : ALT)[type](column);
  }
  return row as unknown as Entities[K];
}

/** The key of a row as a Where, for kinds with composite keys. */
export function keyOf(kind: Kind, row: object): Record<string, unknown> {
  return Object.fromEntries(TABLES[kind].key.map((k) => [k, (row as Record<string, unknown>)[k]]));
}

/** Every non-key column of `row`: a patch that rewrites the whole row. */
export function nonKey(kind: Kind, row: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !TABLES[kind].key.includes(k)));
}

const stamp = '2024-01-02T03:04:05.678Z';

export function loadBalancer(over: Partial<LoadBalancer> = {}): LoadBalancer {
  return {
    id: randomUUID(), project_id: 'p1', name: 'lb', description: null, admin_state_up: true,
    provisioning_status: 'ACTIVE', operating_status: 'ONLINE', tags: [], created_at: stamp, updated_at: null,
    provider: 'amphora', flavor_id: null, availability_zone: null, topology: 'SINGLE',
    vip_address: '198.51.100.1', vip_port_id: randomUUID(), vip_subnet_id: randomUUID(), vip_network_id: randomUUID(),
    vip_qos_policy_id: null, additional_vips: [], generation: 1, applied_generation: 1,
    ...over,
  };
}

export function listener(lb: LoadBalancer, over: Partial<Listener> = {}): Listener {
  return {
    id: randomUUID(), project_id: lb.project_id, name: null, description: null, admin_state_up: true,
    provisioning_status: 'ACTIVE', operating_status: 'ONLINE', tags: [], created_at: stamp, updated_at: null,
    load_balancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, connection_limit: -1, default_pool_id: null,
    default_tls_container_ref: null, sni_container_refs: [], insert_headers: {}, timeout_client_data: 50000,
    timeout_member_connect: 5000, timeout_member_data: 50000, timeout_tcp_inspect: 0,
    client_ca_tls_container_ref: null, client_authentication: 'NONE', client_crl_container_ref: null,
    allowed_cidrs: [], tls_ciphers: null, tls_versions: [], alpn_protocols: [], hsts_max_age: null,
    hsts_include_subdomains: false, hsts_preload: false,
    ...over,
  };
}

export function pool(lb: LoadBalancer, over: Partial<Pool> = {}): Pool {
  return {
    id: randomUUID(), project_id: lb.project_id, name: null, description: null, admin_state_up: true,
    provisioning_status: 'ACTIVE', operating_status: 'ONLINE', tags: [], created_at: stamp, updated_at: null,
    load_balancer_id: lb.id, listener_id: null, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
    session_persistence: null, tls_enabled: false, tls_container_ref: null, ca_tls_container_ref: null,
    crl_container_ref: null, tls_ciphers: null, tls_versions: [], alpn_protocols: [],
    ...over,
  };
}

export function member(p: Pool, over: Partial<Member> = {}): Member {
  return {
    id: randomUUID(), project_id: p.project_id, name: null, description: null, admin_state_up: true,
    provisioning_status: 'ACTIVE', operating_status: 'NO_MONITOR', tags: [], created_at: stamp, updated_at: null,
    load_balancer_id: p.load_balancer_id, pool_id: p.id, address: '192.0.2.10', protocol_port: 8080, weight: 1,
    backup: false, subnet_id: null, monitor_address: null, monitor_port: null,
    ...over,
  };
}

export const sleep = (ms: number) => new Promise((go) => setTimeout(go, ms));

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Ids sorted as the store answers rows: by key, comparing strings code unit by code unit. */
export const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** What one racing transaction did: whether it read ACTIVE before locking, and whether it won. */
export interface Attempt { sawActive: boolean; won: boolean }

/** One write as a service makes it: read the LB, test-and-set it, write the change, hold a while. */
export function attempt(store: Store, lbId: string, hold: number): Promise<Attempt> {
  return store.transaction(async (tx) => {
    const seen = await tx.get('load_balancer', lbId);
    const won = await tx.lockLoadBalancer(lbId, ['ACTIVE'], 'PENDING_UPDATE');
    if (won) {
      await tx.update('load_balancer', lbId, { name: 'winner' });
      await sleep(hold); // keep the lock while the others arrive
    }
    return { sawActive: seen?.provisioning_status === 'ACTIVE', won };
  });
}
