// The write path shared by every change under a load balancer: one transaction that takes
// the LB lock (ACTIVE → PENDING_UPDATE, else 409), marks the listeners the change touches
// PENDING_UPDATE as Octavia does, runs the change, and wakes the worker after commit.
import { Errors } from '../domain/errors.ts';
import { ProvisioningStatus as PS } from '../domain/enums.ts';
import { MUTABLE } from '../domain/status.ts';
import type { LoadBalancer } from '../domain/entities.ts';
import type { Store } from '../store/store.ts';
import type { RequestContext } from '../domain/context.ts';
import type { ServiceDeps } from './deps.ts';
import { now } from './deps.ts';

export interface LockOptions {
  /** Listeners whose provisioning status goes PENDING_UPDATE with the LB. */
  listenerIds?: string[];
  /** The status the LB moves to (PENDING_UPDATE, or PENDING_DELETE for an LB delete). */
  to?: PS;
  /** A child's write: Octavia refuses it with "Load Balancer {id} is immutable", not the LB's own "Invalid state". */
  child?: boolean;
}

export async function underLoadBalancer<T>(
  deps: ServiceDeps,
  loadBalancerId: string,
  opts: LockOptions,
  change: (tx: Store, lb: LoadBalancer) => Promise<T>,
): Promise<T> {
  const result = await deps.store.transaction(async (tx) => {
    const lb = await tx.get('load_balancer', loadBalancerId);
    if (!lb || lb.provisioning_status === PS.DELETED) throw Errors.notFound('Load Balancer', loadBalancerId);
    if (!(await tx.lockLoadBalancer(loadBalancerId, MUTABLE, opts.to ?? PS.PENDING_UPDATE))) {
      // Name the state that refused the lock: the row read above may predate a write that
      // committed meanwhile (PostgreSQL reads committed data statement by statement).
      const state = (await tx.get('load_balancer', loadBalancerId))?.provisioning_status ?? lb.provisioning_status;
      throw opts.child ? Errors.immutable('Load Balancer', loadBalancerId) : Errors.lbPending(state, loadBalancerId);
    }
    if (opts.listenerIds && opts.listenerIds.length > 0) {
      await tx.updateWhere('listener', { id: opts.listenerIds }, { provisioning_status: PS.PENDING_UPDATE, updated_at: now() });
    }
    return change(tx, lb);
  });
  deps.log.debug({ event: 'lb.locked', load_balancer_id: loadBalancerId });
  deps.wake(loadBalancerId);
  return result;
}

/** Answers whether the caller may act on an object of this project. */
export function visible(ctx: RequestContext, projectId: string | null): boolean {
  return ctx.isAdmin || (ctx.projectId !== null && ctx.projectId === projectId);
}

/** The project a new object belongs to: the body's project_id, else the caller's (else 400). */
export function owningProject(ctx: RequestContext, bodyProjectId: string | null | undefined): string {
  const projectId = bodyProjectId ?? ctx.projectId;
  if (!projectId) throw Errors.missingProject();
  if (!ctx.isAdmin && projectId !== ctx.projectId) throw Errors.forbidden();
  return projectId;
}

/** Loads an object: 404 when it does not exist, 403 when it is another project's (as Octavia). */
export async function load<K extends 'load_balancer' | 'listener' | 'pool' | 'member' | 'health_monitor' | 'l7policy' | 'l7rule'>(
  store: Store, ctx: RequestContext, kind: K, id: string, noun: string,
) {
  const obj = await store.get(kind, id);
  if (!obj) throw Errors.notFound(noun, id);
  if (!visible(ctx, obj.project_id)) throw Errors.forbidden();
  return obj;
}
