// L7 rule operations, under /l7policies/{l7policy_id}/rules. As Octavia: a rule write needs
// its policy ACTIVE, and marks the load balancer, the listener and the policy PENDING_UPDATE;
// a rule is validated whole (after merging an update) by the domain's L7 rule rules.
import { randomUUID } from 'node:crypto';
import { Errors } from '../domain/errors.ts';
import { OperatingStatus as OS, ProvisioningStatus as PS } from '../domain/enums.ts';
import type { L7CompareType, L7RuleType } from '../domain/enums.ts';
import { MAX_L7RULES_PER_L7POLICY, l7RuleProblem } from '../domain/l7.ts';
import { isPending } from '../domain/status.ts';
import type { L7Policy, L7Rule, LoadBalancer } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { Store } from '../store/store.ts';
import type { ServiceDeps } from './deps.ts';
import { now } from './deps.ts';
import { underLoadBalancer, visible } from './lock.ts';
import { checkQuota } from './quota.ts';

/** Fields a rule body may carry, as the API parses them (null = the client sent null). */
export interface L7RuleFields {
  type?: L7RuleType | null;
  compare_type?: L7CompareType | null;
  key?: string | null;
  value?: string | null;
  invert?: boolean | null;
  admin_state_up?: boolean | null;
  tags?: string[] | null;
}

export type L7RuleCreate = L7RuleFields;

export async function createL7Rule(deps: ServiceDeps, ctx: RequestContext, policyId: string, input: L7RuleCreate): Promise<L7Rule> {
  const policy = await owningPolicy(deps.store, ctx, policyId);
  checkRule(input);
  if ((await deps.store.count('l7rule', { l7policy_id: policyId })) >= MAX_L7RULES_PER_L7POLICY) {
    throw Errors.tooManyL7Rules(policyId);
  }
  const rule = await underPolicy(deps, policy, async (tx, lb) => {
    await checkQuota(tx, deps.config.quotas, lb.project_id, 'l7rule');
    if ((await tx.count('l7rule', { l7policy_id: policyId })) >= MAX_L7RULES_PER_L7POLICY) throw Errors.tooManyL7Rules(policyId);
    const row = newL7Rule(lb, policyId, input);
    await tx.insert('l7rule', row);
    return row;
  });
  deps.log.info({ event: 'l7rule.create', l7rule_id: rule.id, l7policy_id: policyId, load_balancer_id: rule.load_balancer_id });
  return rule;
}

/** A new rule row, PENDING_CREATE and OFFLINE as Octavia prepares it. Exported for policy creates. */
export function newL7Rule(lb: LoadBalancer, policyId: string, input: L7RuleCreate): L7Rule {
  return {
    id: randomUUID(),
    project_id: lb.project_id,
    name: null,
    description: null,
    // As Octavia: an explicit null reads as false, an absent field as true.
    admin_state_up: input.admin_state_up === null ? false : (input.admin_state_up ?? true),
    provisioning_status: PS.PENDING_CREATE,
    operating_status: OS.OFFLINE,
    tags: input.tags ?? [],
    created_at: now(),
    updated_at: null,
    load_balancer_id: lb.id,
    l7policy_id: policyId,
    type: input.type as L7RuleType,
    compare_type: input.compare_type as L7CompareType,
    key: input.key ?? null,
    value: input.value as string,
    invert: input.invert ?? false,
  };
}

export async function getL7Rule(deps: ServiceDeps, ctx: RequestContext, policyId: string, id: string): Promise<L7Rule> {
  await existingPolicy(deps.store, policyId);
  return ruleOf(deps.store, ctx, policyId, id);
}

export async function listL7Rules(deps: ServiceDeps, ctx: RequestContext, policyId: string): Promise<L7Rule[]> {
  await owningPolicy(deps.store, ctx, policyId);
  return deps.store.find('l7rule', { l7policy_id: policyId });
}

export async function updateL7Rule(
  deps: ServiceDeps, ctx: RequestContext, policyId: string, id: string, input: L7RuleFields,
): Promise<L7Rule> {
  const policy = await existingPolicy(deps.store, policyId);
  const current = await ruleOf(deps.store, ctx, policyId, id);
  const patch = rulePatch(input);
  checkRule({ ...current, ...patch });
  if (isPending(current.provisioning_status)) throw Errors.immutable('L7Rule', id);
  const rule = await underPolicy(deps, policy, async (tx) => {
    const fresh = await tx.get('l7rule', id);
    if (!fresh) throw Errors.notFound('L7 Rule', id);
    checkRule({ ...fresh, ...patch });
    await tx.update('l7rule', id, { ...patch, provisioning_status: PS.PENDING_UPDATE, updated_at: now() });
    return (await tx.get('l7rule', id)) as L7Rule;
  });
  deps.log.info({ event: 'l7rule.update', l7rule_id: id, l7policy_id: policyId, load_balancer_id: rule.load_balancer_id });
  return rule;
}

export async function deleteL7Rule(deps: ServiceDeps, ctx: RequestContext, policyId: string, id: string): Promise<void> {
  const policy = await existingPolicy(deps.store, policyId);
  const current = await ruleOf(deps.store, ctx, policyId, id);
  if (isPending(current.provisioning_status)) throw Errors.immutable('L7Rule', id);
  await underPolicy(deps, policy, async (tx) => {
    await tx.update('l7rule', id, { provisioning_status: PS.PENDING_DELETE, updated_at: now() });
  });
  deps.log.info({ event: 'l7rule.delete', l7rule_id: id, l7policy_id: policyId, load_balancer_id: current.load_balancer_id });
}

/**
 * An update changes only what the body names. As Octavia: an explicit null clears key, and
 * reads as false for invert and admin_state_up, and as no tags; a null type, compare type or
 * value is left for the rule check to refuse.
 */
function rulePatch(input: L7RuleFields): Partial<L7Rule> {
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (v !== undefined) patch[k] = v;
  if (input.invert === null) patch.invert = false;
  if (input.admin_state_up === null) patch.admin_state_up = false;
  if (input.tags === null) patch.tags = [];
  return patch as Partial<L7Rule>;
}

function checkRule(rule: L7RuleFields): void {
  const problem = l7RuleProblem({
    type: rule.type ?? null, compare_type: rule.compare_type ?? null, key: rule.key ?? null, value: rule.value ?? null,
  });
  if (problem) throw Errors.l7Rule(problem);
}

/**
 * The rule write path, as Octavia locks it: the policy must be ACTIVE (an ERROR policy too is
 * immutable to its rules); the LB, the policy's listener and the policy go PENDING_UPDATE.
 */
async function underPolicy<T>(deps: ServiceDeps, policy: L7Policy, change: (tx: Store, lb: LoadBalancer) => Promise<T>): Promise<T> {
  if (policy.provisioning_status !== PS.ACTIVE) throw Errors.immutable('L7Policy', policy.id);
  return underLoadBalancer(deps, policy.load_balancer_id, { listenerIds: [policy.listener_id], child: true }, async (tx, lb) => {
    const current = await tx.get('l7policy', policy.id);
    if (!current) throw Errors.notFound('L7Policy', policy.id);
    if (current.provisioning_status !== PS.ACTIVE) throw Errors.immutable('L7Policy', policy.id);
    await tx.update('l7policy', policy.id, { provisioning_status: PS.PENDING_UPDATE, updated_at: now() });
    return change(tx, lb);
  });
}

/**
 * The policy named in the path: Octavia's router answers 404 for an unknown one before
 * anything else, from its HTTP layer (not a fault body).
 */
async function existingPolicy(store: Store, policyId: string): Promise<L7Policy> {
  const policy = await store.get('l7policy', policyId);
  if (!policy) throw Errors.parentNotFound('L7Policy', policyId);
  return policy;
}

/** ...which the caller must also own to list its rules or add one. */
async function owningPolicy(store: Store, ctx: RequestContext, policyId: string): Promise<L7Policy> {
  const policy = await existingPolicy(store, policyId);
  if (!visible(ctx, policy.project_id)) throw Errors.forbidden();
  return policy;
}

/** A rule of that policy: a rule of another policy is not found under this one. */
async function ruleOf(store: Store, ctx: RequestContext, policyId: string, id: string): Promise<L7Rule> {
  const rule = await store.get('l7rule', id);
  if (!rule || rule.l7policy_id !== policyId) throw Errors.notFound('L7 Rule', id);
  if (!visible(ctx, rule.project_id)) throw Errors.forbidden();
  return rule;
}
