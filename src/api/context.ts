// Who is asking. Every handler receives a RequestContext; auth modes fill it in.
// Shaped for keystone tokens and RBAC already: roles and scope are carried even in noauth.
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../domain/context.ts';

export type { RequestContext };
export type AuthMode = 'noauth' | 'keystone' | 'builtin';

/** Octavia's noauth: every caller is an admin acting for the project in X-Project-Id. */
export function noauthContext(request: FastifyRequest): RequestContext {
  const header = request.headers['x-project-id'];
  const projectId = (Array.isArray(header) ? header[0] : header) || null;
  return { projectId, userId: null, roles: ['admin'], isAdmin: true };
}
