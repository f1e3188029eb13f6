// /v2/octavia/amphorae (admin): one handler per operation, each one service call.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as amphorae from '../../service/amphorae.ts';
import { paginate, selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId, requestUrl } from '../request.ts';
import { amphoraStatsToWire, amphoraToWire } from './wire.ts';

export function amphoraRoutes(app: FastifyInstance, deps: ServiceDeps) {
  app.get('/octavia/amphorae', async (req) => {
    const views = await amphorae.listAmphorae(deps, req.ctx);
    const projectOf = new Map(views.map((v) => [v.amphora.id, v.projectId]));
    const page = paginate(views.map((v) => amphoraToWire(v.amphora)), req.query as Query, {
      url: requestUrl(req),
      // Octavia filters amphorae by the project of their load balancer.
      extraFilters: { project_id: (item) => projectOf.get(String(item.id)) },
    });
    return { amphorae: page.items, amphorae_links: page.links };
  });

  app.get('/octavia/amphorae/:id', async (req) => {
    const found = await amphorae.getAmphora(deps, req.ctx, pathId(req));
    return { amphora: selectFields([amphoraToWire(found)], (req.query as Query).fields)[0] };
  });

  app.get('/octavia/amphorae/:id/stats', async (req) => (
    { amphora_stats: (await amphorae.amphoraStats(deps, req.ctx, pathId(req))).map(amphoraStatsToWire) }
  ));

  app.put('/octavia/amphorae/:id/failover', async (req, reply) => {
    await amphorae.failoverAmphora(deps, req.ctx, pathId(req));
    return reply.code(202).send();
  });

  app.put('/octavia/amphorae/:id/config', async (req, reply) => {
    await amphorae.configureAmphora(deps, req.ctx, pathId(req));
    return reply.code(202).send();
  });

  app.delete('/octavia/amphorae/:id', async (req, reply) => {
    await amphorae.deleteAmphora(deps, req.ctx, pathId(req));
    reply.code(204);
  });
}
