// Barbican's wire format for containers, and the paging both key-manager lists share
// (`limit`/`offset`, `total`, `next`/`previous` links).
import type { FastifyRequest } from 'fastify';
import { Errors } from '../../domain/errors.ts';
import type { SecretContainer } from '../../domain/entities.ts';
import { CONTAINER_TYPES } from '../../service/secrets.ts';
import type { ContainerCreate } from '../../service/secrets.ts';
import { barbicanTime, keyManagerBase, secretRef } from '../secrets/wire.ts';

export const containerRef = (req: FastifyRequest, id: string) => `${keyManagerBase(req)}/containers/${id}`;

export function parseContainerPost(raw: unknown): ContainerCreate {
  const bad = (why: string) => Errors.secret(`Provided object does not match schema 'Container': ${why}`);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('the body must be a JSON object');
  const body = raw as Record<string, unknown>;
  const type = body.type;
  if (typeof type !== 'string' || !(CONTAINER_TYPES as readonly string[]).includes(type)) {
    throw bad(`type must be one of ${CONTAINER_TYPES.join(', ')}`);
  }
  const name = body.name ?? null;
  if (name !== null && (typeof name !== 'string' || name.length > 255)) throw bad("Invalid property: 'name'");
  const list = body.secret_refs ?? [];
  if (!Array.isArray(list)) throw bad("Invalid property: 'secret_refs'");
  const secretRefs = list.map((r) => {
    const entry = r as Record<string, unknown> | null;
    if (!entry || typeof entry.name !== 'string' || typeof entry.secret_ref !== 'string') {
      throw bad('each secret_refs entry needs a name and a secret_ref');
    }
    return { name: entry.name, secret_ref: entry.secret_ref };
  });
  return { name: name as string | null, type, secret_refs: secretRefs };
}

export function containerToWire(req: FastifyRequest, c: SecretContainer) {
  return {
    status: 'ACTIVE',
    created: barbicanTime(c.created_at),
    updated: barbicanTime(c.updated_at ?? c.created_at),
    name: c.name,
    type: c.type,
    container_ref: containerRef(req, c.id),
    secret_refs: c.secret_refs.map((r) => ({ name: r.name, secret_ref: secretRef(req, r.secret_id) })),
    consumers: [],
    creator_id: c.creator_id,
  };
}

/** One page of a key-manager list: Barbican's `limit` (default 10) and `offset`, with links. */
export function keyManagerPage<T>(req: FastifyRequest, key: 'secrets' | 'containers', rows: T[]) {
  const q = req.query as Record<string, string | undefined>;
  const name = q.name;
  const all = name === undefined ? rows : rows.filter((r) => (r as { name: string | null }).name === name);
  const limit = Math.min(Math.max(Number.parseInt(q.limit ?? '10', 10) || 10, 1), 100);
  const offset = Math.max(Number.parseInt(q.offset ?? '0', 10) || 0, 0);
  const page: Record<string, unknown> = { [key]: all.slice(offset, offset + limit), total: all.length };
  const link = (o: number) => `${keyManagerBase(req)}/${key}?limit=${limit}&offset=${o}`;
  if (offset + limit < all.length) page.next = link(offset + limit);
  if (offset > 0) page.previous = link(Math.max(offset - limit, 0));
  return page;
}
