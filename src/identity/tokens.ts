// Tokens of the built-in identity: password and application-credential authentication
// (Keystone v3's POST /v3/auth/tokens), validation and revocation. A token is 32 random
// bytes; the database keeps only its sha256, with the scope and roles fixed at issue (as a
// Keystone token carries them), so every API process validates it with one read and a
// revocation (row deleted) takes effect everywhere at once.
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Errors } from '../domain/errors.ts';
import { impliedRoles } from '../domain/policy.ts';
import type { IdentityProject, IdentityUser } from '../domain/identity.ts';
import type { Store } from '../store/store.ts';
import { verifySecret } from './passwords.ts';

export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' } as const;

export interface IdentityDeps {
  store: Store;
  log: Logger;
  tokenTtlSeconds: number;
}

/** What a valid token says, whichever identity (built-in or an external Keystone) issued it. */
export interface TokenInfo {
  userId: string;
  userName: string;
  projectId: string | null;
  projectName: string | null;
  roles: string[];
  /** A system-scoped token (`system: {all: true}`); the built-in identity issues none. */
  system: boolean;
  methods: string[];
  issuedAt: string;
  expiresAt: string;
  appCredentialId: string | null;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/** Keystone's auth body: `{auth: {identity: {methods, password|application_credential}, scope}}`. */
export async function authenticate(deps: IdentityDeps, body: unknown): Promise<{ token: string; info: TokenInfo }> {
  const auth = obj(obj(body, 'body').auth, 'auth');
  const identity = obj(auth.identity, 'identity');
  const methods = identity.methods;
  if (!Array.isArray(methods) || methods.length !== 1) throw Errors.badRequest('Expecting exactly one of the methods password or application_credential.');
  const method = String(methods[0]);
  if (method === 'password') return passwordAuth(deps, obj(identity.password, 'password'), auth.scope);
  if (method === 'application_credential') {
    if (auth.scope !== undefined) throw Errors.badRequest('Application credentials cannot request a scope.');
    return appCredentialAuth(deps, obj(identity.application_credential, 'application_credential'));
  }
  throw Errors.notAuthenticated();
}

async function passwordAuth(deps: IdentityDeps, password: Record<string, unknown>, scope: unknown) {
  const userRef = obj(password.user, 'user');
  const user = await findUser(deps.store, userRef);
  if (!user || !user.enabled || typeof userRef.password !== 'string' || !(await verifySecret(userRef.password, user.password_hash))) {
    deps.log.info({ event: 'identity.auth_failed', method: 'password', user: userRef.name ?? userRef.id ?? null });
    throw Errors.notAuthenticated();
  }
  const project = await scopedProject(deps.store, user, scope);
  const roles = project ? await projectRoles(deps.store, user.id, project.id) : [];
  if (project && roles.length === 0) {
    deps.log.info({ event: 'identity.auth_failed', reason: 'no role on project', user_id: user.id, project_id: project.id });
    throw Errors.notAuthenticated();
  }
  return issue(deps, user, project, roles, ['password'], null);
}

async function appCredentialAuth(deps: IdentityDeps, ref: Record<string, unknown>) {
  const store = deps.store;
  let cred = typeof ref.id === 'string' ? await store.get('identity_app_credential', ref.id) : undefined;
  if (!cred && typeof ref.name === 'string') {
    const user = await findUser(store, obj(ref.user, 'user'));
    cred = user ? await store.get('identity_app_credential', { user_id: user.id, name: ref.name }) : undefined;
  }
  const expired = cred?.expires_at ? Date.parse(cred.expires_at) <= Date.now() : false;
  if (!cred || expired || typeof ref.secret !== 'string' || !(await verifySecret(ref.secret, cred.secret_hash))) {
    deps.log.info({ event: 'identity.auth_failed', method: 'application_credential', id: ref.id ?? null });
    throw Errors.notAuthenticated();
  }
  const user = await store.get('identity_user', cred.user_id);
  const project = await store.get('identity_project', cred.project_id);
  if (!user?.enabled || !project?.enabled) throw Errors.notAuthenticated();
  // The credential keeps only the roles its user still holds on the project.
  const held = await projectRoles(store, user.id, project.id);
  const roles = impliedRoles(cred.roles).filter((r) => held.includes(r));
  if (roles.length === 0) throw Errors.notAuthenticated();
  return issue(deps, user, project, roles, ['application_credential'], cred.id);
}

async function issue(
  deps: IdentityDeps, user: IdentityUser, project: IdentityProject | undefined, roles: string[],
  methods: string[], appCredentialId: string | null,
): Promise<{ token: string; info: TokenInfo }> {
  const token = randomBytes(32).toString('base64url');
  const issued = new Date();
  const expires = new Date(issued.getTime() + deps.tokenTtlSeconds * 1000);
  const info: TokenInfo = {
    userId: user.id, userName: user.name, projectId: project?.id ?? null, projectName: project?.name ?? null,
    roles, system: false, methods, issuedAt: issued.toISOString(), expiresAt: expires.toISOString(), appCredentialId,
  };
  await deps.store.insert('identity_token', {
    id: digest(token), user_id: user.id, project_id: info.projectId, roles, methods,
    app_credential_id: appCredentialId, issued_at: info.issuedAt, expires_at: info.expiresAt,
  });
  deps.log.info({ event: 'identity.token_issued', user_id: user.id, project_id: info.projectId, methods });
  return { token, info };
}

/** The token's facts, or null when it is unknown, expired, revoked, or its user or project is disabled. */
export async function validate(store: Store, token: string): Promise<TokenInfo | null> {
  const row = await store.get('identity_token', digest(token));
  if (!row || Date.parse(row.expires_at) <= Date.now()) return null;
  const user = await store.get('identity_user', row.user_id);
  const project = row.project_id ? await store.get('identity_project', row.project_id) : undefined;
  if (!user?.enabled || (row.project_id && !project?.enabled)) return null;
  return {
    userId: user.id, userName: user.name, projectId: row.project_id, projectName: project?.name ?? null,
    roles: row.roles, system: false, methods: row.methods, issuedAt: row.issued_at, expiresAt: row.expires_at,
    appCredentialId: row.app_credential_id,
  };
}

/** Revokes a token (Keystone's DELETE /v3/auth/tokens); 404 when it is not a valid token. */
export async function revoke(deps: IdentityDeps, token: string): Promise<void> {
  const removed = await deps.store.delete('identity_token', { id: digest(token) });
  if (removed === 0) throw Errors.notFound('Token', 'given');
  deps.log.info({ event: 'identity.token_revoked' });
}

/** Drops expired tokens, so the table holds only live ones. */
export async function purgeExpired(store: Store): Promise<number> {
  const now = new Date().toISOString();
  const expired = (await store.find('identity_token')).filter((t) => t.expires_at <= now).map((t) => t.id);
  return expired.length ? store.delete('identity_token', { id: expired }) : 0;
}

/** The user's role names on the project, with Keystone's default implications. */
export async function projectRoles(store: Store, userId: string, projectId: string): Promise<string[]> {
  const rows = await store.find('identity_role_assignment', { user_id: userId, project_id: projectId });
  return impliedRoles(rows.map((r) => r.role));
}

async function findUser(store: Store, ref: Record<string, unknown>): Promise<IdentityUser | undefined> {
  if (typeof ref.id === 'string') return store.get('identity_user', ref.id);
  if (typeof ref.name !== 'string') throw Errors.badRequest('Expecting to find id or name in user.');
  return store.get('identity_user', { domain_id: domainId(ref.domain), name: ref.name });
}

/** The project the request scopes to; an unscoped request takes the user's default project, as Keystone does. */
async function scopedProject(store: Store, user: IdentityUser, scope: unknown): Promise<IdentityProject | undefined> {
  if (scope === undefined || scope === null || scope === 'unscoped') {
    if (!user.default_project_id) return undefined;
    const project = await store.get('identity_project', user.default_project_id);
    return project?.enabled ? project : undefined;
  }
  const ref = obj(obj(scope, 'scope').project, 'project');
  const project = typeof ref.id === 'string'
    ? await store.get('identity_project', ref.id)
    : typeof ref.name === 'string'
      ? await store.get('identity_project', { domain_id: domainId(ref.domain), name: ref.name })
      : undefined;
  if (!project || !project.enabled) throw Errors.notAuthenticated();
  return project;
}

/** Only the Default domain exists; naming it by id or name both work. */
function domainId(ref: unknown): string {
  if (ref === undefined) return DEFAULT_DOMAIN.id;
  const d = obj(ref, 'domain');
  if (d.id === DEFAULT_DOMAIN.id || d.name === DEFAULT_DOMAIN.name) return DEFAULT_DOMAIN.id;
  return String(d.id ?? d.name);
}

function obj(value: unknown, name: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw Errors.badRequest(`Expecting to find ${name} in the request body.`);
  return value as Record<string, unknown>;
}
