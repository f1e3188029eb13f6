// Requests no route takes, answered as Octavia's pecan routing answers them: a known path
// with another method is a 405 (HEAD included: Octavia routes no HEAD), OPTIONS on a known
// path is an empty 200, PUT/DELETE on a collection misses its id, POST on an item fails to
// convert the id into a body, and anything else is a 404.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { faultBody } from './errors.ts';
import { plain, sendPlain } from './plain.ts';

interface KnownRoute {
  pattern: RegExp;
  url: string;
  methods: Set<string>;
}

/** Octavia's controller argument and POST root type per collection, for its POST-on-item 400. */
const POST_TYPES: Record<string, [string, string]> = {
  loadbalancers: ['load_balancer', 'LoadBalancerRootPOST'],
  listeners: ['listener_', 'ListenerRootPOST'],
  pools: ['pool_', 'PoolRootPOST'],
  members: ['member_', 'MemberRootPOST'],
  healthmonitors: ['health_monitor_', 'HealthMonitorRootPOST'],
  l7policies: ['l7policy_', 'L7PolicyRootPOST'],
  rules: ['rule_', 'L7RuleRootPOST'],
  flavors: ['flavor_', 'FlavorRootPOST'],
  flavorprofiles: ['flavor_profile_', 'FlavorProfileRootPOST'],
  availabilityzones: ['availability_zone_', 'AvailabilityZoneRootPOST'],
  availabilityzoneprofiles: ['availability_zone_profile_', 'AvailabilityZoneProfileRootPOST'],
};

/** Records every route as it is added; call before any route is registered. */
export function trackRoutes(app: FastifyInstance): KnownRoute[] {
  const known: KnownRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const url = route.url.replace(/\/+$/, '') || '/';
    let entry = known.find((k) => k.url === url);
    if (!entry) {
      const source = url.split('/').map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
      entry = { url, pattern: new RegExp(`^${source}$`), methods: new Set() };
      known.push(entry);
    }
    for (const m of [route.method].flat()) entry.methods.add(m);
  });
  return known;
}

export function unroutedHandler(known: KnownRoute[]) {
  const methodsAt = (path: string): Set<string> => {
    const out = new Set<string>();
    for (const k of known) if (k.pattern.test(path)) for (const m of k.methods) out.add(m);
    return out;
  };
  return (req: FastifyRequest, reply: FastifyReply) => {
    const path = (req.url.split('?')[0].replace(/\/{2,}/g, '/').replace(/\/+$/, '') || '/');
    const method = req.method.toUpperCase();
    const here = methodsAt(path);
    const underV2 = /^\/v2(\.0)?\//.test(`${path}/`);
    const parent = path.slice(0, path.lastIndexOf('/'));
    const collection = parent.slice(parent.lastIndexOf('/') + 1);
    if (method === 'POST' && methodsAt(parent).has('POST') && POST_TYPES[collection]) {
      // The id lands in the body argument, which WSME cannot build from a bare string.
      const [argument, type] = POST_TYPES[collection];
      const id = path.slice(path.lastIndexOf('/') + 1);
      return reply.code(400).send(faultBody(400, `Invalid input for field/attribute ${argument}. Value: '${id}'. `
        + `unable to convert to ${type}. Error: Base.__init__() takes 1 positional argument but 2 were given`));
    }
    if (here.size > 0) {
      if (method === 'OPTIONS') return reply.code(200).send('');
      const item = methodsAt(`${path}/x`);
      if ((method === 'PUT' || method === 'DELETE') && item.has(method)) {
        return reply.code(400).send(faultBody(400, 'Missing argument: "id"'));
      }
      return sendPlain(req, reply, plain.methodNotAllowed(method, [...here].filter((m) => m !== 'HEAD').sort().join(', ')));
    }
    // Octavia's provider controller answers every unknown path below a provider with a 405.
    if (/^\/v2(\.0)?\/lbaas\/providers(\/|$)/.test(path)) {
      return sendPlain(req, reply, plain.methodNotAllowed(method, 'GET'));
    }
    return sendPlain(req, reply, plain.notFound(underV2 ? '' : null));
  };
}
