// /v2/lbaas/healthmonitors: one handler per operation, each one service call.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as monitors from '../../service/healthmonitors.ts';
import { parseBody } from '../schema.ts';
import { inCreationOrder, paginate, selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId, requestUrl } from '../request.ts';
import { healthMonitorToWire, hmPostShape, hmPutShape } from './wire.ts';

export function healthMonitorRoutes(app: FastifyInstance, deps: ServiceDeps) {
  app.get('/lbaas/healthmonitors', async (req) => {
    const wire = inCreationOrder(await monitors.listHealthMonitors(deps, req.ctx), (h) => h.created_at).map(healthMonitorToWire);
    const page = paginate(wire, req.query as Query, { url: requestUrl(req), extraFilters: { pool_id: (x) => x.pools } });
    return { healthmonitors: page.items, healthmonitors_links: page.links };
  });

  app.post('/lbaas/healthmonitors', async (req, reply) => {
    const body = parseBody(req.body, 'healthmonitor', hmPostShape);
    const hm = await monitors.createHealthMonitor(deps, req.ctx, body);
    reply.code(201);
    return { healthmonitor: healthMonitorToWire(hm) };
  });

  app.get('/lbaas/healthmonitors/:id', async (req) => {
    const hm = await monitors.getHealthMonitor(deps, req.ctx, pathId(req));
    return { healthmonitor: selectFields([healthMonitorToWire(hm)], (req.query as Query).fields)[0] };
  });

  app.put('/lbaas/healthmonitors/:id', async (req) => {
    const body = parseBody(req.body, 'healthmonitor', hmPutShape);
    return { healthmonitor: healthMonitorToWire(await monitors.updateHealthMonitor(deps, req.ctx, pathId(req), body)) };
  });

  app.delete('/lbaas/healthmonitors/:id', async (req, reply) => {
    await monitors.deleteHealthMonitor(deps, req.ctx, pathId(req));
    reply.code(204);
  });
}
