// The fully populated load balancer create: one POST carries listeners, pools, members,
// health monitors, L7 policies and rules. Everything is validated and inserted in the load
// balancer's creating transaction, so a refusal anywhere writes nothing. Nested pools are
// named: a full definition is created once, a name-only one refers to it (as Octavia).
import { Errors } from '../domain/errors.ts';
import type { HealthMonitor, L7Rule, LoadBalancer, Member } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { Store } from '../store/store.ts';
import type { ServiceDeps } from './deps.ts';
import { childIds, createLoadBalancer } from './loadbalancers.ts';
import type { LoadBalancerCreate } from './loadbalancers.ts';
import { insertPool, poolViews } from './pools.ts';
import type { PoolCreate, PoolView } from './pools.ts';
import { insertHealthMonitor } from './healthmonitors.ts';
import { insertMembers } from './members.ts';
import { getListener, insertListener } from './listeners.ts';
import type { ListenerCreate, ListenerView } from './listeners.ts';
import { getL7Policy, insertL7Policy } from './l7policies.ts';
import type { L7PolicyCreate, L7PolicyView } from './l7policies.ts';
import { checkQuota } from './quota.ts';

export type GraphPool = Omit<PoolCreate, 'listener_id' | 'loadbalancer_id'>;
export interface GraphPolicy extends Omit<L7PolicyCreate, 'listener_id'> {
  redirect_pool?: GraphPool;
}
export interface GraphListener extends Omit<ListenerCreate, 'loadbalancer_id'> {
  default_pool?: GraphPool;
  l7policies?: GraphPolicy[];
}

export interface LoadBalancerGraphView {
  loadBalancer: LoadBalancer;
  listenerIds: string[];
  poolIds: string[];
  listeners: (ListenerView & { l7policies: (L7PolicyView & { rules: L7Rule[] })[] })[];
  pools: (PoolView & { members: Member[]; healthMonitor: HealthMonitor | null })[];
}

const NOT_A_DEFINITION = new Set(['name', 'admin_state_up', 'tls_enabled']);

export async function createLoadBalancerGraph(
  deps: ServiceDeps, ctx: RequestContext, input: LoadBalancerCreate,
  listeners: GraphListener[], pools: GraphPool[],
): Promise<LoadBalancerGraphView> {
  const definitions = hoistPools(listeners, pools);
  // The answer shows the graph as committed (PENDING_CREATE throughout, as Octavia's 201), so
  // the worker is woken only once it has been read: a fast driver would otherwise settle the
  // graph before the response is built.
  const woken: string[] = [];
  const lb = await createLoadBalancer({ ...deps, wake: (id) => woken.push(id) }, ctx, input, async (tx, created) => {
    if (definitions.length === 0 && listeners.length === 0) return;
    const poolIds = await insertPools(tx, deps, created, definitions);
    await checkQuota(tx, deps.config.quotas, created.project_id, 'listener', listeners.length);
    for (const li of listeners) await insertGraphListener(tx, deps, created, li, poolIds);
  });
  try {
    return await graphView(deps, ctx, lb);
  } finally {
    for (const id of woken) deps.wake(id);
  }
}

/** Moves every full pool definition to the top level and checks that references resolve. */
function hoistPools(listeners: GraphListener[], pools: GraphPool[]): GraphPool[] {
  const definitions = [...pools];
  const references = new Set<string>();
  const visit = (pool: GraphPool | undefined) => {
    if (!pool) return;
    if (!pool.name) throw Errors.validation('Pools must be named when creating a fully populated loadbalancer.');
    if (isDefinition(pool)) definitions.push(pool);
    else references.add(pool.name);
  };
  for (const li of listeners) {
    visit(li.default_pool);
    for (const policy of li.l7policies ?? []) visit(policy.redirect_pool);
  }
  const names = definitions.map((p) => p.name);
  if (new Set(names).size !== names.length) {
    throw Errors.validation('Pool names must be unique when creating a fully populated loadbalancer.');
  }
  for (const ref of references) {
    if (!names.includes(ref)) throw Errors.validation(`Pool '${ref}' was referenced but no full definition was found.`);
  }
  return definitions;
}

function isDefinition(pool: GraphPool): boolean {
  return Object.entries(pool).some(([k, v]) => !NOT_A_DEFINITION.has(k) && v !== undefined);
}

async function insertPools(tx: Store, deps: ServiceDeps, lb: LoadBalancer, pools: GraphPool[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const p of pools) {
    for (const attr of ['protocol', 'lb_algorithm'] as const) {
      if (!p[attr]) throw Errors.validation(`Pool definition for '${p.name ?? ''}' missing required attribute: ${attr}`);
    }
    const pool = await insertPool(tx, deps, lb, p, null);
    if (p.healthmonitor) await insertHealthMonitor(tx, deps, lb, pool, p.healthmonitor);
    if (p.members && p.members.length > 0) {
      await checkQuota(tx, deps.config.quotas, lb.project_id, 'member', p.members.length);
      await insertMembers(tx, lb, pool, p.members, []);
    }
    if (p.name) ids.set(p.name, pool.id);
  }
  return ids;
}

async function insertGraphListener(tx: Store, deps: ServiceDeps, lb: LoadBalancer, li: GraphListener, poolIds: Map<string, string>) {
  const { default_pool, l7policies, ...fields } = li;
  const listener = await insertListener(tx, lb, {
    ...fields,
    loadbalancer_id: lb.id,
    default_pool_id: default_pool?.name ? poolIds.get(default_pool.name) : fields.default_pool_id,
  }, deps.secrets);
  for (const { redirect_pool, ...policy } of l7policies ?? []) {
    const redirect = redirect_pool?.name ? poolIds.get(redirect_pool.name) : policy.redirect_pool_id;
    await insertL7Policy(tx, lb, listener, { ...policy, listener_id: listener.id, redirect_pool_id: redirect });
  }
}

async function graphView(deps: ServiceDeps, ctx: RequestContext, lb: LoadBalancer): Promise<LoadBalancerGraphView> {
  const ids = (await childIds(deps.store, [lb.id])).get(lb.id)!;
  const graph = (await deps.store.graph(lb.id))!;
  const byCreation = <T extends { created_at: string; id: string }>(rows: T[]) =>
    [...rows].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  const listeners = await Promise.all(byCreation(graph.listeners).map(async (l) => {
    const view = await getListener(deps, ctx, l.id);
    const l7policies = await Promise.all(view.l7policyIds.map(async (id) => {
      const policy = await getL7Policy(deps, ctx, id);
      return { ...policy, rules: byCreation(graph.l7rules.filter((r) => r.l7policy_id === id)) };
    }));
    return { ...view, l7policies };
  }));
  const pools = (await poolViews(deps.store, byCreation(graph.pools))).map((view) => ({
    ...view,
    members: byCreation(graph.members.filter((m) => m.pool_id === view.pool.id)),
    healthMonitor: graph.healthMonitors.find((hm) => hm.pool_id === view.pool.id) ?? null,
  }));
  return { loadBalancer: graph.loadBalancer, ...ids, listeners, pools };
}
