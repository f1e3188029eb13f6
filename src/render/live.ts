// The part of a graph that still exists as far as the data plane is concerned: objects being
// deleted (PENDING_DELETE) or gone (DELETED) are not rendered, as Octavia's driver skips
// them; their children go with them because lookups start from live parents.
import type {
  HealthMonitor, L7Policy, L7Rule, Listener, LoadBalancerGraph, Member, Owned, Pool,
} from '../domain/entities.ts';

const isLive = (o: Owned) => o.provisioning_status !== 'PENDING_DELETE' && o.provisioning_status !== 'DELETED';

/** Oldest first, then by id: a stable order that appends new objects at the end. */
export function byAge<T extends Owned>(a: T, b: T): number {
  return a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id);
}

export interface LiveGraph {
  listeners: Listener[];
  pool(id: string): Pool | undefined;
  membersOf(poolId: string): Member[];
  monitorOf(poolId: string): HealthMonitor | undefined;
  /** Live policies of a listener, by position. */
  policiesOf(listenerId: string): L7Policy[];
  /** Live rules of a policy, oldest first. */
  rulesOf(policyId: string): L7Rule[];
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(key(item));
    if (list) list.push(item);
    else map.set(key(item), [item]);
  }
  return map;
}

export function live(graph: LoadBalancerGraph): LiveGraph {
  const pools = new Map(graph.pools.filter(isLive).map((p) => [p.id, p]));
  const members = groupBy(graph.members.filter(isLive).sort(byAge), (m) => m.pool_id);
  const monitors = new Map(graph.healthMonitors.filter(isLive).map((h) => [h.pool_id, h]));
  const policies = groupBy(
    graph.l7policies.filter(isLive).sort((a, b) => a.position - b.position || a.id.localeCompare(b.id)),
    (p) => p.listener_id,
  );
  const rules = groupBy(graph.l7rules.filter(isLive).sort(byAge), (r) => r.l7policy_id);
  return {
    listeners: graph.listeners.filter(isLive),
    pool: (id) => pools.get(id),
    membersOf: (id) => members.get(id) ?? [],
    monitorOf: (id) => monitors.get(id),
    policiesOf: (id) => policies.get(id) ?? [],
    rulesOf: (id) => rules.get(id) ?? [],
  };
}
