// L7 policy operations. A policy lives on a listener; every write locks its load balancer and
// marks the listener PENDING_UPDATE, as Octavia does. Positions stay 1..n per listener: a
// create inserts (default: appends), an update may move, and reads rank the stored order so
// a policy the worker removed leaves no gap.
import { randomUUID } from 'node:crypto';
import { Errors } from '../domain/errors.ts';
import { LISTENER_POOL_PROTOCOLS, OperatingStatus as OS, ProvisioningStatus as PS } from '../domain/enums.ts';
import type { L7PolicyAction } from '../domain/enums.ts';
import {
  L7_LISTENER_PROTOCOLS, MAX_L7RULES_PER_L7POLICY, MAX_POLICY_POSITION, insertAt, l7RuleProblem, moveTo,
  policyOrder, positionsOf, resolvePolicyTarget,
} from '../domain/l7.ts';
import type { PolicyTarget } from '../domain/l7.ts';
import { isPending } from '../domain/status.ts';
import type { L7Policy, L7Rule, Listener, LoadBalancer } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { Store } from '../store/store.ts';
import type { ServiceDeps } from './deps.ts';
import { now } from './deps.ts';
import { load, underLoadBalancer, visible } from './lock.ts';
import { checkQuota } from './quota.ts';
import { newL7Rule } from './l7rules.ts';
import type { L7RuleCreate } from './l7rules.ts';

/** Fields a policy body may carry, as the API parses them (null = the client sent null). */
export interface L7PolicyFields {
  name?: string | null;
  description?: string | null;
  admin_state_up?: boolean | null;
  action?: L7PolicyAction | null;
  redirect_pool_id?: string | null;
  redirect_url?: string | null;
  redirect_prefix?: string | null;
  redirect_http_code?: number | null;
  position?: number | null;
  tags?: string[] | null;
}

export interface L7PolicyCreate extends L7PolicyFields {
  listener_id?: string;
  /** Rules created with the policy, in the same transaction. */
  rules?: L7RuleCreate[] | null;
}

/** A policy with its rank on its listener and its rules' ids, as responses show it. */
export interface L7PolicyView {
  policy: L7Policy;
  position: number;
  ruleIds: string[];
}

/** Providers that carry L7 policies to HAProxy, which matches them on HTTP listeners only. */
const AMPHORA_PROVIDERS = ['amphora', 'octavia'];

export async function createL7Policy(deps: ServiceDeps, ctx: RequestContext, input: L7PolicyCreate): Promise<L7PolicyView> {
  const listener = await load(deps.store, ctx, 'listener', input.listener_id as string, 'Listener');
  // Octavia answers every 400 before it locks the load balancer.
  await checkL7Policy(deps.store, listener, input);
  const policy = await underLoadBalancer(deps, listener.load_balancer_id, { listenerIds: [listener.id], child: true }, async (tx, lb) => {
    await checkQuota(tx, deps.config.quotas, lb.project_id, 'l7policy');
    if (input.rules?.length) await checkQuota(tx, deps.config.quotas, lb.project_id, 'l7rule', input.rules.length);
    const created = await insertL7Policy(tx, lb, listener, input);
    if (AMPHORA_PROVIDERS.includes(lb.provider) && !L7_LISTENER_PROTOCOLS.includes(listener.protocol)) {
      throw Errors.notImplemented(`Provider '${lb.provider}' does not support a requested option: `
        + `${listener.protocol} protocol listeners do not support L7 policies`);
    }
    return created;
  });
  deps.log.info({ event: 'l7policy.create', l7policy_id: policy.id, listener_id: listener.id, load_balancer_id: policy.load_balancer_id });
  return view(deps.store, policy);
}

/**
 * Validates and inserts one policy (and the rules it names) on a listener of an already
 * locked load balancer. Exported for the fully populated load balancer create.
 */
export async function insertL7Policy(tx: Store, lb: LoadBalancer, listener: Listener, input: L7PolicyCreate): Promise<L7Policy> {
  const target = await checkL7Policy(tx, listener, input);
  if (target.redirect_pool_id) await checkSameLoadBalancer(tx, lb, target.redirect_pool_id);
  const id = randomUUID();
  if ((input.rules?.length ?? 0) > MAX_L7RULES_PER_L7POLICY) throw Errors.tooManyL7Rules(id);
  const stamp = now();
  const policy: L7Policy = {
    id,
    project_id: lb.project_id,
    name: input.name ?? null,
    description: input.description ?? null,
    // As Octavia: an explicit null reads as false, an absent field as true.
    admin_state_up: input.admin_state_up === null ? false : (input.admin_state_up ?? true),
    provisioning_status: PS.PENDING_CREATE,
    operating_status: OS.OFFLINE,
    tags: input.tags ?? [],
    created_at: stamp,
    updated_at: null,
    load_balancer_id: lb.id,
    listener_id: listener.id,
    ...target,
    position: MAX_POLICY_POSITION,
  };
  const siblings = await tx.find('l7policy', { listener_id: listener.id });
  const order = insertAt(policyOrder(siblings), policy.id, input.position ?? MAX_POLICY_POSITION);
  await tx.insert('l7policy', { ...policy, position: order.indexOf(policy.id) + 1 });
  await renumber(tx, siblings, order);
  for (const rule of input.rules ?? []) await tx.insert('l7rule', newL7Rule(lb, policy.id, rule));
  return (await tx.get('l7policy', policy.id)) as L7Policy;
}

/** The checks Octavia makes before it touches the database; answers the resolved target. */
async function checkL7Policy(store: Store, listener: Listener, input: L7PolicyCreate): Promise<PolicyTarget> {
  if (listener.protocol === 'PROMETHEUS') {
    throw Errors.invalidOption('Protocol PROMETHEUS listeners cannot have child objects.');
  }
  if (input.redirect_pool_id) await checkPoolProtocol(store, listener, input.redirect_pool_id);
  const target = resolvePolicyTarget(null, input);
  const rules = input.rules ?? [];
  for (const rule of rules) {
    const problem = l7RuleProblem({ type: rule.type ?? null, compare_type: rule.compare_type ?? null, key: rule.key ?? null, value: rule.value ?? null });
    if (problem) throw Errors.l7Rule(problem);
  }
  return target;
}

export async function getL7Policy(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<L7PolicyView> {
  return view(deps.store, await load(deps.store, ctx, 'l7policy', id, 'L7 Policy'));
}

export async function listL7Policies(deps: ServiceDeps, ctx: RequestContext): Promise<L7PolicyView[]> {
  const all = await deps.store.find('l7policy', ctx.isAdmin ? {} : { project_id: ctx.projectId ?? '' });
  const mine = all.filter((p) => visible(ctx, p.project_id));
  const rules = mine.length === 0 ? [] : await deps.store.find('l7rule', { l7policy_id: mine.map((p) => p.id) });
  const ranks = ranksOf(mine);
  const ruleIds = ruleIdsByPolicy(rules);
  return mine.map((policy) => ({ policy, position: ranks.get(policy.id) ?? policy.position, ruleIds: ruleIds.get(policy.id) ?? [] }));
}

export async function updateL7Policy(deps: ServiceDeps, ctx: RequestContext, id: string, input: L7PolicyFields): Promise<L7PolicyView> {
  const current = await load(deps.store, ctx, 'l7policy', id, 'L7 Policy');
  if (Object.values(input).every((v) => v === undefined)) throw Errors.l7PolicyArgs('Invalid update options');
  resolvePolicyTarget(current, input); // its 400s come before the lock's 409, as in Octavia
  const listener = await deps.store.get('listener', current.listener_id);
  if (!listener) throw Errors.notFound('Listener', current.listener_id);
  // The pool is checked only when it survives the resolution: REJECT or a URL action drops it.
  const poolId = input.action === undefined || input.action === 'REDIRECT_TO_POOL' ? input.redirect_pool_id : null;
  if (poolId) await checkPoolProtocol(deps.store, listener, poolId);
  if (isPending(current.provisioning_status)) throw Errors.immutable('L7Policy', id);
  const policy = await underLoadBalancer(deps, current.load_balancer_id, { listenerIds: [listener.id], child: true }, async (tx, lb) => {
    if (poolId) await checkSameLoadBalancer(tx, lb, poolId);
    const fresh = await tx.get('l7policy', id);
    if (!fresh) throw Errors.notFound('L7 Policy', id);
    await tx.update('l7policy', id, {
      ...resolvePolicyTarget(fresh, input),
      ...definedOnly({ name: input.name, description: input.description }),
      // Octavia reads an explicit null as false, and as "no tags".
      ...(input.admin_state_up !== undefined ? { admin_state_up: input.admin_state_up ?? false } : {}),
      ...(input.tags !== undefined ? { tags: input.tags ?? [] } : {}),
      provisioning_status: PS.PENDING_UPDATE,
      updated_at: now(),
    });
    if (input.position !== undefined && input.position !== null) {
      const siblings = await tx.find('l7policy', { listener_id: listener.id });
      await renumber(tx, siblings, moveTo(policyOrder(siblings), id, input.position));
    }
    return (await tx.get('l7policy', id)) as L7Policy;
  });
  deps.log.info({ event: 'l7policy.update', l7policy_id: id, load_balancer_id: policy.load_balancer_id });
  return view(deps.store, policy);
}

export async function deleteL7Policy(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<void> {
  const current = await load(deps.store, ctx, 'l7policy', id, 'L7 Policy');
  if (isPending(current.provisioning_status)) throw Errors.immutable('L7Policy', id);
  await underLoadBalancer(deps, current.load_balancer_id, { listenerIds: [current.listener_id], child: true }, async (tx) => {
    // The worker removes PENDING_DELETE rows only, so the policy's rules are marked with it.
    const pending = { provisioning_status: PS.PENDING_DELETE, updated_at: now() };
    await tx.update('l7policy', id, pending);
    await tx.updateWhere('l7rule', { l7policy_id: id }, pending);
  });
  deps.log.info({ event: 'l7policy.delete', l7policy_id: id, load_balancer_id: current.load_balancer_id });
}

/** The redirect pool must exist and speak a protocol the listener can forward to. */
async function checkPoolProtocol(store: Store, listener: Listener, poolId: string): Promise<void> {
  const pool = await store.get('pool', poolId);
  if (!pool) throw Errors.notFound('Pool', poolId);
  if (!LISTENER_POOL_PROTOCOLS[listener.protocol].includes(pool.protocol)) {
    throw Errors.validation(`The pool protocol '${pool.protocol}' is invalid while the listener protocol is '${listener.protocol}'.`);
  }
}

/** ...and belong to the policy's load balancer and project; another LB's pool is "not found". */
async function checkSameLoadBalancer(tx: Store, lb: LoadBalancer, poolId: string): Promise<void> {
  const pool = await tx.get('pool', poolId);
  if (!pool || pool.load_balancer_id !== lb.id || pool.project_id !== lb.project_id) throw Errors.notFound('Pool', poolId);
}

/** Stores positions 1..n for `order`, writing only the rows whose position changed. */
async function renumber(tx: Store, policies: L7Policy[], order: string[]): Promise<void> {
  const positions = positionsOf(order);
  for (const p of policies) {
    const position = positions.get(p.id);
    if (position !== undefined && position !== p.position) await tx.update('l7policy', p.id, { position });
  }
}

async function view(store: Store, policy: L7Policy): Promise<L7PolicyView> {
  const [siblings, rules] = await Promise.all([
    store.find('l7policy', { listener_id: policy.listener_id }),
    store.find('l7rule', { l7policy_id: policy.id }),
  ]);
  const position = ranksOf(siblings).get(policy.id) ?? policy.position;
  return { policy, position, ruleIds: ruleIdsByPolicy(rules).get(policy.id) ?? [] };
}

/** Each policy's 1-based rank among its listener's policies. */
function ranksOf(policies: L7Policy[]): Map<string, number> {
  const byListener = new Map<string, L7Policy[]>();
  for (const p of policies) byListener.set(p.listener_id, [...(byListener.get(p.listener_id) ?? []), p]);
  const ranks = new Map<string, number>();
  for (const group of byListener.values()) for (const [id, rank] of positionsOf(policyOrder(group))) ranks.set(id, rank);
  return ranks;
}

function ruleIdsByPolicy(rules: L7Rule[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const sorted = [...rules].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
  for (const r of sorted) out.set(r.l7policy_id, [...(out.get(r.l7policy_id) ?? []), r.id]);
  return out;
}

function definedOnly<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}
