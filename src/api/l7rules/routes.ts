// /v2/lbaas/l7policies/{l7policy_id}/rules: one handler per operation, each one service call.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as rules from '../../service/l7rules.ts';
import { parseBody } from '../schema.ts';
import { inCreationOrder, paginate, selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId, requestUrl } from '../request.ts';
import { l7rulePostShape, l7rulePutShape, l7ruleToWire } from './wire.ts';

const COLLECTION = '/lbaas/l7policies/:l7policy_id/rules';

export function l7ruleRoutes(app: FastifyInstance, deps: ServiceDeps) {
  const policyId = (req: Parameters<typeof pathId>[0]) => pathId(req, 'l7policy_id');

  app.get(COLLECTION, async (req) => {
    const wire = inCreationOrder(await rules.listL7Rules(deps, req.ctx, policyId(req)), (r) => r.created_at).map(l7ruleToWire);
    const page = paginate(wire, req.query as Query, { url: requestUrl(req) });
    return { rules: page.items, rules_links: page.links };
  });

  app.post(COLLECTION, async (req, reply) => {
    const body = parseBody(req.body, 'rule', l7rulePostShape);
    const rule = await rules.createL7Rule(deps, req.ctx, policyId(req), body);
    reply.code(201);
    return { rule: l7ruleToWire(rule) };
  });

  app.get(`${COLLECTION}/:id`, async (req) => {
    const rule = await rules.getL7Rule(deps, req.ctx, policyId(req), pathId(req));
    return { rule: selectFields([l7ruleToWire(rule)], (req.query as Query).fields)[0] };
  });

  app.put(`${COLLECTION}/:id`, async (req) => {
    const body = parseBody(req.body, 'rule', l7rulePutShape, 'l7rule_');
    const rule = await rules.updateL7Rule(deps, req.ctx, policyId(req), pathId(req), body);
    return { rule: l7ruleToWire(rule) };
  });

  app.delete(`${COLLECTION}/:id`, async (req, reply) => {
    await rules.deleteL7Rule(deps, req.ctx, policyId(req), pathId(req));
    reply.code(204);
  });
}
