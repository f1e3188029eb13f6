// Amphorae (admin only): the service VMs of the amphora provider, as the data plane records
// them. The API reads them, asks for failover and agent configuration updates, and deletes
// spares. Rows with status DELETED are history and answer 404, as in Octavia.
import { Errors } from '../domain/errors.ts';
import { ProvisioningStatus as PS } from '../domain/enums.ts';
import type { Amphora, ListenerStats } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { ServiceDeps } from './deps.ts';
import { now } from './deps.ts';
import { admin } from './flavorprofiles.ts';
import { underLoadBalancer } from './lock.ts';
import { retire } from './failover.ts';

/** An amphora with the project of its load balancer, which the list can filter on. */
export interface AmphoraView {
  amphora: Amphora;
  projectId: string | null;
}

export interface AmphoraStats extends ListenerStats {
  load_balancer_id: string | null;
}

/** Statuses from which an amphora may be deleted (Octavia: a spare that is READY, or a broken one). */
const DELETABLE: string[] = ['READY', PS.ERROR];

export async function listAmphorae(deps: ServiceDeps, ctx: RequestContext): Promise<AmphoraView[]> {
  admin(ctx);
  const amphorae = (await deps.store.find('amphora')).filter((a) => a.status !== PS.DELETED);
  const lbIds = [...new Set(amphorae.map((a) => a.load_balancer_id).filter((id): id is string => id !== null))];
  const lbs = lbIds.length === 0 ? [] : await deps.store.find('load_balancer', { id: lbIds });
  const projectOf = new Map(lbs.map((lb) => [lb.id, lb.project_id]));
  return amphorae.map((amphora) => ({
    amphora, projectId: amphora.load_balancer_id ? projectOf.get(amphora.load_balancer_id) ?? null : null,
  }));
}

export async function getAmphora(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<Amphora> {
  admin(ctx);
  const found = await deps.store.get('amphora', id);
  if (!found || found.status === PS.DELETED) throw Errors.notFound('Amphora', id);
  return found;
}

/** Per-listener counters the amphora reported; 404 when it reported none. */
export async function amphoraStats(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<AmphoraStats[]> {
  admin(ctx);
  const amphora = await deps.store.get('amphora', id);
  const rows = amphora ? await deps.store.find('listener_stats', { amphora_id: id }) : [];
  if (!amphora || rows.length === 0) throw Errors.notFound('Amphora stats for', id);
  return rows.map((r) => ({ ...r, load_balancer_id: amphora.load_balancer_id }));
}

/**
 * Failover replaces the amphora: under the LB lock (409 unless ACTIVE) it is marked
 * PENDING_DELETE, so the worker brings up a new one with the same VIP and the whole graph,
 * then removes this one (service/failover.ts). A spare has nothing to lock.
 */
export async function failoverAmphora(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<void> {
  const amphora = await getAmphora(deps, ctx, id);
  if (amphora.load_balancer_id) await underLoadBalancer(deps, amphora.load_balancer_id, {}, (tx) => retire(tx, { id }));
  deps.log.info({ event: 'amphora.failover', amphora_id: id, load_balancer_id: amphora.load_balancer_id });
}

/** Asks the amphora agent to reload its configuration; accepted for any live amphora. */
export async function configureAmphora(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<void> {
  await getAmphora(deps, ctx, id);
  deps.log.info({ event: 'amphora.config', amphora_id: id });
}

/** Marks a READY or ERROR amphora PENDING_DELETE for the data plane to remove; others are immutable (409). */
export async function deleteAmphora(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<void> {
  admin(ctx);
  await deps.store.transaction(async (tx) => {
    const amphora = await tx.get('amphora', id);
    if (!amphora || amphora.status === PS.DELETED) throw Errors.notFound('Amphora', id);
    // A test-and-set, so a status the data plane writes meanwhile is never overwritten.
    const moved = await tx.updateWhere('amphora', { id, status: DELETABLE }, { status: PS.PENDING_DELETE, updated_at: now() });
    if (moved === 0) throw Errors.immutable('Amphora', id);
  });
  deps.log.info({ event: 'amphora.delete', amphora_id: id });
}
