// /v1/secrets: Barbican's secret API, the subset Octavia and its clients use (store with a
// payload, read metadata, read the payload, list, delete).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as secrets from '../../service/secrets.ts';
import { pathId } from '../request.ts';
import { parseSecretPost, secretRef, secretToWire } from './wire.ts';
import { keyManagerPage } from '../containers/wire.ts';

/** Barbican answers the payload on GET /secrets/{id} too when the Accept header names a payload type. */
const wantsPayload = (req: FastifyRequest) => /^(text\/plain|application\/(?!json)[a-z0-9.+-]+)/i.test(req.headers.accept ?? '');

export function secretRoutes(app: FastifyInstance, deps: ServiceDeps) {
  app.post('/secrets', async (req, reply) => {
    const row = await secrets.createSecret(deps, req.ctx, parseSecretPost(req.body));
    reply.code(201);
    return { secret_ref: secretRef(req, row.id) };
  });

  app.get('/secrets', async (req) => {
    const rows = (await secrets.listSecrets(deps, req.ctx)).map((s) => secretToWire(req, s));
    return keyManagerPage(req, 'secrets', rows);
  });

  app.get('/secrets/:id', async (req, reply) => {
    if (wantsPayload(req)) return sendPayload(deps, req, reply);
    return secretToWire(req, await secrets.getSecret(deps, req.ctx, pathId(req)));
  });

  app.get('/secrets/:id/payload', async (req, reply) => sendPayload(deps, req, reply));

  app.delete('/secrets/:id', async (req, reply) => {
    await secrets.deleteSecret(deps, req.ctx, pathId(req));
    reply.code(204);
  });
}

async function sendPayload(deps: ServiceDeps, req: FastifyRequest, reply: import('fastify').FastifyReply) {
  const { payload, contentType } = await secrets.secretPayload(deps, req.ctx, pathId(req));
  // Never cached by a proxy on the way.
  reply.header('cache-control', 'no-store');
  return reply.type(contentType === 'text/plain' ? 'text/plain; charset=utf-8' : contentType).send(payload);
}
