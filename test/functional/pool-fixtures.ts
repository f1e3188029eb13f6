// Fixtures for the pool, member and health monitor suites. Listeners and L7 policies are
// written straight to the store as ACTIVE rows, so these suites depend on nothing but the
// load balancer API and their own resources.
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import type { TestApp } from '../kit/app.ts';
import type { L7Policy, Listener } from '../../src/domain/entities.ts';
import type { ListenerProtocol } from '../../src/domain/enums.ts';

let nextPort = 2000;

type LbRef = { id: string; project_id: string };

const owned = (lb: LbRef) => ({
  id: randomUUID(), project_id: lb.project_id, name: null, description: null, admin_state_up: true,
  provisioning_status: 'ACTIVE' as const, operating_status: 'ONLINE' as const, tags: [],
  created_at: new Date().toISOString(), updated_at: null, load_balancer_id: lb.id,
});

export async function addListener(app: TestApp, lb: LbRef, protocol: ListenerProtocol = 'HTTP'): Promise<Listener> {
  const listener = {
    ...owned(lb), protocol, protocol_port: nextPort++, connection_limit: -1, default_pool_id: null,
    default_tls_container_ref: null, sni_container_refs: [], insert_headers: {}, timeout_client_data: 50000,
    timeout_member_connect: 5000, timeout_member_data: 50000, timeout_tcp_inspect: 0,
    client_ca_tls_container_ref: null, client_authentication: 'NONE', client_crl_container_ref: null,
    allowed_cidrs: [], tls_ciphers: null, tls_versions: [], alpn_protocols: [], hsts_max_age: null,
    hsts_include_subdomains: false, hsts_preload: false,
  } as Listener;
  await app.runtime.store.insert('listener', listener);
  return listener;
}

/** An L7 policy redirecting to `poolId`, with `rules` rules (Octavia counts a policy's listener only when it has one). */
export async function addRedirect(
  app: TestApp, lb: LbRef, listenerId: string, poolId: string, opts: { rules?: number; enabled?: boolean } = {},
): Promise<L7Policy> {
  const policy = {
    ...owned(lb), admin_state_up: opts.enabled ?? true, listener_id: listenerId, action: 'REDIRECT_TO_POOL',
    position: 1, redirect_pool_id: poolId, redirect_url: null, redirect_prefix: null, redirect_http_code: null,
  } as L7Policy;
  await app.runtime.store.insert('l7policy', policy);
  for (let i = 0; i < (opts.rules ?? 1); i++) {
    await app.runtime.store.insert('l7rule', {
      ...owned(lb), l7policy_id: policy.id, type: 'PATH', compare_type: 'STARTS_WITH', key: null, value: `/p${i}`, invert: false,
    });
  }
  return policy;
}

/** Sets a row's provisioning status behind the API's back (Octavia's tests do the same). */
export async function setStatus(
  app: TestApp, kind: 'load_balancer' | 'listener' | 'pool' | 'member' | 'health_monitor', id: string, status: string,
) {
  await app.runtime.store.update(kind, id, { provisioning_status: status as any });
}

export async function status(app: TestApp, kind: 'load_balancer' | 'listener' | 'pool' | 'member' | 'health_monitor', id: string) {
  return (await app.runtime.store.get(kind, id))?.provisioning_status;
}

/** Creates a pool through the API and waits until everything is ACTIVE again. */
export async function activePool(app: TestApp, body: Record<string, unknown>, project = 'p1') {
  const res = await app.req('POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', ...body } }, project);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await app.settle();
  return res.body.pool;
}

/** Asserts an Octavia fault body with this status (and faultstring, when given). */
export function assertFault(res: { status: number; body: any }, code: number, message?: string | RegExp) {
  assert.equal(res.status, code, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body).sort(), ['debuginfo', 'faultcode', 'faultstring']);
  if (typeof message === 'string') assert.equal(res.body.faultstring, message);
  else if (message) assert.match(res.body.faultstring, message);
}

/**
 * A 404 from Octavia's HTTP layer, not a fault body: a sub-resource path under a pool or L7
 * policy that does not exist. Without an Accept header the body is webob's plain text.
 */
export function assertParent404(res: { status: number; body: any; headers?: Record<string, unknown> }, message: string) {
  assert.equal(res.status, 404, JSON.stringify(res.body));
  assert.match(String(res.headers?.['content-type'] ?? ''), /^text\/plain/);
  assert.equal(res.body, `404 Bad Request\n\nThe server could not comply with the request since it is either malformed or otherwise incorrect.\n\n ${message}  `);
}

export const MISSING = '00000000-0000-4000-8000-00000000beef';
/** The loopback subnet every deployment starts with. */
export const KNOWN_SUBNET = '6f1c7a2e-3b8d-4c51-9e0a-0f00fa11c0df';
