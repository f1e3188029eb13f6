// Where RBAC is enforced: every routed request names its Octavia policy action here, the
// rule table (domain/policy.ts) decides, and the request's context carries the answer to
// the services (`isAdmin` = may reach every project's objects in this request). Services
// keep refusing another project's objects unless that flag is set; that is the owner half
// of Octavia's check. A route with no action fails closed (403), and app start-up refuses
// to register an Octavia route that has none (see `policyAction`).
import type { FastifyRequest } from 'fastify';
import { decide } from '../domain/policy.ts';
import type { Credentials } from '../domain/policy.ts';
import { Errors } from '../domain/errors.ts';
import type { RequestContext } from '../domain/context.ts';

const LB = '/lbaas/loadbalancers';
const item = (path: string, kind: string, extra: Record<string, string> = {}) => ({
  [`GET ${path}`]: `${kind}:get_all`,
  [`POST ${path}`]: `${kind}:post`,
  [`GET ${path}/:id`]: `${kind}:get_one`,
  [`PUT ${path}/:id`]: `${kind}:put`,
  [`DELETE ${path}/:id`]: `${kind}:delete`,
  ...extra,
});

/** "METHOD route" (as registered, without the /v2 or /v2.0 mount) → Octavia's policy action. */
export const ROUTE_ACTIONS: Record<string, string> = {
  ...item(LB, 'loadbalancer', {
    [`GET ${LB}/:id/stats`]: 'loadbalancer:get_stats',
    [`GET ${LB}/:id/status`]: 'loadbalancer:get_status',
    [`GET ${LB}/:id/statuses`]: 'loadbalancer:get_status',
    [`PUT ${LB}/:id/failover`]: 'loadbalancer:put_failover',
  }),
  ...item('/lbaas/listeners', 'listener', { 'GET /lbaas/listeners/:id/stats': 'listener:get_stats' }),
  ...item('/lbaas/pools', 'pool'),
  'GET /lbaas/pools/:id/members': 'member:get_all',
  'POST /lbaas/pools/:id/members': 'member:post',
  // The batch update replaces a pool's members: a write on each.
  'PUT /lbaas/pools/:id/members': 'member:put',
  'GET /lbaas/pools/:id/members/:member_id': 'member:get_one',
  'PUT /lbaas/pools/:id/members/:member_id': 'member:put',
  'DELETE /lbaas/pools/:id/members/:member_id': 'member:delete',
  ...item('/lbaas/healthmonitors', 'healthmonitor'),
  ...item('/lbaas/l7policies', 'l7policy'),
  ...item('/lbaas/l7policies/:l7policy_id/rules', 'l7rule'),
  'GET /lbaas/quotas': 'quota:get_all',
  'GET /lbaas/quotas/defaults': 'quota:get_defaults',
  'GET /lbaas/quotas/:project_id/default': 'quota:get_defaults',
  'GET /lbaas/quotas/:project_id': 'quota:get_one',
  'PUT /lbaas/quotas/:project_id': 'quota:put',
  'DELETE /lbaas/quotas/:project_id': 'quota:delete',
  'GET /octavia/amphorae': 'amphora:get_all',
  'GET /octavia/amphorae/:id': 'amphora:get_one',
  'GET /octavia/amphorae/:id/stats': 'amphora:get_stats',
  'PUT /octavia/amphorae/:id/failover': 'amphora:put_failover',
  'PUT /octavia/amphorae/:id/config': 'amphora:put_config',
  'DELETE /octavia/amphorae/:id': 'amphora:delete',
  'GET /lbaas/providers': 'provider:get_all',
  'GET /lbaas/providers/:provider/flavor_capabilities': 'provider-flavor:get_all',
  'GET /lbaas/providers/:provider/availability_zone_capabilities': 'provider-availability-zone:get_all',
  ...item('/lbaas/flavors', 'flavor'),
  ...item('/lbaas/flavorprofiles', 'flavor-profile'),
  'GET /lbaas/availabilityzones': 'availability-zone:get_all',
  'POST /lbaas/availabilityzones': 'availability-zone:post',
  'GET /lbaas/availabilityzones/:name': 'availability-zone:get_one',
  'PUT /lbaas/availabilityzones/:name': 'availability-zone:put',
  'DELETE /lbaas/availabilityzones/:name': 'availability-zone:delete',
  ...item('/lbaas/availabilityzoneprofiles', 'availability-zone-profile'),
  'GET /networks': 'network:get',
  'GET /networks/:id': 'network:get',
  'GET /subnets': 'network:get',
  'GET /subnets/:id': 'network:get',
  'GET /ports': 'network:get',
  'GET /ports/:id': 'network:get',
  // The key-manager (Barbican v1) subset: the service keeps each project to its own secrets.
  'GET /v1/secrets': 'secret:get_all',
  'POST /v1/secrets': 'secret:post',
  'GET /v1/secrets/:id': 'secret:get',
  'GET /v1/secrets/:id/payload': 'secret:get',
  'PUT /v1/secrets/:id': 'secret:put',
  'DELETE /v1/secrets/:id': 'secret:delete',
  'GET /v1/containers': 'container:get_all',
  'POST /v1/containers': 'container:post',
  'GET /v1/containers/:id': 'container:get',
  'DELETE /v1/containers/:id': 'container:delete',
};

/** Routes anyone may call without a token: version discovery and the identity API (which checks its own). */
export function isPublicRoute(url: string): boolean {
  return url === '/' || url === '/healthcheck' || /^\/v[12](\.0)?(\/lbaas|\/octavia)?$/.test(url) || url === '/identity' || url.startsWith('/identity/');
}

/** The policy action of a registered route, or undefined. */
export function policyAction(method: string, url: string): string | undefined {
  const path = url.replace(/^\/v2(\.0)?(?=\/)/, '').replace(/\/+$/, '');
  return ROUTE_ACTIONS[`${method.toUpperCase()} ${path}`];
}

/**
 * The context services receive for this request, or a 403 (Octavia's "Policy does not
 * allow this request to be performed.") when no role of the caller grants the action.
 */
export function authorize(req: FastifyRequest, creds: Credentials, base: Omit<RequestContext, 'isAdmin'>): RequestContext {
  const url = req.routeOptions.url;
  if (url === undefined || isPublicRoute(url)) return { ...base, isAdmin: Boolean(creds.noauth) };
  const action = policyAction(req.method, url);
  // A route without an action is refused, except in noauth where everyone is an admin anyway.
  const decision = action ? decide(action, creds) : { allowed: Boolean(creds.noauth), allProjects: Boolean(creds.noauth) };
  if (!decision.allowed) {
    req.log.info({ event: 'policy.denied', action: action ?? null, project_id: creds.projectId, roles: creds.roles });
    throw Errors.forbidden();
  }
  // Octavia: listing another project's objects (?project_id=) needs the global rule.
  const asked = (req.query as Record<string, unknown> | undefined)?.project_id;
  if (action?.endsWith(':get_all') && typeof asked === 'string' && asked !== creds.projectId && !decision.allProjects) {
    req.log.info({ event: 'policy.denied', action, project_id: creds.projectId, asked });
    throw Errors.forbidden();
  }
  return { ...base, isAdmin: decision.allProjects };
}
