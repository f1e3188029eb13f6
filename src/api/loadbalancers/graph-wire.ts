// The fully populated load balancer on the wire: listeners with a nested default pool and L7
// policies (with a nested redirect pool), and top-level pools. Nested pools may be a full
// definition or a name-only reference, so none of their fields is mandatory here; the
// service checks what a full definition needs.
import { parseAt, optional, t } from '../schema.ts';
import { listenerCreateFields, listenerToWire } from '../listeners/wire.ts';
import { poolPostShape, poolToWire } from '../pools/wire.ts';
import { l7policyPostShape, l7policyToWire } from '../l7policies/wire.ts';
import { l7ruleToWire } from '../l7rules/wire.ts';
import { memberToWire } from '../members/wire.ts';
import { healthMonitorToWire } from '../healthmonitors/wire.ts';
import { loadBalancerToWire } from './wire.ts';
import type { GraphListener, GraphPool, LoadBalancerGraphView } from '../../service/graph.ts';

const { listener_id: _l, loadbalancer_id: _lb, project_id: _p, tenant_id: _t, ...poolFields } = poolPostShape;
const graphPoolShape = optional(poolFields);

const { listener_id: _pl, project_id: _pp, tenant_id: _pt, ...policyFields } = l7policyPostShape;
const graphPolicyShape = { ...policyFields, redirect_pool: t.raw() };

const graphListenerShape = {
  ...listenerCreateFields,
  default_pool: t.raw(),
  l7policies: t.array(t.raw()),
};

/** The whole request, which WSME reports unconvertible nested values against. */
export interface GraphRoot {
  argument: string;
  body: unknown;
}

const LB_PATH = 'load_balancer.loadbalancer';

export function parseGraphPool(value: unknown, path: string, root?: GraphRoot): GraphPool {
  return parseAt(value, path, graphPoolShape, root) as GraphPool;
}

/** `path` for a top-level pool of the graph, as WSME names it in messages. */
export const GRAPH_POOLS_PATH = `${LB_PATH}.pools`;

export function parseGraphListener(value: unknown, root?: GraphRoot): GraphListener {
  const path = `${LB_PATH}.listeners`;
  const li = parseAt(value, path, graphListenerShape, root);
  return {
    ...li,
    default_pool: li.default_pool ? parseGraphPool(li.default_pool, `${path}.default_pool`, root) : undefined,
    l7policies: (li.l7policies ?? []).map((raw) => {
      const policy = parseAt(raw, `${path}.l7policies`, graphPolicyShape, root);
      return {
        ...policy,
        redirect_pool: policy.redirect_pool ? parseGraphPool(policy.redirect_pool, `${path}.l7policies.redirect_pool`, root) : undefined,
      };
    }),
  } as GraphListener;
}

/**
 * Octavia answers a load balancer POST with every child in full. Its full listener and pool
 * types carry no `loadbalancers` back-reference, and a pool names its monitor in full only.
 */
export function loadBalancerGraphToWire(view: LoadBalancerGraphView) {
  return {
    ...loadBalancerToWire(view),
    listeners: view.listeners.map((l) => {
      const { loadbalancers: _lbs, ...listener } = listenerToWire(l);
      return { ...listener, l7policies: l.l7policies.map((p) => ({ ...l7policyToWire(p), rules: p.rules.map(l7ruleToWire) })) };
    }),
    pools: view.pools.map((p) => {
      const { loadbalancers: _lbs, healthmonitor_id: _hm, ...pool } = { healthmonitor_id: undefined, ...poolToWire(p) };
      return {
        ...pool,
        members: p.members.map(memberToWire),
        healthmonitor: p.healthMonitor ? healthMonitorToWire(p.healthMonitor) : null,
      };
    }),
  };
}
