// /v2/lbaas/availabilityzoneprofiles (admin): one handler per operation, each one service call.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as profiles from '../../service/availabilityzoneprofiles.ts';
import { parseBody } from '../schema.ts';
import { paginate, selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId, requestUrl } from '../request.ts';
import { azProfilePostShape, azProfilePutShape, azProfileToWire } from './wire.ts';

export function availabilityZoneProfileRoutes(app: FastifyInstance, deps: ServiceDeps) {
  app.get('/lbaas/availabilityzoneprofiles', async (req) => {
    const all = (await profiles.listAvailabilityZoneProfiles(deps, req.ctx)).map(azProfileToWire);
    const page = paginate(all, req.query as Query, { url: requestUrl(req) });
    // Octavia spells the links key in the singular.
    return { availability_zone_profiles: page.items, availability_zone_profile_links: page.links };
  });

  app.post('/lbaas/availabilityzoneprofiles', async (req, reply) => {
    const body = parseBody(req.body, 'availability_zone_profile', azProfilePostShape);
    const created = await profiles.createAvailabilityZoneProfile(deps, req.ctx, {
      name: body.name!, provider_name: body.provider_name!, availability_zone_data: body.availability_zone_data!,
    });
    reply.code(201);
    return { availability_zone_profile: azProfileToWire(created) };
  });

  app.get('/lbaas/availabilityzoneprofiles/:id', async (req) => {
    const found = await profiles.getAvailabilityZoneProfile(deps, req.ctx, pathId(req));
    return { availability_zone_profile: selectFields([azProfileToWire(found)], (req.query as Query).fields)[0] };
  });

  app.put('/lbaas/availabilityzoneprofiles/:id', async (req) => {
    const body = parseBody(req.body, 'availability_zone_profile', azProfilePutShape);
    const updated = await profiles.updateAvailabilityZoneProfile(deps, req.ctx, pathId(req), body);
    return { availability_zone_profile: azProfileToWire(updated) };
  });

  app.delete('/lbaas/availabilityzoneprofiles/:id', async (req, reply) => {
    await profiles.deleteAvailabilityZoneProfile(deps, req.ctx, pathId(req));
    reply.code(204);
  });
}
