// Quota administration: per-project limits over the configured defaults. Enforcement lives
// in quota.ts; this file only reads and writes the limits themselves.
import { Errors } from '../domain/errors.ts';
import type { Quota } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { QuotaDefaults } from '../config.ts';
import type { ServiceDeps } from './deps.ts';
import { effectiveQuota } from './quota.ts';
import type { QuotaResource } from './quota.ts';

export const QUOTA_RESOURCES: readonly QuotaResource[] = [
  'load_balancer', 'listener', 'pool', 'member', 'health_monitor', 'l7policy', 'l7rule',
];

/** A PUT: a number sets a limit, null returns that limit to the default, undefined leaves it. */
export type QuotaUpdate = Partial<Record<QuotaResource, number | null>>;

/** The limits in force for one project, with the project they belong to. */
export interface ProjectQuota extends QuotaDefaults {
  project_id: string;
}

/**
 * Every project with a quota row, limits set or not: Octavia keeps the row when a DELETE
 * resets it (and, with Keystone, creates one on a project's first quota check), and lists it.
 */
export async function listQuotas(deps: ServiceDeps, ctx: RequestContext): Promise<Quota[]> {
  return deps.store.find('quota', ctx.isAdmin ? {} : { project_id: ctx.projectId ?? '' });
}

export async function getQuota(deps: ServiceDeps, ctx: RequestContext, projectId: string): Promise<ProjectQuota> {
  mayRead(ctx, projectId);
  return { project_id: projectId, ...(await effectiveQuota(deps.store, deps.config.quotas, projectId)) };
}

/** The configured defaults; `projectId` when asked through /quotas/{project_id}/default. */
export function defaultQuota(deps: ServiceDeps, ctx: RequestContext, projectId?: string): QuotaDefaults {
  if (projectId !== undefined) mayRead(ctx, projectId);
  return { ...deps.config.quotas };
}

export async function updateQuota(
  deps: ServiceDeps, ctx: RequestContext, projectId: string, input: QuotaUpdate,
): Promise<ProjectQuota> {
  if (!ctx.isAdmin) throw Errors.forbidden();
  await deps.store.transaction(async (tx) => {
    // On PostgreSQL this also makes sure the row exists, so two parallel PUTs cannot both insert it.
    await tx.lockProject(projectId);
    const patch: Partial<Quota> = {};
    for (const k of QUOTA_RESOURCES) if (input[k] !== undefined) patch[k] = input[k];
    const existing = await tx.get('quota', projectId);
    if (existing) await tx.update('quota', projectId, patch);
    else await tx.insert('quota', { ...emptyQuota(projectId), ...patch });
  });
  deps.log.info({ event: 'quota.update', project_id: projectId });
  return { project_id: projectId, ...(await effectiveQuota(deps.store, deps.config.quotas, projectId)) };
}

/** Returns every limit of the project to the default; 404 only for a project with no row (as Octavia). */
export async function resetQuota(deps: ServiceDeps, ctx: RequestContext, projectId: string): Promise<void> {
  if (!ctx.isAdmin) throw Errors.forbidden();
  await deps.store.transaction(async (tx) => {
    const row = await tx.get('quota', projectId);
    if (!row) throw Errors.notFound('Quotas', projectId);
    // The row stays: on PostgreSQL it is also the lock quota checks take for the project.
    await tx.update('quota', projectId, emptyQuota(projectId));
  });
  deps.log.info({ event: 'quota.reset', project_id: projectId });
}

function mayRead(ctx: RequestContext, projectId: string): void {
  if (!ctx.isAdmin && ctx.projectId !== projectId) throw Errors.forbidden();
}

function emptyQuota(projectId: string): Quota {
  return {
    project_id: projectId, load_balancer: null, listener: null, pool: null, member: null,
    health_monitor: null, l7policy: null, l7rule: null,
  };
}
