// Listener statistics that never go backwards. HAProxy's counters start from zero in every
// new worker (each reload, each restart, a new amphora), and heartbeats over UDP may be lost.
// So each report is compared with the raw counters last added in: the same worker (epoch)
// with counters at or above them adds the difference; a new worker (or counters that fell)
// adds its counters whole, since they count from zero. Lost heartbeats lose nothing within
// one worker; what an old worker served after its last report is all a reload can lose.
import type { ListenerStats, RawCounters } from './entities.ts';

export interface ReportedCounters {
  bytes_in: number;
  bytes_out: number;
  active_connections: number;
  total_connections: number;
  request_errors: number;
}

const CUMULATIVE = ['bytes_in', 'bytes_out', 'total_connections', 'request_errors'] as const;

/** The next stored row for (listener, amphora), or undefined when nothing changed. */
export function accumulate(
  prev: ListenerStats | undefined, listenerId: string, amphoraId: string, epoch: string, report: ReportedCounters,
): ListenerStats | undefined {
  const base = prev?.counters;
  const sameWorker = base !== undefined && base !== null && base.epoch === epoch && CUMULATIVE.every((c) => report[c] >= base[c]);
  const next: ListenerStats = {
    listener_id: listenerId, amphora_id: amphoraId,
    bytes_in: prev?.bytes_in ?? 0, bytes_out: prev?.bytes_out ?? 0, total_connections: prev?.total_connections ?? 0,
    request_errors: prev?.request_errors ?? 0, active_connections: report.active_connections,
    counters: { epoch, bytes_in: report.bytes_in, bytes_out: report.bytes_out, total_connections: report.total_connections, request_errors: report.request_errors },
  };
  // A row written before this column existed (or by a provider) has no base: its totals stand
  // and this report becomes the base, so nothing is counted twice.
  const adopt = prev !== undefined && (base === undefined || base === null);
  for (const c of CUMULATIVE) {
    if (adopt) continue;
    next[c] += sameWorker ? report[c] - (base as RawCounters)[c] : report[c];
  }
  const changed = !prev || CUMULATIVE.some((c) => next[c] !== prev[c]) || next.active_connections !== prev.active_connections ||
    JSON.stringify(next.counters) !== JSON.stringify(prev.counters);
  return changed ? next : undefined;
}
