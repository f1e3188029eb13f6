// /v2/lbaas/flavorprofiles (admin): one handler per operation, each one service call.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as profiles from '../../service/flavorprofiles.ts';
import { parseBody } from '../schema.ts';
import { paginate, selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId, requestUrl } from '../request.ts';
import { flavorProfilePostShape, flavorProfilePutShape, flavorProfileToWire } from './wire.ts';

export function flavorProfileRoutes(app: FastifyInstance, deps: ServiceDeps) {
  app.get('/lbaas/flavorprofiles', async (req) => {
    const all = (await profiles.listFlavorProfiles(deps, req.ctx)).map(flavorProfileToWire);
    const page = paginate(all, req.query as Query, { url: requestUrl(req) });
    // Octavia spells this one in the singular.
    return { flavorprofiles: page.items, flavorprofile_links: page.links };
  });

  app.post('/lbaas/flavorprofiles', async (req, reply) => {
    const body = parseBody(req.body, 'flavorprofile', flavorProfilePostShape);
    const created = await profiles.createFlavorProfile(deps, req.ctx, {
      name: body.name!, provider_name: body.provider_name!, flavor_data: body.flavor_data!,
    });
    reply.code(201);
    return { flavorprofile: flavorProfileToWire(created) };
  });

  app.get('/lbaas/flavorprofiles/:id', async (req) => {
    const found = await profiles.getFlavorProfile(deps, req.ctx, pathId(req));
    return { flavorprofile: selectFields([flavorProfileToWire(found)], (req.query as Query).fields)[0] };
  });

  app.put('/lbaas/flavorprofiles/:id', async (req) => {
    const body = parseBody(req.body, 'flavorprofile', flavorProfilePutShape);
    return { flavorprofile: flavorProfileToWire(await profiles.updateFlavorProfile(deps, req.ctx, pathId(req), body)) };
  });

  app.delete('/lbaas/flavorprofiles/:id', async (req, reply) => {
    await profiles.deleteFlavorProfile(deps, req.ctx, pathId(req));
    reply.code(204);
  });
}
