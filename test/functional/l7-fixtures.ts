// Listeners and pools for the L7 tests, written straight to the store as ACTIVE rows so the
// L7 suites depend on nothing but the load balancer API and their own resources.
import { randomUUID } from 'node:crypto';
import type { TestApp } from '../kit/app.ts';
import type { Listener, Pool } from '../../src/domain/entities.ts';
import type { ListenerProtocol, PoolProtocol } from '../../src/domain/enums.ts';

let nextPort = 1000;

const owned = (lb: { id: string; project_id: string }) => ({
  id: randomUUID(), project_id: lb.project_id, name: null, description: null, admin_state_up: true,
  provisioning_status: 'ACTIVE' as const, operating_status: 'ONLINE' as const, tags: [],
  created_at: new Date().toISOString(), updated_at: null, load_balancer_id: lb.id,
});

export async function addListener(app: TestApp, lb: { id: string; project_id: string }, protocol: ListenerProtocol = 'HTTP'): Promise<Listener> {
  const listener: Listener = {
    ...owned(lb), protocol, protocol_port: nextPort++, connection_limit: -1, default_pool_id: null,
    default_tls_container_ref: null, sni_container_refs: [], insert_headers: {}, timeout_client_data: 50000,
    timeout_member_connect: 5000, timeout_member_data: 50000, timeout_tcp_inspect: 0,
    client_ca_tls_container_ref: null, client_authentication: 'NONE', client_crl_container_ref: null,
    allowed_cidrs: [], tls_ciphers: null, tls_versions: [], alpn_protocols: [], hsts_max_age: null,
    hsts_include_subdomains: false, hsts_preload: false,
  };
  await app.runtime.store.insert('listener', listener);
  return listener;
}

export async function addPool(app: TestApp, lb: { id: string; project_id: string }, protocol: PoolProtocol = 'HTTP'): Promise<Pool> {
  const pool: Pool = {
    ...owned(lb), listener_id: null, protocol, lb_algorithm: 'ROUND_ROBIN', session_persistence: null,
    tls_enabled: false, tls_container_ref: null, ca_tls_container_ref: null, crl_container_ref: null,
    tls_ciphers: null, tls_versions: [], alpn_protocols: [],
  };
  await app.runtime.store.insert('pool', pool);
  return pool;
}

/** Sets a row's provisioning status behind the API's back (Octavia's tests do the same). */
export async function setStatus(app: TestApp, kind: 'load_balancer' | 'listener' | 'l7policy' | 'l7rule', id: string, status: string) {
  await app.runtime.store.update(kind, id, { provisioning_status: status as any });
}

export const MISSING = '00000000-0000-4000-8000-00000000dead';
