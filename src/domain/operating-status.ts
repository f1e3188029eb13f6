// Operating status from what an amphora reports, by Octavia's rules (its health manager's
// status update), as a pure function: the objects as stored and the report in, the changes
// out. Only differences come back, so the caller writes the database only when something
// changed.
//
//   member  UP… → ONLINE · DOWN… → ERROR (pool and LB DEGRADED) · DRAIN → DRAINING ·
//           MAINT → OFFLINE · "no check" → NO_MONITOR · absent → OFFLINE (unless NO_MONITOR)
//   pool    UP → ONLINE · DOWN → ERROR (LB ERROR) · absent everywhere → OFFLINE
//   listener OPEN → ONLINE · FULL → DEGRADED (LB DEGRADED) · absent → ERROR when enabled on an
//           ACTIVE LB, else OFFLINE
//   LB      ONLINE (OFFLINE when disabled) unless something above lowered it
// Anything HAProxy reports that is not listed keeps the stored status (a transitional state).
import { OperatingStatus as OS } from './enums.ts';
import type { OperatingStatus } from './enums.ts';

export interface StoredMember { id: string; operating_status: OperatingStatus }
export interface StoredPool { id: string; operating_status: OperatingStatus; members: StoredMember[] }
export interface StoredListener { id: string; admin_state_up: boolean; operating_status: OperatingStatus }

export interface StoredLoadBalancer {
  id: string;
  admin_state_up: boolean;
  provisioning_status: string;
  operating_status: OperatingStatus;
  listeners: StoredListener[];
  pools: StoredPool[];
}

/** What HAProxy says, keyed as the renderer names things: frontend = listener id, backend = `<pool>:<listener>`. */
export interface ReportedStatus {
  listeners: Record<string, { status: string }>;
  pools: Record<string, { status: string; members: Record<string, string> }>;
}

export type StatusKind = 'load_balancer' | 'listener' | 'pool' | 'member';

export interface StatusChange {
  kind: StatusKind;
  id: string;
  from: OperatingStatus;
  to: OperatingStatus;
}

/** Lowers the LB's status to `to` only from ONLINE (DEGRADED), or from anything but ERROR… (ERROR). */
const worse = (current: OperatingStatus, to: OperatingStatus): OperatingStatus =>
  to === OS.ERROR ? OS.ERROR : current === OS.ONLINE ? to : current;

export function deriveOperatingStatus(lb: StoredLoadBalancer, report: ReportedStatus): StatusChange[] {
  const changes: StatusChange[] = [];
  const note = (kind: StatusKind, id: string, from: OperatingStatus, to: OperatingStatus | undefined) => {
    if (to !== undefined && to !== from) changes.push({ kind, id, from, to });
  };
  let lbStatus: OperatingStatus = lb.admin_state_up ? OS.ONLINE : OS.OFFLINE;

  for (const listener of lb.listeners) {
    const seen = report.listeners[listener.id];
    let next: OperatingStatus | undefined;
    if (!seen) next = listener.admin_state_up && lb.provisioning_status === 'ACTIVE' ? OS.ERROR : OS.OFFLINE;
    else if (seen.status === 'OPEN') next = OS.ONLINE;
    else if (seen.status === 'FULL') {
      next = OS.DEGRADED;
      lbStatus = worse(lbStatus, OS.DEGRADED);
    }
    note('listener', listener.id, listener.operating_status, next);
  }

  // A backend is named `<pool>:<listener>`; a pool shared by listeners reports once per listener.
  const reportedPools = new Map<string, { status: string; members: Record<string, string> }>();
  for (const [key, value] of Object.entries(report.pools)) {
    const poolId = key.includes(':') ? key.slice(0, key.lastIndexOf(':')) : key;
    if (!reportedPools.has(poolId)) reportedPools.set(poolId, value);
  }

  for (const pool of lb.pools) {
    const seen = reportedPools.get(pool.id);
    if (!seen) {
      note('pool', pool.id, pool.operating_status, OS.OFFLINE);
      continue;
    }
    let poolStatus: OperatingStatus | undefined;
    if (seen.status === 'UP') poolStatus = OS.ONLINE;
    else if (seen.status === 'DOWN') {
      poolStatus = OS.ERROR;
      lbStatus = OS.ERROR;
    }
    for (const member of pool.members) {
      const next = memberStatus(member, seen.members[member.id]);
      if (next === OS.ERROR && poolStatus === OS.ONLINE) {
        poolStatus = OS.DEGRADED;
        lbStatus = worse(lbStatus, OS.DEGRADED);
      }
      note('member', member.id, member.operating_status, next);
    }
    note('pool', pool.id, pool.operating_status, poolStatus);
  }

  note('load_balancer', lb.id, lb.operating_status, lbStatus);
  return changes;
}

function memberStatus(member: StoredMember, seen: string | undefined): OperatingStatus | undefined {
  if (seen === undefined) return member.operating_status === OS.NO_MONITOR ? undefined : OS.OFFLINE;
  if (seen.startsWith('UP')) return OS.ONLINE;
  if (seen.startsWith('DOWN')) return OS.ERROR;
  if (seen === 'DRAIN') return OS.DRAINING;
  if (seen.startsWith('MAINT')) return OS.OFFLINE;
  if (seen === 'no check') return OS.NO_MONITOR;
  return undefined;
}

/** An amphora whose HAProxy is gone: nothing it served is up, whatever the last report said. */
export function haproxyDownStatus(lb: StoredLoadBalancer): StatusChange[] {
  const changes: StatusChange[] = [];
  for (const l of lb.listeners) {
    const to = l.admin_state_up ? OS.ERROR : OS.OFFLINE;
    if (l.operating_status !== to) changes.push({ kind: 'listener', id: l.id, from: l.operating_status, to });
  }
  if (lb.operating_status !== OS.ERROR) changes.push({ kind: 'load_balancer', id: lb.id, from: lb.operating_status, to: OS.ERROR });
  return changes;
}
