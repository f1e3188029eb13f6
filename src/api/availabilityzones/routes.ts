// /v2/lbaas/availabilityzones, keyed by name: one handler per operation, each one service call.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as zones from '../../service/availabilityzones.ts';
import { parseBody } from '../schema.ts';
import { paginate, selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId, requestUrl } from '../request.ts';
import { azPostShape, azPutShape, azToWire } from './wire.ts';

export function availabilityZoneRoutes(app: FastifyInstance, deps: ServiceDeps) {
  app.get('/lbaas/availabilityzones', async (req) => {
    // Zones have no id: the name is their pagination marker.
    const all = (await zones.listAvailabilityZones(deps, req.ctx)).map((z) => ({ id: z.name, ...azToWire(z) }));
    const page = paginate(all, req.query as Query, { url: requestUrl(req) });
    const items = page.items.map(({ id: _id, ...rest }) => rest);
    return { availability_zones: items, availability_zones_links: page.links };
  });

  app.post('/lbaas/availabilityzones', async (req, reply) => {
    const body = parseBody(req.body, 'availability_zone', azPostShape);
    const created = await zones.createAvailabilityZone(deps, req.ctx, {
      name: body.name!, description: body.description, enabled: body.enabled,
      availability_zone_profile_id: body.availability_zone_profile_id!,
    });
    reply.code(201);
    return { availability_zone: azToWire(created) };
  });

  app.get('/lbaas/availabilityzones/:name', async (req) => {
    const found = await zones.getAvailabilityZone(deps, req.ctx, pathId(req, 'name'));
    return { availability_zone: selectFields([azToWire(found)], (req.query as Query).fields)[0] };
  });

  app.put('/lbaas/availabilityzones/:name', async (req) => {
    const body = parseBody(req.body, 'availability_zone', azPutShape);
    return { availability_zone: azToWire(await zones.updateAvailabilityZone(deps, req.ctx, pathId(req, 'name'), body)) };
  });

  app.delete('/lbaas/availabilityzones/:name', async (req, reply) => {
    await zones.deleteAvailabilityZone(deps, req.ctx, pathId(req, 'name'));
    reply.code(204);
  });
}
