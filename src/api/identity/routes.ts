// The built-in identity's HTTP face, a Keystone v3 subset under /identity (auth_url
// http://HOST:PORT/identity/v3): version discovery, tokens (issue, validate, revoke),
// projects, users, roles, role assignments and application credentials. Errors come in
// Keystone's shape ({"error": {code, title, message}}), which keystoneauth reads.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '../../domain/errors.ts';
import { KNOWN_ROLES } from '../../identity/directory.ts';
import * as directory from '../../identity/directory.ts';
import * as tokens from '../../identity/tokens.ts';
import type { IdentityDeps, TokenInfo } from '../../identity/tokens.ts';
import { sendError } from '../errors.ts';
import { pathId } from '../request.ts';
import {
  appCredentialToWire, baseUrl, catalog, projectToWire, roleToWire, tokenToWire, userToWire, v3Version,
} from './wire.ts';

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) || undefined;
}

function str(body: unknown, wrapper: string, field: string, required = true): string | undefined {
  const inner = (body as Record<string, any> | undefined)?.[wrapper];
  const value = inner?.[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '') throw Errors.badRequest(`Invalid input for field '${wrapper}.${field}'.`);
  return value;
}

export function identityRoutes(app: FastifyInstance, deps: IdentityDeps, publicUrl: string | undefined) {
  app.setErrorHandler((err, req, reply) => sendError(err, req, reply, 'keystone'));
  const base = (req: FastifyRequest) => baseUrl(req, publicUrl);

  async function caller(req: FastifyRequest): Promise<TokenInfo> {
    const token = header(req, 'x-auth-token');
    const info = token ? await tokens.validate(deps.store, token) : null;
    if (!info) throw Errors.notAuthenticated();
    return info;
  }

  app.get('/identity', async (req, reply) => {
    reply.code(300);
    return { versions: { values: [v3Version(base(req))] } };
  });
  app.get('/identity/v3', async (req) => ({ version: v3Version(base(req)) }));

  app.post('/identity/v3/auth/tokens', async (req, reply) => {
    const { token, info } = await tokens.authenticate(deps, req.body);
    reply.code(201).header('x-subject-token', token);
    return tokenToWire(info, base(req));
  });

  app.get('/identity/v3/auth/tokens', async (req, reply) => {
    const who = await caller(req);
    const subject = header(req, 'x-subject-token');
    const info = subject ? await tokens.validate(deps.store, subject) : null;
    if (!info) throw Errors.notFound('Token', 'given');
    // Anyone may validate their own token; only an admin (a service) validates another's.
    if (subject !== header(req, 'x-auth-token') && !who.roles.includes('admin')) throw Errors.forbidden();
    reply.header('x-subject-token', subject);
    return tokenToWire(info, base(req), (req.query as Record<string, string>).nocatalog === undefined);
  });

  app.delete('/identity/v3/auth/tokens', async (req, reply) => {
    const who = await caller(req);
    const subject = header(req, 'x-subject-token');
    if (!subject) throw Errors.notFound('Token', 'given');
    if (subject !== header(req, 'x-auth-token') && !who.roles.includes('admin')) throw Errors.forbidden();
    await tokens.revoke(deps, subject);
    return reply.code(204).send();
  });

  app.get('/identity/v3/auth/catalog', async (req) => {
    await caller(req);
    return { catalog: catalog(base(req)) };
  });

  app.get('/identity/v3/auth/projects', async (req) => {
    const who = await caller(req);
    const mine = await directory.listProjects(deps, { ...who, roles: [] });
    return { projects: mine.map((p) => projectToWire(p, base(req))) };
  });

  app.get('/identity/v3/projects', async (req) => {
    const who = await caller(req);
    const name = (req.query as Record<string, string>).name;
    return { projects: (await directory.listProjects(deps, who, name)).map((p) => projectToWire(p, base(req))) };
  });

  app.get('/identity/v3/projects/:id', async (req) => (
    { project: projectToWire(await directory.getProject(deps, await caller(req), pathId(req)), base(req)) }
  ));

  app.post('/identity/v3/projects', async (req, reply) => {
    const who = await caller(req);
    const project = await directory.createProject(deps, who, {
      name: str(req.body, 'project', 'name')!,
      description: str(req.body, 'project', 'description', false),
      enabled: (req.body as any)?.project?.enabled !== false,
    });
    reply.code(201);
    return { project: projectToWire(project, base(req)) };
  });

  app.get('/identity/v3/users', async (req) => {
    const who = await caller(req);
    const name = (req.query as Record<string, string>).name;
    return { users: (await directory.listUsers(deps, who, name)).map((u) => userToWire(u, base(req))) };
  });

  app.get('/identity/v3/users/:id', async (req) => (
    { user: userToWire(await directory.getUser(deps, await caller(req), pathId(req)), base(req)) }
  ));

  app.post('/identity/v3/users', async (req, reply) => {
    const who = await caller(req);
    const user = await directory.createUser(deps, who, {
      name: str(req.body, 'user', 'name')!,
      password: str(req.body, 'user', 'password')!,
      default_project_id: str(req.body, 'user', 'default_project_id', false) ?? null,
      enabled: (req.body as any)?.user?.enabled !== false,
    });
    reply.code(201);
    return { user: userToWire(user, base(req)) };
  });

  app.get('/identity/v3/roles', async (req) => {
    await caller(req);
    const name = (req.query as Record<string, string>).name;
    return { roles: KNOWN_ROLES.filter((r) => name === undefined || r === name).map((r) => roleToWire(r, base(req))) };
  });

  app.put('/identity/v3/projects/:id/users/:user_id/roles/:role_id', async (req, reply) => {
    await directory.assignRole(deps, await caller(req), pathId(req), pathId(req, 'user_id'), pathId(req, 'role_id'));
    return reply.code(204).send();
  });

  app.delete('/identity/v3/projects/:id/users/:user_id/roles/:role_id', async (req, reply) => {
    await directory.unassignRole(deps, await caller(req), pathId(req), pathId(req, 'user_id'), pathId(req, 'role_id'));
    return reply.code(204).send();
  });

  app.get('/identity/v3/role_assignments', async (req) => {
    const q = req.query as Record<string, string>;
    const rows = await directory.listRoleAssignments(deps, await caller(req), { user_id: q['user.id'], project_id: q['scope.project.id'] });
    return {
      role_assignments: rows.map((a) => ({
        role: { id: a.role, name: a.role }, user: { id: a.user_id }, scope: { project: { id: a.project_id } },
      })),
    };
  });

  app.post('/identity/v3/users/:id/application_credentials', async (req, reply) => {
    const body = req.body as { application_credential?: Record<string, any> } | undefined;
    const roles = body?.application_credential?.roles;
    const { credential, secret } = await directory.createAppCredential(deps, await caller(req), pathId(req), {
      name: str(req.body, 'application_credential', 'name')!,
      description: str(req.body, 'application_credential', 'description', false),
      secret: str(req.body, 'application_credential', 'secret', false),
      expires_at: str(req.body, 'application_credential', 'expires_at', false) ?? null,
      roles: Array.isArray(roles) ? roles.map((r: { name?: string; id?: string }) => String(r.name ?? r.id)) : undefined,
    });
    reply.code(201);
    return { application_credential: appCredentialToWire(credential, base(req), secret) };
  });

  app.get('/identity/v3/users/:id/application_credentials', async (req) => ({
    application_credentials: (await directory.listAppCredentials(deps, await caller(req), pathId(req)))
      .map((c) => appCredentialToWire(c, base(req))),
  }));

  app.delete('/identity/v3/users/:id/application_credentials/:cred_id', async (req, reply) => {
    await directory.deleteAppCredential(deps, await caller(req), pathId(req), pathId(req, 'cred_id'));
    return reply.code(204).send();
  });
}
