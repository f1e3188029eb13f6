// Failover of an amphora: the load balancer is locked (PENDING_UPDATE, generation bumped)
// and the amphora marked PENDING_DELETE in one transaction; the worker then brings up a new
// amphora with the same VIP, pushes the whole configuration to it, and removes the old one
// (AmphoraDriver). The health role calls replaceAmphora when an amphora stops beating or its
// HAProxy dies; the API's failover calls go through the same marking under their own lock.
import { ProvisioningStatus as PS } from '../domain/enums.ts';
import type { ProvisioningStatus } from '../domain/enums.ts';
import type { Store } from '../store/store.ts';
import type { ServiceDeps } from './deps.ts';
import { now } from './deps.ts';

/** Amphorae that serve their load balancer now; only those are failed over. */
const SERVING = 'ALLOCATED';

/**
 * Starts the failover of one amphora when it still serves a load balancer in one of `from`.
 * Answers false (and changes nothing) otherwise: another failover or change got there first.
 * The entry point for anything that finds an amphora lost (health role, netns/VRRP work).
 */
export async function replaceAmphora(
  deps: ServiceDeps, amphoraId: string, reason: string, from: readonly ProvisioningStatus[] = [PS.ACTIVE],
): Promise<boolean> {
  const lbId = await deps.store.transaction(async (tx) => {
    const amphora = await tx.get('amphora', amphoraId);
    if (!amphora?.load_balancer_id || amphora.status !== SERVING) return undefined;
    if (!(await tx.lockLoadBalancer(amphora.load_balancer_id, from, PS.PENDING_UPDATE))) return undefined;
    await retire(tx, { id: amphoraId });
    return amphora.load_balancer_id;
  });
  if (!lbId) return false;
  deps.log.warn({ event: 'amphora.failover.started', amphora_id: amphoraId, load_balancer_id: lbId, reason });
  deps.wake(lbId);
  return true;
}

/** Marks serving amphorae (by id or load balancer) for replacement; inside the LB lock's transaction. */
export async function retire(tx: Store, where: { id?: string; load_balancer_id?: string }): Promise<number> {
  return tx.updateWhere('amphora', { ...where, status: SERVING }, { status: PS.PENDING_DELETE, updated_at: now() });
}
