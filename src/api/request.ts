// Request plumbing every resource uses: the caller's context, path ids, the URL for links.
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../domain/context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
  interface FastifyInstance {
    /** Routes registered without a policy action (api/policy.ts); tests keep it empty. */
    unpoliced: string[];
  }
}

/** The `:id` (or another named) path parameter. Octavia treats a malformed id as not found. */
export function pathId(req: FastifyRequest, name = 'id'): string {
  return String((req.params as Record<string, string>)[name]);
}

/** The request's URL without its query, as Octavia prints it in `*_links`. */
export function requestUrl(req: FastifyRequest): string {
  const host = req.headers.host ?? `${req.hostname}`;
  const path = req.url.split('?')[0];
  return `${req.protocol}://${host}${path}`;
}
