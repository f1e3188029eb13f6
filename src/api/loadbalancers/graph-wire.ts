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

export function parseGraphPool(value: unknown, path: string): GraphPool {
  return parseAt(value, path, graphPoolShape) as GraphPool;
}

export function parseGraphListener(value: unknown, i: number): GraphListener {
  const path = `listeners[${i}]`;
  const li = parseAt(value, path, graphListenerShape);
  return {
    ...li,
    default_pool: li.default_pool ? parseGraphPool(li.default_pool, `${path}.default_pool`) : undefined,
    l7policies: (li.l7policies ?? []).map((raw, j) => {
      const policy = parseAt(raw, `${path}.l7policies[${j}]`, graphPolicyShape);
      return {
        ...policy,
        redirect_pool: policy.redirect_pool ? parseGraphPool(policy.redirect_pool, `${path}.l7policies[${j}].redirect_pool`) : undefined,
      };
    }),
  } as GraphListener;
}

/** Octavia answers a load balancer POST with every child in full. */
export function loadBalancerGraphToWire(view: LoadBalancerGraphView) {
  return {
    ...loadBalancerToWire(view),
    listeners: view.listeners.map((l) => ({
      ...listenerToWire(l),
      l7policies: l.l7policies.map((p) => ({ ...l7policyToWire(p), rules: p.rules.map(l7ruleToWire) })),
    })),
    pools: view.pools.map((p) => ({
      ...poolToWire(p),
      members: p.members.map(memberToWire),
      healthmonitor: p.healthMonitor ? healthMonitorToWire(p.healthMonitor) : null,
    })),
  };
}
