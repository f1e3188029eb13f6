// Load balancer operations. Creation allocates the VIP (a real address for data-plane
// providers, see vips.ts) and inserts the LB PENDING_CREATE with generation 1; every other
// write goes through the LB lock.
import { randomUUID } from 'node:crypto';
import { Errors } from '../domain/errors.ts';
import { OperatingStatus as OS, ProvisioningStatus as PS } from '../domain/enums.ts';
import type { AdditionalVip, LoadBalancer, LoadBalancerGraph } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { Store } from '../store/store.ts';
import type { ServiceDeps } from './deps.ts';
import { now } from './deps.ts';
import { retire } from './failover.ts';
import { load, owningProject, underLoadBalancer, visible } from './lock.ts';
import { checkQuota } from './quota.ts';
import { provider } from './providers.ts';
import { allocateVip, resolveVip } from './vips.ts';
import type { VipPlacement } from './vips.ts';

export interface LoadBalancerCreate {
  name?: string | null;
  description?: string | null;
  admin_state_up?: boolean;
  vip_address?: string | null;
  vip_port_id?: string | null;
  vip_subnet_id?: string | null;
  vip_network_id?: string | null;
  vip_qos_policy_id?: string | null;
  additional_vips?: { subnet_id?: string; ip_address?: string | null }[];
  project_id?: string | null;
  provider?: string | null;
  tags?: string[] | null;
  flavor_id?: string | null;
  availability_zone?: string | null;
}

export interface LoadBalancerUpdate {
  name?: string | null;
  description?: string | null;
  vip_qos_policy_id?: string | null;
  admin_state_up?: boolean | null;
  tags?: string[] | null;
}

/** Placeholder VIP address of the noop network, as Octavia's noop network driver answers. */
const NOOP_VIP_ADDRESS = '198.51.100.1';

export async function createLoadBalancer(
  deps: ServiceDeps, ctx: RequestContext, input: LoadBalancerCreate,
  /** Runs inside the same transaction after the LB row exists: the fully-populated create's children. */
  children?: (tx: Store, lb: LoadBalancer) => Promise<void>,
): Promise<LoadBalancer> {
  const projectId = owningProject(ctx, input.project_id);
  if (!input.vip_port_id && !input.vip_network_id && !input.vip_subnet_id) {
    throw Errors.validation('VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.');
  }
  const providerName = input.provider ?? deps.config.defaultProvider;
  // A data-plane provider binds the VIP, so it must be a real address of a known subnet.
  const realVip = provider(providerName).driver !== 'noop';
  const resolved = realVip ? await resolveVip(deps.store, input) : undefined;
  const lb = await deps.store.transaction(async (tx) => {
    const topology = await checkFlavorAndZone(tx, input, providerName);
    await checkQuota(tx, deps.config.quotas, projectId, 'load_balancer');
    const vip = resolved ? await allocateVip(tx, resolved) : noopVip(input);
    const created = now();
    const row: LoadBalancer = {
      id: randomUUID(),
      project_id: projectId,
      name: input.name ?? null,
      description: input.description ?? null,
      admin_state_up: input.admin_state_up ?? true,
      provisioning_status: PS.PENDING_CREATE,
      operating_status: OS.OFFLINE,
      tags: input.tags ?? [],
      created_at: created,
      updated_at: null,
      provider: providerName,
      flavor_id: input.flavor_id ?? null,
      availability_zone: input.availability_zone ?? null,
      topology,
      ...vip,
      vip_qos_policy_id: input.vip_qos_policy_id ?? null,
      generation: 1,
      applied_generation: 0,
    };
    await tx.insert('load_balancer', row);
    if (children) await children(tx, row);
    return row;
  });
  deps.log.info({ event: 'lb.create', load_balancer_id: lb.id, project_id: projectId });
  deps.wake(lb.id);
  return lb;
}

/** Octavia's noop network: any ids are accepted, and the VIP is a placeholder unless named. */
function noopVip(input: LoadBalancerCreate): VipPlacement {
  return {
    vip_address: input.vip_address ?? NOOP_VIP_ADDRESS,
    vip_port_id: input.vip_port_id ?? randomUUID(),
    vip_subnet_id: input.vip_subnet_id ?? randomUUID(),
    vip_network_id: input.vip_network_id ?? randomUUID(),
    additional_vips: (input.additional_vips ?? []).map((v): AdditionalVip => ({
      subnet_id: v.subnet_id as string, ip_address: v.ip_address ?? null,
    })),
  };
}

/** The flavor profile's loadbalancer_topology (validated when the profile was written). */
function profileTopology(data: string | undefined): 'SINGLE' | 'ACTIVE_STANDBY' | undefined {
  try {
    const t = data ? (JSON.parse(data) as Record<string, unknown>).loadbalancer_topology : undefined;
    return t === 'ACTIVE_STANDBY' || t === 'SINGLE' ? t : undefined;
  } catch {
    return undefined;
  }
}

/** Checks the flavor and zone; answers the topology the flavor asks for (SINGLE without one), as Octavia does. */
async function checkFlavorAndZone(tx: Store, input: LoadBalancerCreate, providerName: string): Promise<'SINGLE' | 'ACTIVE_STANDBY'> {
  let topology: 'SINGLE' | 'ACTIVE_STANDBY' = 'SINGLE';
  if (input.flavor_id) {
    const flavor = await tx.get('flavor', input.flavor_id);
    if (!flavor) throw Errors.validation(`Invalid flavor_id.`);
    if (!flavor.enabled) throw Errors.invalidOption(`The selected flavor is not allowed in this deployment: ${input.flavor_id}`);
    const profile = await tx.get('flavor_profile', flavor.flavor_profile_id);
    if (input.provider && profile && profile.provider_name !== providerName) {
      throw Errors.invalidOption(`Flavor '${flavor.id}' is not compatible with provider '${providerName}'`);
    }
    topology = profileTopology(profile?.flavor_data) ?? topology;
  }
  if (input.availability_zone) {
    const zone = await tx.get('availability_zone', input.availability_zone);
    if (!zone) throw Errors.validation(`Invalid availability zone.`);
    if (!zone.enabled) {
      throw Errors.invalidOption(`The selected availability_zone is not allowed in this deployment: ${input.availability_zone}`);
    }
  }
  return topology;
}

export async function getLoadBalancer(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<LoadBalancer> {
  return load(deps.store, ctx, 'load_balancer', id, 'Load Balancer');
}

/** Live load balancers the caller may see (DELETED ones are shown by id only, as in Octavia). */
export async function listLoadBalancers(deps: ServiceDeps, ctx: RequestContext): Promise<LoadBalancer[]> {
  const all = await deps.store.find('load_balancer', ctx.isAdmin ? {} : { project_id: ctx.projectId ?? '' });
  return all.filter((lb) => lb.provisioning_status !== PS.DELETED && visible(ctx, lb.project_id));
}

export async function updateLoadBalancer(
  deps: ServiceDeps, ctx: RequestContext, id: string, input: LoadBalancerUpdate,
): Promise<LoadBalancer> {
  await liveLoadBalancer(deps, ctx, id);
  return underLoadBalancer(deps, id, {}, async (tx) => {
    const patch: Partial<LoadBalancer> = { updated_at: now() };
    if (input.name !== undefined) patch.name = input.name;
    if (input.description !== undefined) patch.description = input.description;
    if (input.vip_qos_policy_id !== undefined) patch.vip_qos_policy_id = input.vip_qos_policy_id;
    if (input.admin_state_up !== undefined && input.admin_state_up !== null) patch.admin_state_up = input.admin_state_up;
    if (input.tags !== undefined) patch.tags = input.tags ?? [];
    await tx.update('load_balancer', id, patch);
    return (await tx.get('load_balancer', id)) as LoadBalancer;
  });
}

export async function deleteLoadBalancer(deps: ServiceDeps, ctx: RequestContext, id: string, cascade: boolean): Promise<void> {
  await liveLoadBalancer(deps, ctx, id);
  await underLoadBalancer(deps, id, { to: PS.PENDING_DELETE }, async (tx) => {
    const children = (await tx.count('listener', { load_balancer_id: id })) + (await tx.count('pool', { load_balancer_id: id }));
    if (children > 0 && !cascade) throw Errors.validation(`Cannot delete Load Balancer ${id} - it has children`);
    const pending = { provisioning_status: PS.PENDING_DELETE, updated_at: now() };
    for (const kind of ['listener', 'pool', 'member', 'health_monitor', 'l7policy', 'l7rule'] as const) {
      await tx.updateWhere(kind, { load_balancer_id: id }, pending);
    }
  });
  deps.log.info({ event: 'lb.delete', load_balancer_id: id, cascade });
}

export async function failoverLoadBalancer(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<void> {
  await liveLoadBalancer(deps, ctx, id);
  // Every amphora of the LB is replaced (a provider without amphorae just re-applies).
  await underLoadBalancer(deps, id, {}, (tx) => retire(tx, { load_balancer_id: id }));
  deps.log.info({ event: 'lb.failover', load_balancer_id: id });
}

/** The whole graph of a live load balancer, for the status tree. */
export async function loadBalancerGraph(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<LoadBalancerGraph> {
  await liveLoadBalancer(deps, ctx, id);
  const graph = await deps.store.graph(id);
  if (!graph) throw Errors.notFound('Load Balancer', id);
  return graph;
}

/** Writes refuse load balancers that are already DELETED with a 404, as Octavia does. */
async function liveLoadBalancer(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<LoadBalancer> {
  const lb = await getLoadBalancer(deps, ctx, id);
  if (lb.provisioning_status === PS.DELETED) throw Errors.notFound('Load Balancer', id);
  return lb;
}

/** Ids of the listeners and pools of each load balancer, for the response bodies. */
export async function childIds(store: Store, lbIds: string[]) {
  const byLb = new Map<string, { listenerIds: string[]; poolIds: string[] }>();
  for (const id of lbIds) byLb.set(id, { listenerIds: [], poolIds: [] });
  if (lbIds.length === 0) return byLb;
  const where = lbIds.length === 1 ? { load_balancer_id: lbIds[0] } : {};
  const [listeners, pools] = await Promise.all([store.find('listener', where), store.find('pool', where)]);
  for (const l of listeners) byLb.get(l.load_balancer_id)?.listenerIds.push(l.id);
  for (const p of pools) byLb.get(p.load_balancer_id)?.poolIds.push(p.id);
  return byLb;
}
