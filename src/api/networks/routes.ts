// Neutron's read API for the networks, subnets and ports Fulcrum knows, mounted at /v2.0
// only (Neutron's prefix). Clients resolve names with ?name= and ids with /{id}; filters,
// `fields`, sorting and limit/marker work as on Octavia's lists.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as networks from '../../service/networks.ts';
import { paginate, selectFields } from '../list.ts';
import type { Query } from '../list.ts';
import { pathId, requestUrl } from '../request.ts';
import { networkToWire, subnetToWire, vipPortToWire } from './wire.ts';

/** `{<key>: [...]}`, plus `<key>_links` when the client asked for a page, as Neutron answers. */
function neutronList(req: FastifyRequest, key: string, all: Record<string, unknown>[]) {
  const query = req.query as Query;
  const page = paginate(all, query, { url: requestUrl(req) });
  return query.limit === undefined ? { [key]: page.items } : { [key]: page.items, [`${key}_links`]: page.links };
}

function one(req: FastifyRequest, item: Record<string, unknown>) {
  return selectFields([item], (req.query as Query).fields)[0];
}

export function networkRoutes(app: FastifyInstance, deps: ServiceDeps) {
  app.get('/networks', async (req) => {
    const [all, subnets] = await Promise.all([networks.listNetworks(deps, req.ctx), networks.listSubnets(deps, req.ctx)]);
    return neutronList(req, 'networks', all.map((n) => networkToWire(n, subnets)));
  });

  app.get('/networks/:id', async (req) => {
    const network = await networks.getNetwork(deps, req.ctx, pathId(req));
    return { network: one(req, networkToWire(network, await networks.listSubnets(deps, req.ctx))) };
  });

  app.get('/subnets', async (req) => (
    neutronList(req, 'subnets', (await networks.listSubnets(deps, req.ctx)).map(subnetToWire))
  ));

  app.get('/subnets/:id', async (req) => (
    { subnet: one(req, subnetToWire(await networks.getSubnet(deps, req.ctx, pathId(req)))) }
  ));

  app.get('/ports', async (req) => (
    neutronList(req, 'ports', (await networks.listPorts(deps, req.ctx)).map(vipPortToWire))
  ));

  app.get('/ports/:id', async (req) => (
    { port: one(req, vipPortToWire(await networks.getPort(deps, req.ctx, pathId(req)))) }
  ));
}
