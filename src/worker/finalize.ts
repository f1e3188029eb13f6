// After a driver ran, move every PENDING_* object of the load balancer on, in one
// transaction: to ACTIVE (or gone) on success; on failure, the objects the change was about
// go ERROR and the ones only locked for it go back to ACTIVE, as Octavia's revert tasks do
// (a failed member create leaves the member ERROR and its pool, listeners and load balancer
// ACTIVE, so the tenant can fix or delete it). Skips if the LB's generation moved meanwhile:
// the next pass applies the newer graph as a whole.
import { OperatingStatus as OS, ProvisioningStatus as PS } from '../domain/enums.ts';
import { failed, settled } from '../domain/status.ts';
import type { Store } from '../store/store.ts';

const CHILDREN = ['l7rule', 'l7policy', 'health_monitor', 'member', 'pool', 'listener'] as const;
const SELF_REPORTING = new Set<string>(['l7rule', 'l7policy', 'health_monitor']);
const PENDING = [PS.PENDING_CREATE, PS.PENDING_UPDATE, PS.PENDING_DELETE];
type Child = (typeof CHILDREN)[number];
/**
 * The API marks these PENDING_UPDATE as locks while something below them changes (the LB for
 * everything; a listener for its pools, members, monitors and policies; a pool for its members
 * and monitor; a policy for its rules). A PENDING_UPDATE is then no change of their own.
 */
const BELOW: Partial<Record<Child | 'load_balancer', readonly Child[]>> = {
  load_balancer: CHILDREN,
  listener: ['pool', 'member', 'health_monitor', 'l7policy', 'l7rule'],
  pool: ['member', 'health_monitor'],
  l7policy: ['l7rule'],
};

export async function finalize(store: Store, lbId: string, generation: number, ok: boolean): Promise<boolean> {
  return store.transaction(async (tx) => {
    const lb = await tx.get('load_balancer', lbId);
    if (!lb || lb.generation !== generation) return false;
    const stamp = new Date().toISOString();
    if (lb.provisioning_status === PS.PENDING_DELETE && ok) {
      for (const kind of CHILDREN) await tx.delete(kind, { load_balancer_id: lbId });
      await tx.delete('amphora', { load_balancer_id: lbId });
      await tx.update('load_balancer', lbId, {
        provisioning_status: PS.DELETED, applied_generation: generation, updated_at: stamp,
      });
      return true;
    }
    const lockOnly = ok ? new Set<string>() : await lockedOnly(tx, lbId);
    for (const kind of CHILDREN) {
      for (const status of PENDING) {
        const next = ok ? settled(status) : status === PS.PENDING_UPDATE && lockOnly.has(kind) ? PS.ACTIVE : failed(status);
        const where = { load_balancer_id: lbId, provisioning_status: status };
        if (next === 'gone') await tx.delete(kind, where);
        else if (ok && SELF_REPORTING.has(kind)) {
          // Octavia's worker, not the health manager, brings these ONLINE (or OFFLINE when disabled).
          await tx.updateWhere(kind, { ...where, admin_state_up: true }, { provisioning_status: next, operating_status: OS.ONLINE, updated_at: stamp });
          await tx.updateWhere(kind, { ...where, admin_state_up: false }, { provisioning_status: next, operating_status: OS.OFFLINE, updated_at: stamp });
        } else await tx.updateWhere(kind, where, { provisioning_status: next, updated_at: stamp });
      }
    }
    const lbStatus = lb.provisioning_status;
    const next = ok ? settled(lbStatus)
      : lbStatus === PS.PENDING_UPDATE && lockOnly.has('load_balancer') ? PS.ACTIVE : failed(lbStatus);
    await tx.update('load_balancer', lbId, {
      provisioning_status: next === 'gone' ? PS.DELETED : next, applied_generation: generation, updated_at: stamp,
    });
    return true;
  });
}

/** The kinds whose PENDING_UPDATE objects were only locked: something below them is pending. */
async function lockedOnly(tx: Store, lbId: string): Promise<Set<string>> {
  const pending = new Set<Child>();
  for (const kind of CHILDREN) {
    for (const status of PENDING) {
      if ((await tx.count(kind, { load_balancer_id: lbId, provisioning_status: status })) > 0) pending.add(kind);
    }
  }
  const locked = new Set<string>();
  for (const [kind, below] of Object.entries(BELOW)) if (below.some((k) => pending.has(k))) locked.add(kind);
  return locked;
}
