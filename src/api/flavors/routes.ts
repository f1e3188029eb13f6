// /v2/lbaas/flavors: one handler per operation, each one service call.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as flavors from '../../service/flavors.ts';
import { parseBody } from '../schema.ts';
import { paginate, selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId, requestUrl } from '../request.ts';
import { flavorPostShape, flavorPutShape, flavorToWire } from './wire.ts';

export function flavorRoutes(app: FastifyInstance, deps: ServiceDeps) {
  app.get('/lbaas/flavors', async (req) => {
    const all = (await flavors.listFlavors(deps, req.ctx)).map(flavorToWire);
    const page = paginate(all, req.query as Query, { url: requestUrl(req) });
    return { flavors: page.items, flavors_links: page.links };
  });

  app.post('/lbaas/flavors', async (req, reply) => {
    const body = parseBody(req.body, 'flavor', flavorPostShape);
    const created = await flavors.createFlavor(deps, req.ctx, {
      name: body.name!, description: body.description, enabled: body.enabled, flavor_profile_id: body.flavor_profile_id!,
    });
    reply.code(201);
    return { flavor: flavorToWire(created) };
  });

  app.get('/lbaas/flavors/:id', async (req) => {
    const found = await flavors.getFlavor(deps, req.ctx, pathId(req));
    return { flavor: selectFields([flavorToWire(found)], (req.query as Query).fields)[0] };
  });

  app.put('/lbaas/flavors/:id', async (req) => {
    const body = parseBody(req.body, 'flavor', flavorPutShape);
    return { flavor: flavorToWire(await flavors.updateFlavor(deps, req.ctx, pathId(req), body)) };
  });

  app.delete('/lbaas/flavors/:id', async (req, reply) => {
    await flavors.deleteFlavor(deps, req.ctx, pathId(req));
    reply.code(204);
  });
}
