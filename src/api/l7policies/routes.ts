// /v2/lbaas/l7policies: one handler per operation, each one service call.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as policies from '../../service/l7policies.ts';
import { parseBody } from '../schema.ts';
import { inCreationOrder, paginate, selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId, requestUrl } from '../request.ts';
import { l7policyPostShape, l7policyPutShape, l7policyToWire } from './wire.ts';

export function l7policyRoutes(app: FastifyInstance, deps: ServiceDeps) {
  app.get('/lbaas/l7policies', async (req) => {
    const wire = inCreationOrder(await policies.listL7Policies(deps, req.ctx), (v) => v.policy.created_at).map(l7policyToWire);
    const page = paginate(wire, req.query as Query, { url: requestUrl(req) });
    return { l7policies: page.items, l7policies_links: page.links };
  });

  app.post('/lbaas/l7policies', async (req, reply) => {
    const body = parseBody(req.body, 'l7policy', l7policyPostShape);
    const view = await policies.createL7Policy(deps, req.ctx, body);
    reply.code(201);
    return { l7policy: l7policyToWire(view) };
  });

  app.get('/lbaas/l7policies/:id', async (req) => {
    const view = await policies.getL7Policy(deps, req.ctx, pathId(req));
    return { l7policy: selectFields([l7policyToWire(view)], (req.query as Query).fields)[0] };
  });

  app.put('/lbaas/l7policies/:id', async (req) => {
    const body = parseBody(req.body, 'l7policy', l7policyPutShape);
    const view = await policies.updateL7Policy(deps, req.ctx, pathId(req), body);
    return { l7policy: l7policyToWire(view) };
  });

  app.delete('/lbaas/l7policies/:id', async (req, reply) => {
    await policies.deleteL7Policy(deps, req.ctx, pathId(req));
    reply.code(204);
  });
}
