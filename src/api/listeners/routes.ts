// /v2/lbaas/listeners: one handler per operation, each one service call.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as listeners from '../../service/listeners.ts';
import { listenerStats } from '../../service/stats.ts';
import { parseBody } from '../schema.ts';
import { inCreationOrder, paginate, selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId, requestUrl } from '../request.ts';
import { listenerPostShape, listenerPutShape, listenerToWire } from './wire.ts';

export function listenerRoutes(app: FastifyInstance, deps: ServiceDeps) {
  app.get('/lbaas/listeners', async (req) => {
    const wire = inCreationOrder(await listeners.listListeners(deps, req.ctx), (v) => v.listener.created_at).map(listenerToWire);
    const page = paginate(wire, req.query as Query, {
      url: requestUrl(req),
      // Octavia filters listeners on their load balancer by either spelling.
      extraFilters: { load_balancer_id: (x) => (x.loadbalancers as { id: string }[])[0]?.id },
    });
    return { listeners: page.items, listeners_links: page.links };
  });

  app.post('/lbaas/listeners', async (req, reply) => {
    const body = parseBody(req.body, 'listener', listenerPostShape);
    const view = await listeners.createListener(deps, req.ctx, body);
    reply.code(201);
    return { listener: listenerToWire(view) };
  });

  app.get('/lbaas/listeners/:id', async (req) => {
    const view = await listeners.getListener(deps, req.ctx, pathId(req));
    return { listener: selectFields([listenerToWire(view)], (req.query as Query).fields)[0] };
  });

  app.put('/lbaas/listeners/:id', async (req) => {
    const body = parseBody(req.body, 'listener', listenerPutShape);
    const view = await listeners.updateListener(deps, req.ctx, pathId(req), body);
    return { listener: listenerToWire(view) };
  });

  app.delete('/lbaas/listeners/:id', async (req, reply) => {
    await listeners.deleteListener(deps, req.ctx, pathId(req));
    reply.code(204);
  });

  app.get('/lbaas/listeners/:id/stats', async (req) => ({ stats: await listenerStats(deps, req.ctx, pathId(req)) }));
}
