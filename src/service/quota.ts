// Quota enforcement: counted from live rows inside the creating transaction, after taking
// the project lock, so parallel creates can never overshoot a limit.
import { Errors } from '../domain/errors.ts';
import { ProvisioningStatus as PS } from '../domain/enums.ts';
import type { Quota } from '../domain/entities.ts';
import type { Store } from '../store/store.ts';
import type { QuotaDefaults } from '../config.ts';

export type QuotaResource = keyof QuotaDefaults;

const TABLE: Record<QuotaResource, 'load_balancer' | 'listener' | 'pool' | 'member' | 'health_monitor' | 'l7policy' | 'l7rule'> = {
  load_balancer: 'load_balancer', listener: 'listener', pool: 'pool', member: 'member',
  health_monitor: 'health_monitor', l7policy: 'l7policy', l7rule: 'l7rule',
};

/** Octavia's names for the resources in the quota error message. */
const NOUN: Record<QuotaResource, string> = {
  load_balancer: 'Load Balancer', listener: 'Listener', pool: 'Pool', member: 'Member',
  health_monitor: 'Health Monitor', l7policy: 'L7 Policy', l7rule: 'L7 Rule',
};

export async function effectiveQuota(tx: Store, defaults: QuotaDefaults, projectId: string): Promise<QuotaDefaults> {
  const row: Quota | undefined = await tx.get('quota', projectId);
  const out = { ...defaults };
  if (row) for (const k of Object.keys(defaults) as QuotaResource[]) if (row[k] !== null) out[k] = row[k] as number;
  return out;
}

export async function inUse(tx: Store, projectId: string, resource: QuotaResource): Promise<number> {
  const table = TABLE[resource];
  const total = await tx.count(table, { project_id: projectId });
  // Deleted load balancers linger as DELETED rows (as in Octavia) and do not count.
  const deleted = table === 'load_balancer' ? await tx.count('load_balancer', { project_id: projectId, provisioning_status: PS.DELETED }) : 0;
  return total - deleted;
}

/** Throws Octavia's 403 when creating `adding` more of `resource` would exceed the project's quota. */
export async function checkQuota(
  tx: Store, defaults: QuotaDefaults, projectId: string, resource: QuotaResource, adding = 1,
): Promise<void> {
  await tx.lockProject(projectId);
  const limit = (await effectiveQuota(tx, defaults, projectId))[resource];
  if (limit === -1) return;
  if ((await inUse(tx, projectId, resource)) + adding > limit) throw Errors.quota(NOUN[resource]);
}
