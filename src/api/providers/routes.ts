// /v2/lbaas/providers: the enabled providers and the flavor and availability zone settings
// each understands. Like Octavia: `fields` selects attributes, and the capability lists
// filter on exact `name` and `description`; nothing here paginates.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import { PROVIDERS, capabilities } from '../../service/providers.ts';
import type { CapabilityKind } from '../../service/providers.ts';
import { selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId } from '../request.ts';

type Described = { name: string; description: string };

function capabilityList(query: Query, kind: CapabilityKind, providerName: string) {
  const byName = last(query.name);
  const byDescription = last(query.description);
  const items: Described[] = capabilities(providerName, kind)
    .map((c) => ({ name: c.name, description: c.description }))
    .filter((c) => (byName ? c.name === byName : true) && (byDescription ? c.description === byDescription : true));
  return selectFields(items, query.fields);
}

function last(raw: string | string[] | undefined): string | undefined {
  return Array.isArray(raw) ? raw[raw.length - 1] : raw;
}

export function providerRoutes(app: FastifyInstance, _deps: ServiceDeps) {
  app.get('/lbaas/providers', async (req) => {
    const items: Described[] = PROVIDERS.map((p) => ({ name: p.name, description: p.description }));
    return { providers: selectFields(items, (req.query as Query).fields) };
  });

  app.get('/lbaas/providers/:provider/flavor_capabilities', async (req) => (
    { flavor_capabilities: capabilityList(req.query as Query, 'flavor', pathId(req, 'provider')) }
  ));

  app.get('/lbaas/providers/:provider/availability_zone_capabilities', async (req) => (
    { availability_zone_capabilities: capabilityList(req.query as Query, 'availability_zone', pathId(req, 'provider')) }
  ));
}
