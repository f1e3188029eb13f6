// After a driver ran, move every PENDING_* object of the load balancer on, in one
// transaction: to ACTIVE (or gone) on success, to ERROR on failure. Skips if the LB's
// generation moved meanwhile: the next pass applies the newer graph as a whole.
import { OperatingStatus as OS, ProvisioningStatus as PS } from '../domain/enums.ts';
import { failed, settled } from '../domain/status.ts';
import type { Store } from '../store/store.ts';

const CHILDREN = ['l7rule', 'l7policy', 'health_monitor', 'member', 'pool', 'listener'] as const;
const SELF_REPORTING = new Set<string>(['l7rule', 'l7policy', 'health_monitor']);

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
    for (const kind of CHILDREN) {
      for (const status of [PS.PENDING_CREATE, PS.PENDING_UPDATE, PS.PENDING_DELETE]) {
        const next = ok ? settled(status) : failed(status);
        const where = { load_balancer_id: lbId, provisioning_status: status };
        if (next === 'gone') await tx.delete(kind, where);
        else if (ok && SELF_REPORTING.has(kind)) {
          // Octavia's worker, not the health manager, brings these ONLINE (or OFFLINE when disabled).
          await tx.updateWhere(kind, { ...where, admin_state_up: true }, { provisioning_status: next, operating_status: OS.ONLINE, updated_at: stamp });
          await tx.updateWhere(kind, { ...where, admin_state_up: false }, { provisioning_status: next, operating_status: OS.OFFLINE, updated_at: stamp });
        } else await tx.updateWhere(kind, where, { provisioning_status: next, updated_at: stamp });
      }
    }
    const next = ok ? settled(lb.provisioning_status) : failed(lb.provisioning_status);
    await tx.update('load_balancer', lbId, {
      provisioning_status: next === 'gone' ? PS.DELETED : next, applied_generation: generation, updated_at: stamp,
    });
    return true;
  });
}
