// /v2/lbaas/pools/{pool_id}/members: one handler per operation, each one service call.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as members from '../../service/members.ts';
import { parseBody } from '../schema.ts';
import { inCreationOrder, paginate, selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId, requestUrl } from '../request.ts';
import { memberPostShape, memberPutShape, memberToWire, parseMemberBatch } from './wire.ts';

/** oslo's bool_from_string, not strict: anything but a true-like word is false. */
function truthy(value: Query[string]): boolean {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return ['1', 't', 'true', 'on', 'y', 'yes'].includes(String(last ?? '').trim().toLowerCase());
}

export function memberRoutes(app: FastifyInstance, deps: ServiceDeps) {
  const base = '/lbaas/pools/:id/members';

  app.get(base, async (req) => {
    const wire = inCreationOrder(await members.listMembers(deps, req.ctx, pathId(req)), (m) => m.created_at).map(memberToWire);
    const page = paginate(wire, req.query as Query, { url: requestUrl(req) });
    return { members: page.items, members_links: page.links };
  });

  app.post(base, async (req, reply) => {
    const body = parseBody(req.body, 'member', memberPostShape);
    const member = await members.createMember(deps, req.ctx, pathId(req), body);
    reply.code(201);
    return { member: memberToWire(member) };
  });

  app.put(base, async (req, reply) => {
    const entries = parseMemberBatch(req.body);
    await members.batchUpdateMembers(deps, req.ctx, pathId(req), entries, truthy((req.query as Query).additive_only));
    reply.code(202);
  });

  app.get(`${base}/:member_id`, async (req) => {
    const member = await members.getMember(deps, req.ctx, pathId(req), pathId(req, 'member_id'));
    return { member: selectFields([memberToWire(member)], (req.query as Query).fields)[0] };
  });

  app.put(`${base}/:member_id`, async (req) => {
    const body = parseBody(req.body, 'member', memberPutShape);
    const member = await members.updateMember(deps, req.ctx, pathId(req), pathId(req, 'member_id'), body);
    return { member: memberToWire(member) };
  });

  app.delete(`${base}/:member_id`, async (req, reply) => {
    await members.deleteMember(deps, req.ctx, pathId(req), pathId(req, 'member_id'));
    reply.code(204);
  });
}
