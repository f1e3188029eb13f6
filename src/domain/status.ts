// Octavia's provisioning-status rules as one explicit state machine. The API may only
// change an object while its load balancer is ACTIVE; the worker moves PENDING_* on.
import { ProvisioningStatus as PS } from './enums.ts';
import type { ProvisioningStatus } from './enums.ts';

/** Statuses from which an API write may lock a load balancer (Octavia's MUTABLE_STATUSES). */
export const MUTABLE: readonly ProvisioningStatus[] = [PS.ACTIVE];

/** A child object may be deleted or updated only from these. */
export const CHILD_MUTABLE: readonly ProvisioningStatus[] = [PS.ACTIVE, PS.ERROR];

/** The API operation that locks a load balancer, and what each object becomes. */
export type WriteOp = 'create' | 'update' | 'delete';

export const PENDING_FOR: Record<WriteOp, ProvisioningStatus> = {
  create: PS.PENDING_CREATE,
  update: PS.PENDING_UPDATE,
  delete: PS.PENDING_DELETE,
};

/** What a pending object becomes once the provider applied its load balancer's generation. */
export function settled(status: ProvisioningStatus): ProvisioningStatus | 'gone' {
  switch (status) {
    case PS.PENDING_CREATE:
    case PS.PENDING_UPDATE:
      return PS.ACTIVE;
    case PS.PENDING_DELETE:
      return 'gone';
    default:
      return status;
  }
}

/** What a pending object becomes when the provider failed to apply. */
export function failed(status: ProvisioningStatus): ProvisioningStatus {
  return isPending(status) ? PS.ERROR : status;
}

export function isPending(status: ProvisioningStatus): boolean {
  return status === PS.PENDING_CREATE || status === PS.PENDING_UPDATE || status === PS.PENDING_DELETE;
}
