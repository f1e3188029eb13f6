// /v2/lbaas/quotas: per-project limits, their defaults, and the list of projects that set any.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as quotas from '../../service/quotas.ts';
import { parseBody } from '../schema.ts';
import { paginate } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId, requestUrl } from '../request.ts';
import { quotaListItemToWire, quotaPutShape, quotaToWire, quotaUpdate } from './wire.ts';

export function quotaRoutes(app: FastifyInstance, deps: ServiceDeps) {
  app.get('/lbaas/quotas', async (req) => {
    const rows = await quotas.listQuotas(deps, req.ctx);
    // Quotas have no id of their own: the project id is their pagination marker.
    const wire = rows.map((q) => ({ id: q.project_id, ...quotaListItemToWire(q) }));
    const page = paginate(wire, req.query as Query, { url: requestUrl(req) });
    const items = page.items.map(({ id: _id, ...rest }) => rest);
    return { quotas: items, quotas_links: page.links };
  });

  // Octavia's api-ref path; any project's defaults are the same numbers.
  app.get('/lbaas/quotas/defaults', async (req) => ({ quota: quotaToWire(quotas.defaultQuota(deps, req.ctx)) }));

  app.get('/lbaas/quotas/:project_id/default', async (req) => (
    { quota: quotaToWire(quotas.defaultQuota(deps, req.ctx, pathId(req, 'project_id'))) }
  ));

  app.get('/lbaas/quotas/:project_id', async (req) => (
    { quota: quotaToWire(await quotas.getQuota(deps, req.ctx, pathId(req, 'project_id'))) }
  ));

  app.put('/lbaas/quotas/:project_id', async (req, reply) => {
    const body = parseBody(req.body, 'quota', quotaPutShape);
    const quota = await quotas.updateQuota(deps, req.ctx, pathId(req, 'project_id'), quotaUpdate(body));
    reply.code(202);
    return { quota: quotaToWire(quota) };
  });

  // Octavia answers 202 here (its controller declares it), not 204.
  app.delete('/lbaas/quotas/:project_id', async (req, reply) => {
    await quotas.resetQuota(deps, req.ctx, pathId(req, 'project_id'));
    return reply.code(202).send();
  });
}
