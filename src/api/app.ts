// The Fastify edge: body parsing, the caller's context, error mapping, version discovery,
// and every resource's routes mounted under both /v2 and /v2.0 as Octavia serves them.
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../service/deps.ts';
import { FulcrumError } from '../domain/errors.ts';
import { authenticateHook, tokenValidator } from './auth.ts';
import { identityRoutes } from './identity/routes.ts';
import { isPublicRoute, policyAction } from './policy.ts';
import { sendError, sendKeyManagerError } from './errors.ts';
import { versionRoutes } from './versions.ts';
import { healthcheckRoutes } from './healthcheck.ts';
import type { FailoverState } from './healthcheck.ts';
import { trackRoutes, unroutedHandler } from './unrouted.ts';
import { KEY_MANAGER_ROUTES, NETWORK_ROUTES, RESOURCE_ROUTES } from './resources.ts';
import './request.ts';

/** `failover`: the health role's breaker, for /healthcheck (none without a health role). */
export async function buildApp(deps: ServiceDeps, failover: () => FailoverState | undefined = () => undefined): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ role: 'api' }) as FastifyBaseLogger,
    // Each refusal and failure is logged once with its event name (errors.ts); per-request lines would drown them.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.maxBodyBytes,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 500 },
    // Octavia routes no HEAD: a HEAD is a 405 (unrouted.ts), not an implicit GET.
    exposeHeadRoutes: false,
  });
  const known = trackRoutes(app);

  // Octavia reads every body as JSON whatever its Content-Type says; so do we.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new FulcrumError('Validation', 'Request is not in valid JSON format'), undefined);
    }
  });

  app.decorateRequest('ctx', null as never);
  const validator = tokenValidator(deps.config, deps.store, deps.log);
  app.addHook('onRequest', authenticateHook(validator));
  // Every route names its policy action (policy.ts); a forgotten one would be refused to everyone but noauth.
  const unpoliced: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD' && !isPublicRoute(route.url) && !policyAction(method, route.url)) unpoliced.push(`${method} ${route.url}`);
    }
  });
  app.decorate('unpoliced', unpoliced);
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-openstack-request-id', `req-${reply.request.id}`);
    return payload;
  });

  app.setErrorHandler((err, req, reply) => sendError(err, req, reply));
  app.setNotFoundHandler(unroutedHandler(known));

  versionRoutes(app);
  healthcheckRoutes(app, failover, deps.config.health.failoverThreshold);
  if (deps.config.auth === 'builtin') {
    const identity = { store: deps.store, log: deps.log.child({ role: 'identity' }), tokenTtlSeconds: deps.config.identity.tokenTtlSeconds };
    await app.register(async (scoped) => identityRoutes(scoped, identity, deps.config.identity.publicUrl));
  }
  for (const prefix of ['/v2', '/v2.0']) {
    await app.register(async (scoped) => {
      for (const routes of RESOURCE_ROUTES) routes(scoped, deps);
    }, { prefix });
  }
  // Neutron's read API lives at /v2.0 only, beside (never under) the Octavia mounts.
  await app.register(async (scoped) => {
    for (const routes of NETWORK_ROUTES) routes(scoped, deps);
  }, { prefix: '/v2.0' });
  // The key manager: Barbican's /v1, with Barbican's error bodies.
  await app.register(async (scoped) => {
    scoped.setErrorHandler((err, req, reply) => sendKeyManagerError(err, req, reply));
    for (const routes of KEY_MANAGER_ROUTES) routes(scoped, deps);
  }, { prefix: '/v1' });
  return app;
}
