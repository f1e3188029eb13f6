// The built-in identity's directory: projects, users, role assignments and application
// credentials, and the first admin created at first start. Keystone's default policy in
// small: the admin role manages everything; a user reads itself and its own projects and
// manages its own application credentials.
import { randomUUID } from 'node:crypto';
import { Errors } from '../domain/errors.ts';
import { ROLES } from '../domain/policy.ts';
import type { IdentityAppCredential, IdentityProject, IdentityUser } from '../domain/identity.ts';
import { DEFAULT_DOMAIN, projectRoles } from './tokens.ts';
import type { IdentityDeps, TokenInfo } from './tokens.ts';
import { hashSecret, randomSecret } from './passwords.ts';

/** The roles the built-in identity knows: Keystone's personas and Octavia's. */
export const KNOWN_ROLES: string[] = Object.values(ROLES);

const id = () => randomUUID().replace(/-/g, '');
const now = () => new Date().toISOString();

function mustBeAdmin(caller: TokenInfo): void {
  if (!caller.roles.includes(ROLES.admin)) throw Errors.forbidden();
}

export async function listProjects(deps: IdentityDeps, caller: TokenInfo, name?: string): Promise<IdentityProject[]> {
  const all = await deps.store.find('identity_project', name === undefined ? {} : { name });
  if (caller.roles.includes(ROLES.admin)) return all;
  const mine = new Set((await deps.store.find('identity_role_assignment', { user_id: caller.userId })).map((a) => a.project_id));
  return all.filter((p) => mine.has(p.id));
}

export async function getProject(deps: IdentityDeps, caller: TokenInfo, projectId: string): Promise<IdentityProject> {
  const project = await deps.store.get('identity_project', projectId);
  if (!project) throw Errors.notFound('Project', projectId);
  if (!caller.roles.includes(ROLES.admin) && caller.projectId !== projectId) throw Errors.forbidden();
  return project;
}

export async function createProject(
  deps: IdentityDeps, caller: TokenInfo, input: { name: string; description?: string; enabled?: boolean },
): Promise<IdentityProject> {
  mustBeAdmin(caller);
  if (await deps.store.get('identity_project', { domain_id: DEFAULT_DOMAIN.id, name: input.name })) {
    throw Errors.identityConflict('project', input.name);
  }
  const project: IdentityProject = {
    id: id(), name: input.name, domain_id: DEFAULT_DOMAIN.id, description: input.description ?? '',
    enabled: input.enabled ?? true, created_at: now(),
  };
  await deps.store.insert('identity_project', project);
  deps.log.info({ event: 'identity.project_created', project_id: project.id });
  return project;
}

export async function listUsers(deps: IdentityDeps, caller: TokenInfo, name?: string): Promise<IdentityUser[]> {
  mustBeAdmin(caller);
  return deps.store.find('identity_user', name === undefined ? {} : { name });
}

export async function getUser(deps: IdentityDeps, caller: TokenInfo, userId: string): Promise<IdentityUser> {
  if (caller.userId !== userId) mustBeAdmin(caller);
  const user = await deps.store.get('identity_user', userId);
  if (!user) throw Errors.notFound('User', userId);
  return user;
}

export async function createUser(
  deps: IdentityDeps, caller: TokenInfo,
  input: { name: string; password: string; default_project_id?: string | null; enabled?: boolean },
): Promise<IdentityUser> {
  mustBeAdmin(caller);
  return insertUser(deps, input);
}

async function insertUser(
  deps: IdentityDeps, input: { name: string; password: string; default_project_id?: string | null; enabled?: boolean },
): Promise<IdentityUser> {
  if (await deps.store.get('identity_user', { domain_id: DEFAULT_DOMAIN.id, name: input.name })) {
    throw Errors.identityConflict('user', input.name);
  }
  const user: IdentityUser = {
    id: id(), name: input.name, domain_id: DEFAULT_DOMAIN.id, password_hash: await hashSecret(input.password),
    default_project_id: input.default_project_id ?? null, enabled: input.enabled ?? true, created_at: now(),
  };
  await deps.store.insert('identity_user', user);
  deps.log.info({ event: 'identity.user_created', user_id: user.id });
  return user;
}

/** PUT /v3/projects/{p}/users/{u}/roles/{role}: roles are named by their id, which is their name. */
export async function assignRole(deps: IdentityDeps, caller: TokenInfo, projectId: string, userId: string, role: string): Promise<void> {
  mustBeAdmin(caller);
  if (!KNOWN_ROLES.includes(role)) throw Errors.notFound('Role', role);
  if (!(await deps.store.get('identity_project', projectId))) throw Errors.notFound('Project', projectId);
  if (!(await deps.store.get('identity_user', userId))) throw Errors.notFound('User', userId);
  if (await deps.store.get('identity_role_assignment', { project_id: projectId, user_id: userId, role })) return;
  await deps.store.insert('identity_role_assignment', { project_id: projectId, user_id: userId, role });
  deps.log.info({ event: 'identity.role_assigned', project_id: projectId, user_id: userId, role });
}

export async function unassignRole(deps: IdentityDeps, caller: TokenInfo, projectId: string, userId: string, role: string): Promise<void> {
  mustBeAdmin(caller);
  const removed = await deps.store.delete('identity_role_assignment', { project_id: projectId, user_id: userId, role });
  if (removed === 0) throw Errors.notFound('Role assignment', `${role} of ${userId} on ${projectId}`);
  deps.log.info({ event: 'identity.role_unassigned', project_id: projectId, user_id: userId, role });
}

export async function listRoleAssignments(
  deps: IdentityDeps, caller: TokenInfo, filter: { user_id?: string; project_id?: string },
) {
  if (filter.user_id !== caller.userId) mustBeAdmin(caller);
  const where: { user_id?: string; project_id?: string } = {};
  if (filter.user_id) where.user_id = filter.user_id;
  if (filter.project_id) where.project_id = filter.project_id;
  return deps.store.find('identity_role_assignment', where);
}

/** A user's own application credential on the token's project; the secret is shown only here. */
export async function createAppCredential(
  deps: IdentityDeps, caller: TokenInfo, userId: string,
  input: { name: string; description?: string; secret?: string; roles?: string[]; expires_at?: string | null },
): Promise<{ credential: IdentityAppCredential; secret: string }> {
  if (caller.userId !== userId) throw Errors.forbidden();
  if (!caller.projectId) throw Errors.badRequest('An application credential needs a project-scoped token.');
  if (caller.appCredentialId) throw Errors.forbidden();
  const held = await projectRoles(deps.store, userId, caller.projectId);
  const roles = input.roles ?? held;
  if (roles.some((r) => !held.includes(r))) throw Errors.forbidden();
  if (await deps.store.get('identity_app_credential', { user_id: userId, name: input.name })) {
    throw Errors.identityConflict('application credential', input.name);
  }
  const secret = input.secret ?? randomSecret(32);
  const credential: IdentityAppCredential = {
    id: id(), user_id: userId, project_id: caller.projectId, name: input.name, description: input.description ?? '',
    secret_hash: await hashSecret(secret), roles, expires_at: input.expires_at ?? null, created_at: now(),
  };
  await deps.store.insert('identity_app_credential', credential);
  deps.log.info({ event: 'identity.app_credential_created', user_id: userId, app_credential_id: credential.id });
  return { credential, secret };
}

export async function listAppCredentials(deps: IdentityDeps, caller: TokenInfo, userId: string): Promise<IdentityAppCredential[]> {
  if (caller.userId !== userId) mustBeAdmin(caller);
  return deps.store.find('identity_app_credential', { user_id: userId });
}

export async function deleteAppCredential(deps: IdentityDeps, caller: TokenInfo, userId: string, credId: string): Promise<void> {
  if (caller.userId !== userId) mustBeAdmin(caller);
  const removed = await deps.store.delete('identity_app_credential', { id: credId, user_id: userId });
  if (removed === 0) throw Errors.notFound('Application credential', credId);
  // Tokens issued from it die with it, as Keystone revokes them.
  await deps.store.delete('identity_token', { app_credential_id: credId });
  deps.log.info({ event: 'identity.app_credential_deleted', app_credential_id: credId });
}

/**
 * First start: the `admin` project and user with the admin role (and load-balancer_admin)
 * and a random password. Answers the password when it created the user, null when an admin
 * existed already (the password then lives only in the clouds.yaml written the first time).
 */
export async function bootstrapAdmin(deps: IdentityDeps, password = randomSecret(18)): Promise<string | null> {
  const existing = await deps.store.get('identity_user', { domain_id: DEFAULT_DOMAIN.id, name: 'admin' });
  if (existing) return null;
  let project = await deps.store.get('identity_project', { domain_id: DEFAULT_DOMAIN.id, name: 'admin' });
  if (!project) {
    project = { id: id(), name: 'admin', domain_id: DEFAULT_DOMAIN.id, description: 'Bootstrap project', enabled: true, created_at: now() };
    await deps.store.insert('identity_project', project);
  }
  const user = await insertUser(deps, { name: 'admin', password, default_project_id: project.id });
  for (const role of [ROLES.admin, ROLES.lbAdmin]) {
    await deps.store.insert('identity_role_assignment', { project_id: project.id, user_id: user.id, role });
  }
  deps.log.info({ event: 'identity.bootstrap', user_id: user.id, project_id: project.id });
  return password;
}
