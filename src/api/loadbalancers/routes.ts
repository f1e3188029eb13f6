// /v2/lbaas/loadbalancers: one handler per operation, each one service call.
import type { FastifyInstance } from 'fastify';
import { Errors } from '../../domain/errors.ts';
import { ProvisioningStatus } from '../../domain/enums.ts';
import type { ServiceDeps } from '../../service/deps.ts';
import * as lbs from '../../service/loadbalancers.ts';
import { parseBody } from '../schema.ts';
import { inCreationOrder, paginate, selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { lbPostShape, lbPutShape, loadBalancerToWire } from './wire.ts';
import { pathId, requestUrl } from '../request.ts';
import { loadBalancerStats } from '../../service/stats.ts';
import { statusTree } from './status.ts';
import { createLoadBalancerGraph } from '../../service/graph.ts';
import { GRAPH_POOLS_PATH, loadBalancerGraphToWire, parseGraphListener, parseGraphPool } from './graph-wire.ts';

export function loadBalancerRoutes(app: FastifyInstance, deps: ServiceDeps) {
  const view = async (lb: Awaited<ReturnType<typeof lbs.getLoadBalancer>>) => {
    const ids = (await lbs.childIds(deps.store, [lb.id])).get(lb.id)!;
    return loadBalancerToWire({ loadBalancer: lb, ...ids });
  };

  app.get('/lbaas/loadbalancers', async (req) => {
    const all = inCreationOrder(await lbs.listLoadBalancers(deps, req.ctx), (lb) => lb.created_at);
    const ids = await lbs.childIds(deps.store, all.map((lb) => lb.id));
    const wire = all.map((lb) => loadBalancerToWire({ loadBalancer: lb, ...ids.get(lb.id)! }));
    const page = paginate(wire, req.query as Query, { url: requestUrl(req) });
    return { loadbalancers: page.items, loadbalancers_links: page.links };
  });

  app.post('/lbaas/loadbalancers', async (req, reply) => {
    const { listeners, pools, ...body } = parseBody(req.body, 'loadbalancer', lbPostShape);
    const root = { argument: 'load_balancer', body: req.body };
    const created = await createLoadBalancerGraph(
      deps, req.ctx, { ...body, project_id: body.project_id ?? body.tenant_id },
      (listeners ?? []).map((l) => parseGraphListener(l, root)), (pools ?? []).map((p) => parseGraphPool(p, GRAPH_POOLS_PATH, root)),
    );
    reply.code(201);
    return { loadbalancer: loadBalancerGraphToWire(created) };
  });

  app.get('/lbaas/loadbalancers/:id', async (req) => {
    const lb = await lbs.getLoadBalancer(deps, req.ctx, pathId(req));
    // DELETED rows linger until purged, but Octavia's show (like its other LB endpoints) hides them.
    if (lb.provisioning_status === ProvisioningStatus.DELETED) throw Errors.notFound('Load Balancer', lb.id);
    return { loadbalancer: selectFields([await view(lb)], (req.query as Query).fields)[0] };
  });

  app.put('/lbaas/loadbalancers/:id', async (req) => {
    const body = parseBody(req.body, 'loadbalancer', lbPutShape);
    // As Octavia stores it: an explicit null admin_state_up reads as false.
    if (body.admin_state_up === null) body.admin_state_up = false;
    const lb = await lbs.updateLoadBalancer(deps, req.ctx, pathId(req), body);
    return { loadbalancer: await view(lb) };
  });

  app.delete('/lbaas/loadbalancers/:id', async (req, reply) => {
    const cascade = ['true', '1', 'yes', 'y', 't', 'on'].includes(String((req.query as Query).cascade ?? '').toLowerCase());
    await lbs.deleteLoadBalancer(deps, req.ctx, pathId(req), cascade);
    reply.code(204);
  });

  // 'statuses' is the neutron-lbaas spelling Octavia still answers to.
  for (const path of ['/lbaas/loadbalancers/:id/status', '/lbaas/loadbalancers/:id/statuses']) {
    app.get(path, async (req) => statusTree(await lbs.loadBalancerGraph(deps, req.ctx, pathId(req))));
  }

  app.get('/lbaas/loadbalancers/:id/stats', async (req) => ({ stats: await loadBalancerStats(deps, req.ctx, pathId(req)) }));

  app.put('/lbaas/loadbalancers/:id/failover', async (req, reply) => {
    await lbs.failoverLoadBalancer(deps, req.ctx, pathId(req));
    reply.code(202);
  });
}
