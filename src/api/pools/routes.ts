// /v2/lbaas/pools: one handler per operation, each one service call.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as pools from '../../service/pools.ts';
import { parseBody } from '../schema.ts';
import { inCreationOrder, paginate, selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId, requestUrl } from '../request.ts';
import { poolPostShape, poolPutShape, poolToWire } from './wire.ts';

export function poolRoutes(app: FastifyInstance, deps: ServiceDeps) {
  app.get('/lbaas/pools', async (req) => {
    const wire = inCreationOrder(await pools.listPools(deps, req.ctx), (v) => v.pool.created_at).map(poolToWire);
    const page = paginate(wire, req.query as Query, {
      url: requestUrl(req),
      // Octavia filters pools on their load balancer by either spelling.
      extraFilters: { load_balancer_id: (x) => x.loadbalancers, healthmonitor_id: (x) => x.healthmonitor_id ?? null },
    });
    return { pools: page.items, pools_links: page.links };
  });

  app.post('/lbaas/pools', async (req, reply) => {
    const body = parseBody(req.body, 'pool', poolPostShape);
    const view = await pools.createPool(deps, req.ctx, body);
    reply.code(201);
    return { pool: poolToWire(view) };
  });

  app.get('/lbaas/pools/:id', async (req) => {
    const view = await pools.getPool(deps, req.ctx, pathId(req));
    return { pool: selectFields([poolToWire(view)], (req.query as Query).fields)[0] };
  });

  app.put('/lbaas/pools/:id', async (req) => {
    const body = parseBody(req.body, 'pool', poolPutShape);
    return { pool: poolToWire(await pools.updatePool(deps, req.ctx, pathId(req), body)) };
  });

  app.delete('/lbaas/pools/:id', async (req, reply) => {
    await pools.deletePool(deps, req.ctx, pathId(req));
    reply.code(204);
  });
}
