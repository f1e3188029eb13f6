// Statistics of listeners and load balancers, summed from the listener_stats rows the amphorae
// (or a provider) report, one row per listener and amphora.
import { Errors } from '../domain/errors.ts';
import { ProvisioningStatus as PS } from '../domain/enums.ts';
import type { ListenerStats } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { Store } from '../store/store.ts';
import type { ServiceDeps } from './deps.ts';
import { load } from './lock.ts';

export interface Stats {
  bytes_in: number;
  bytes_out: number;
  active_connections: number;
  total_connections: number;
  request_errors: number;
}

export async function listenerStats(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<Stats> {
  await load(deps.store, ctx, 'listener', id, 'Listener');
  return sumStats(deps.store, [id]);
}

export async function loadBalancerStats(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<Stats> {
  const lb = await load(deps.store, ctx, 'load_balancer', id, 'Load Balancer');
  if (lb.provisioning_status === PS.DELETED) throw Errors.notFound('Load Balancer', id);
  const listeners = await deps.store.find('listener', { load_balancer_id: id });
  return sumStats(deps.store, listeners.map((l) => l.id));
}

/**
 * Sums the rows of these listeners. As in Octavia, active connections count only from an
 * ALLOCATED amphora (a spare or failed-over one reports stale numbers) or from a provider that
 * reports under the listener's own id; the cumulative counters always count.
 */
async function sumStats(store: Store, listenerIds: string[]): Promise<Stats> {
  const total: Stats = { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 };
  if (listenerIds.length === 0) return total;
  const rows = await store.find('listener_stats', { listener_id: listenerIds });
  const amphorae = rows.length === 0 ? [] : await store.find('amphora', { id: [...new Set(rows.map((r) => r.amphora_id))] });
  const allocated = new Set(amphorae.filter((a) => a.status === 'ALLOCATED').map((a) => a.id));
  for (const row of rows) add(total, row, allocated.has(row.amphora_id) || row.amphora_id === row.listener_id);
  return total;
}

function add(total: Stats, row: ListenerStats, countActive: boolean): void {
  total.bytes_in += row.bytes_in;
  total.bytes_out += row.bytes_out;
  total.total_connections += row.total_connections;
  total.request_errors += row.request_errors;
  if (countActive) total.active_connections += row.active_connections;
}
