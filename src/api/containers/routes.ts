// /v1/containers: Barbican's containers, as Octavia's legacy certificate manager reads them
// (type certificate: certificate, private_key, intermediates, private_key_passphrase).
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../../service/deps.ts';
import * as secrets from '../../service/secrets.ts';
import { pathId } from '../request.ts';
import { containerRef, containerToWire, keyManagerPage, parseContainerPost } from './wire.ts';

export function containerRoutes(app: FastifyInstance, deps: ServiceDeps) {
  app.post('/containers', async (req, reply) => {
    const row = await secrets.createContainer(deps, req.ctx, parseContainerPost(req.body));
    reply.code(201);
    return { container_ref: containerRef(req, row.id) };
  });

  app.get('/containers', async (req) => {
    const rows = (await secrets.listContainers(deps, req.ctx)).map((c) => containerToWire(req, c));
    return keyManagerPage(req, 'containers', rows);
  });

  app.get('/containers/:id', async (req) => containerToWire(req, await secrets.getContainer(deps, req.ctx, pathId(req))));

  app.delete('/containers/:id', async (req, reply) => {
    await secrets.deleteContainer(deps, req.ctx, pathId(req));
    reply.code(204);
  });
}
