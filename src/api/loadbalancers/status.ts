// The status tree (GET /lbaas/loadbalancers/{id}/status): the load balancer, its listeners,
// the pools each listener uses (default pool and L7 redirect targets), their health monitor
// and members — ids, names and both statuses, as Octavia nests them.
import type { HealthMonitor, LoadBalancerGraph, Member, Pool } from '../../domain/entities.ts';

export function statusTree(graph: LoadBalancerGraph) {
  const { loadBalancer: lb, listeners, pools, members, healthMonitors, l7policies } = graph;
  const poolById = new Map(pools.map((p) => [p.id, p]));
  const poolsOf = (listenerId: string, defaultPoolId: string | null) => {
    const ids = new Set<string>();
    if (defaultPoolId) ids.add(defaultPoolId);
    for (const p of l7policies) if (p.listener_id === listenerId && p.redirect_pool_id) ids.add(p.redirect_pool_id);
    return [...ids].map((id) => poolById.get(id)).filter((p): p is Pool => p !== undefined);
  };
  return {
    statuses: {
      loadbalancer: {
        id: lb.id,
        name: lb.name ?? '',
        operating_status: lb.operating_status,
        provisioning_status: lb.provisioning_status,
        listeners: listeners.map((l) => ({
          id: l.id,
          name: l.name ?? '',
          operating_status: l.operating_status,
          provisioning_status: l.provisioning_status,
          pools: poolsOf(l.id, l.default_pool_id).map((p) => poolStatus(p, healthMonitors, members)),
        })),
      },
    },
  };
}

function poolStatus(pool: Pool, monitors: HealthMonitor[], members: Member[]) {
  const hm = monitors.find((m) => m.pool_id === pool.id);
  return {
    id: pool.id,
    name: pool.name ?? '',
    provisioning_status: pool.provisioning_status,
    operating_status: pool.operating_status,
    ...(hm ? {
      health_monitor: {
        id: hm.id, name: hm.name ?? '', type: hm.type,
        provisioning_status: hm.provisioning_status, operating_status: hm.operating_status,
      },
    } : {}),
    members: members.filter((m) => m.pool_id === pool.id).map((m) => ({
      id: m.id,
      name: m.name ?? '',
      operating_status: m.operating_status,
      provisioning_status: m.provisioning_status,
      address: m.address,
      protocol_port: m.protocol_port,
    })),
  };
}
