// Pool operations. A pool lives on a load balancer and may be a listener's default pool;
// every write goes through the LB lock and marks the listeners using the pool PENDING_UPDATE.
// Writes to a pool's children (members, health monitor) go through `underPool`.
import { randomUUID } from 'node:crypto';
import { Errors } from '../domain/errors.ts';
import { LISTENER_POOL_PROTOCOLS, OperatingStatus as OS, ProvisioningStatus as PS } from '../domain/enums.ts';
import type { LbAlgorithm, PoolProtocol, SessionPersistenceType } from '../domain/enums.ts';
import { CHILD_MUTABLE } from '../domain/status.ts';
import type { LoadBalancer, Pool, SessionPersistence } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { Store } from '../store/store.ts';
import type { ServiceDeps } from './deps.ts';
import { now } from './deps.ts';
import { load, underLoadBalancer, visible } from './lock.ts';
import { checkQuota } from './quota.ts';
import { checkPoolTlsOnCreate, checkPoolTlsOnUpdate, checkSessionPersistence, POOL_TLS_DEFAULTS, refuseUnservedProtocol } from './pool-rules.ts';
import { insertHealthMonitor } from './healthmonitors.ts';
import { checkPoolRefs } from './tls-refs.ts';
import type { HealthMonitorCreate } from './healthmonitors.ts';
import { insertMembers } from './members.ts';
import type { MemberCreate } from './members.ts';

export interface SessionPersistenceInput {
  type?: SessionPersistenceType | null;
  cookie_name?: string | null;
  persistence_timeout?: number | null;
  persistence_granularity?: string | null;
}

/** Fields a pool body may carry, as the API parses them (null = the client sent null). */
export interface PoolFields {
  name?: string | null;
  description?: string | null;
  admin_state_up?: boolean | null;
  lb_algorithm?: LbAlgorithm | null;
  session_persistence?: SessionPersistenceInput | null;
  tags?: string[] | null;
  tls_enabled?: boolean | null;
  tls_container_ref?: string | null;
  ca_tls_container_ref?: string | null;
  crl_container_ref?: string | null;
  tls_ciphers?: string | null;
  tls_versions?: string[] | null;
  alpn_protocols?: string[] | null;
}

export interface PoolCreate extends PoolFields {
  protocol?: PoolProtocol;
  loadbalancer_id?: string | null;
  listener_id?: string | null;
  healthmonitor?: HealthMonitorCreate | null;
  members?: MemberCreate[] | null;
}

/** A pool with the relations its response shows. */
export interface PoolView {
  pool: Pool;
  listenerIds: string[];
  memberIds: string[];
  healthMonitorId: string | null;
}

export const LVS_PROTOCOLS: readonly PoolProtocol[] = ['UDP', 'SCTP'];

/** The amphora provider (and its alias) refuse what its data plane cannot do; noop accepts anything. */
export function providerChecks(lb: LoadBalancer): boolean {
  return lb.provider !== 'noop';
}

export function providerRefusal(lb: LoadBalancer, why: string) {
  return Errors.notImplemented(`Provider '${lb.provider}' does not support a requested option: ${why}`);
}

/**
 * Octavia's amphora driver refuses SOURCE_IP_PORT; Fulcrum's HAProxy hashes the client's address
 * and port (a superset). The UDP engine hashes addresses only, so UDP and SCTP pools still refuse it.
 */
function checkAlgorithm(lb: LoadBalancer, algorithm: LbAlgorithm | null | undefined, protocol: PoolProtocol): void {
  if (algorithm === 'SOURCE_IP_PORT' && providerChecks(lb) && LVS_PROTOCOLS.includes(protocol)) {
    throw providerRefusal(lb, `Amphora provider does not support ${algorithm} algorithm.`);
  }
}

export async function loadPool(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<Pool> {
  return load(deps.store, ctx, 'pool', id, 'Pool');
}

export async function getPool(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<PoolView> {
  return (await poolViews(deps.store, [await loadPool(deps, ctx, id)]))[0];
}

export async function listPools(deps: ServiceDeps, ctx: RequestContext): Promise<PoolView[]> {
  const pools = await deps.store.find('pool', ctx.isAdmin ? {} : { project_id: ctx.projectId ?? '' });
  return poolViews(deps.store, pools.filter((p) => visible(ctx, p.project_id)));
}

export async function createPool(deps: ServiceDeps, ctx: RequestContext, input: PoolCreate): Promise<PoolView> {
  const { lb, listener } = await placement(deps, ctx, input);
  const protocol = input.protocol as PoolProtocol;
  if (listener) {
    if (listener.protocol === 'PROMETHEUS') {
      throw Errors.invalidOption('Protocol PROMETHEUS listeners cannot have child objects.');
    }
    if (!LISTENER_POOL_PROTOCOLS[listener.protocol].includes(protocol)) {
      throw Errors.validation(`The pool protocol '${protocol}' is invalid while the listener protocol is '${listener.protocol}'.`);
    }
  }
  checkPoolCreate(input);
  const listenerIds = listener ? [listener.id] : [];
  const pool = await underLoadBalancer(deps, lb.id, { listenerIds, child: true }, async (tx, locked) => {
    const row = await insertPool(tx, deps, locked, input, listener?.id ?? null);
    if (input.healthmonitor) await insertHealthMonitor(tx, deps, locked, row, input.healthmonitor);
    if (input.members && input.members.length > 0) {
      await checkQuota(tx, deps.config.quotas, row.project_id, 'member', input.members.length);
      await insertMembers(tx, locked, row, input.members, listenerIds);
    }
    return row;
  });
  deps.log.info({ event: 'pool.create', pool_id: pool.id, load_balancer_id: lb.id, listener_id: listener?.id ?? null });
  return (await poolViews(deps.store, [pool]))[0];
}

/** Which load balancer (and listener) a new pool goes on: either id, or both when they agree. */
async function placement(deps: ServiceDeps, ctx: RequestContext, input: PoolCreate) {
  if (!input.loadbalancer_id && !input.listener_id) {
    throw Errors.validation('Must provide at least one of: loadbalancer_id, listener_id');
  }
  const listener = input.listener_id ? await load(deps.store, ctx, 'listener', input.listener_id, 'Listener') : undefined;
  const lbId = input.loadbalancer_id ?? listener!.load_balancer_id;
  const lb = await load(deps.store, ctx, 'load_balancer', lbId, 'Load Balancer');
  if (lb.provisioning_status === PS.DELETED) throw Errors.notFound('Load Balancer', lbId);
  if (listener && listener.load_balancer_id !== lb.id) {
    throw Errors.validation(`Listener ${listener.id} is not on load balancer ${lb.id}.`);
  }
  return { lb, listener };
}

/**
 * Validates and inserts one pool PENDING_CREATE inside a locked transaction; makes it the
 * default pool of `listenerId` when given. Shared with the load balancer graph create.
 */
export async function insertPool(
  tx: Store, deps: ServiceDeps, lb: LoadBalancer, input: PoolCreate, listenerId: string | null,
): Promise<Pool> {
  const protocol = input.protocol as PoolProtocol;
  const { tlsEnabled, tls } = checkPoolCreate(input);
  await checkQuota(tx, deps.config.quotas, lb.project_id, 'pool');
  if (listenerId) {
    const listener = await tx.get('listener', listenerId);
    if (!listener) throw Errors.notFound('Listener', listenerId);
    if (listener.default_pool_id) throw Errors.conflict('This listener already has a default pool');
  }
  checkAlgorithm(lb, input.lb_algorithm, protocol);
  refuseUnservedProtocol(lb, protocol, 'pool');
  const row: Pool = {
    id: randomUUID(),
    project_id: lb.project_id,
    name: input.name ?? null,
    description: input.description ?? null,
    admin_state_up: input.admin_state_up ?? true,
    provisioning_status: PS.PENDING_CREATE,
    operating_status: OS.OFFLINE,
    tags: input.tags ?? [],
    created_at: now(),
    updated_at: null,
    load_balancer_id: lb.id,
    listener_id: listenerId,
    protocol,
    lb_algorithm: input.lb_algorithm as LbAlgorithm,
    session_persistence: input.session_persistence ? persistence(input.session_persistence) : null,
    tls_enabled: tlsEnabled,
    tls_container_ref: input.tls_container_ref ?? null,
    ca_tls_container_ref: input.ca_tls_container_ref ?? null,
    crl_container_ref: input.crl_container_ref ?? null,
    ...tls,
  };
  await checkPoolRefs(deps.secrets.on(tx), row);
  await tx.insert('pool', row);
  if (listenerId) await tx.update('listener', listenerId, { default_pool_id: row.id });
  return row;
}

/** A new pool's own rules (session persistence, TLS after its defaults), checked before any lock. */
function checkPoolCreate(input: PoolCreate) {
  checkSessionPersistence(input.protocol as PoolProtocol, input.session_persistence, 'create');
  const tlsEnabled = input.tls_enabled ?? false;
  // Octavia fills the TLS defaults only for a TLS-enabled pool; others keep what was sent.
  const tls = {
    tls_ciphers: input.tls_ciphers ?? (tlsEnabled ? POOL_TLS_DEFAULTS.tls_ciphers : null),
    tls_versions: input.tls_versions ?? (tlsEnabled ? [...POOL_TLS_DEFAULTS.tls_versions] : null),
    alpn_protocols: input.alpn_protocols ?? (tlsEnabled ? [...POOL_TLS_DEFAULTS.alpn_protocols] : null),
  };
  checkPoolTlsOnCreate({ ...input, ...tls, tls_enabled: tlsEnabled });
  return { tlsEnabled, tls };
}

function persistence(sp: SessionPersistenceInput): SessionPersistence {
  return {
    type: sp.type as SessionPersistenceType,
    cookie_name: sp.cookie_name ?? null,
    persistence_timeout: sp.persistence_timeout ?? null,
    persistence_granularity: sp.persistence_granularity ?? null,
  };
}

export async function updatePool(deps: ServiceDeps, ctx: RequestContext, id: string, input: PoolFields): Promise<PoolView> {
  const pool = await loadPool(deps, ctx, id);
  const patch = poolPatch(pool, input);
  const listenerIds = await poolListenerIds(deps.store, pool);
  await underLoadBalancer(deps, pool.load_balancer_id, { listenerIds, child: true }, async (tx, lb) => {
    const current = await mutablePool(tx, id);
    checkAlgorithm(lb, input.lb_algorithm, current.protocol);
    if (input.tls_container_ref || input.ca_tls_container_ref || input.crl_container_ref) {
      await checkPoolRefs(deps.secrets.on(tx), { ...current, ...patch });
    }
    await tx.update('pool', id, { ...patch, provisioning_status: PS.PENDING_UPDATE, updated_at: now() });
  });
  deps.log.info({ event: 'pool.update', pool_id: id, load_balancer_id: pool.load_balancer_id });
  return getPool(deps, ctx, id);
}

/** The PUT's changes, after Octavia's rules: null resets TLS versions and ciphers to the defaults. */
function poolPatch(pool: Pool, input: PoolFields): Partial<Pool> {
  const tlsVersions = input.tls_versions === null ? [...POOL_TLS_DEFAULTS.tls_versions] : input.tls_versions;
  const tlsCiphers = input.tls_ciphers === null ? POOL_TLS_DEFAULTS.tls_ciphers : input.tls_ciphers;
  let sp = input.session_persistence;
  // A session persistence without a type keeps the one the pool has.
  if (sp && !sp.type && pool.session_persistence) sp = { ...sp, type: pool.session_persistence.type };
  checkSessionPersistence(pool.protocol, sp, 'update');
  checkPoolTlsOnUpdate(pool, { ...input, tls_versions: tlsVersions, tls_ciphers: tlsCiphers });

  const patch: Partial<Pool> = {};
  const set = <K extends keyof Pool>(key: K, value: Pool[K] | undefined) => {
    if (value !== undefined) patch[key] = value;
  };
  set('name', input.name);
  set('description', input.description);
  // Octavia reads a null admin_state_up as false.
  if (input.admin_state_up !== undefined) patch.admin_state_up = input.admin_state_up ?? false;
  set('lb_algorithm', input.lb_algorithm ?? undefined);
  set('tags', input.tags ?? undefined);
  set('tls_enabled', input.tls_enabled ?? undefined);
  set('tls_container_ref', input.tls_container_ref);
  set('ca_tls_container_ref', input.ca_tls_container_ref);
  set('crl_container_ref', input.crl_container_ref);
  set('tls_ciphers', tlsCiphers);
  set('tls_versions', tlsVersions);
  set('alpn_protocols', input.alpn_protocols);
  if (sp !== undefined) patch.session_persistence = sp === null ? null : persistence(sp);
  return patch;
}

export async function deletePool(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<void> {
  const pool = await loadPool(deps, ctx, id);
  await refuseIfRedirected(deps.store, id);
  const listenerIds = await poolListenerIds(deps.store, pool);
  await underLoadBalancer(deps, pool.load_balancer_id, { listenerIds, child: true }, async (tx) => {
    await mutablePool(tx, id);
    await refuseIfRedirected(tx, id);
    // The members and health monitor go with the pool, and no listener may keep pointing at
    // it: the worker removes PENDING_DELETE rows only, so all of it is marked here.
    const pending = { provisioning_status: PS.PENDING_DELETE, updated_at: now() };
    await tx.update('pool', id, pending);
    await tx.updateWhere('member', { pool_id: id }, pending);
    await tx.updateWhere('health_monitor', { pool_id: id }, pending);
    await tx.updateWhere('listener', { default_pool_id: id }, { default_pool_id: null });
  });
  deps.log.info({ event: 'pool.delete', pool_id: id, load_balancer_id: pool.load_balancer_id });
}

async function refuseIfRedirected(store: Store, poolId: string): Promise<void> {
  const [policy] = await store.find('l7policy', { redirect_pool_id: poolId });
  if (policy) throw Errors.conflict(`Pool ${poolId} is in use by L7 policy ${policy.id}`);
}

/** A pool may be changed from ACTIVE or ERROR only; PENDING_* is immutable. */
async function mutablePool(tx: Store, id: string): Promise<Pool> {
  const current = await tx.get('pool', id);
  if (!current) throw Errors.notFound('Pool', id);
  if (!CHILD_MUTABLE.includes(current.provisioning_status)) throw Errors.immutable('Pool', id);
  return current;
}

/**
 * The write path for a pool's members and health monitor, as Octavia locks them: the pool
 * itself must be ACTIVE; the LB, the listeners using the pool and the pool go PENDING_UPDATE.
 */
export async function underPool<T>(
  deps: ServiceDeps, pool: Pool,
  change: (tx: Store, lb: LoadBalancer, pool: Pool, listenerIds: string[]) => Promise<T>,
): Promise<T> {
  // Octavia checks the pool before it tries the LB lock, on a fresh read: a member write that
  // meets another one still applying is refused for the pool, not for the load balancer.
  const fresh = await deps.store.get('pool', pool.id);
  if ((fresh ?? pool).provisioning_status !== PS.ACTIVE) throw Errors.immutable('Pool', pool.id);
  const listenerIds = await poolListenerIds(deps.store, pool);
  return underLoadBalancer(deps, pool.load_balancer_id, { listenerIds, child: true }, async (tx, lb) => {
    const current = await tx.get('pool', pool.id);
    if (!current) throw Errors.notFound('Pool', pool.id);
    if (current.provisioning_status !== PS.ACTIVE) throw Errors.immutable('Pool', pool.id);
    await tx.update('pool', pool.id, { provisioning_status: PS.PENDING_UPDATE, updated_at: now() });
    return change(tx, lb, current, listenerIds);
  });
}

/**
 * The listeners using a pool, as Octavia's Pool.listeners: those whose default pool it is,
 * then those with an enabled L7 policy that redirects to it and has at least one rule.
 */
export async function poolListenerIds(store: Store, pool: Pool): Promise<string[]> {
  return (await listenersByPool(store, [pool.id])).get(pool.id) ?? [];
}

async function listenersByPool(store: Store, poolIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(poolIds.map((id) => [id, []]));
  if (poolIds.length === 0) return out;
  const [defaults, policies] = await Promise.all([
    store.find('listener', { default_pool_id: poolIds }),
    store.find('l7policy', { redirect_pool_id: poolIds, admin_state_up: true }),
  ]);
  const ruled = new Set(policies.length === 0 ? [] : (await store.find('l7rule', { l7policy_id: policies.map((p) => p.id) })).map((r) => r.l7policy_id));
  const add = (poolId: string, listenerId: string) => {
    const ids = out.get(poolId);
    if (ids && !ids.includes(listenerId)) ids.push(listenerId);
  };
  for (const l of byCreation(defaults)) add(l.default_pool_id as string, l.id);
  for (const p of byCreation(policies)) if (ruled.has(p.id)) add(p.redirect_pool_id as string, p.listener_id);
  return out;
}

/** Each pool with its listeners, members and health monitor, for the response bodies. */
export async function poolViews(store: Store, pools: Pool[]): Promise<PoolView[]> {
  const ids = pools.map((p) => p.id);
  if (ids.length === 0) return [];
  const [listeners, members, monitors] = await Promise.all([
    listenersByPool(store, ids), store.find('member', { pool_id: ids }), store.find('health_monitor', { pool_id: ids }),
  ]);
  return pools.map((pool) => ({
    pool,
    listenerIds: listeners.get(pool.id) ?? [],
    memberIds: byCreation(members.filter((m) => m.pool_id === pool.id)).map((m) => m.id),
    healthMonitorId: monitors.find((hm) => hm.pool_id === pool.id)?.id ?? null,
  }));
}

function byCreation<T extends { created_at: string; id: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (a.created_at === b.created_at ? (a.id < b.id ? -1 : 1) : a.created_at < b.created_at ? -1 : 1));
}

