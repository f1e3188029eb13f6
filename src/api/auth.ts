// Authentication at the edge, one hook for every request: the auth mode turns the request
// into credentials (noauth: X-Project-Id, everyone an admin; keystone/builtin: the
// X-Auth-Token's project, user, roles and scope), then policy.ts decides and builds the
// context services see. Version discovery and the identity API need no token.
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Store } from '../store/store.ts';
import { Errors } from '../domain/errors.ts';
import type { Credentials } from '../domain/policy.ts';
import { KeystoneValidator } from '../identity/keystone.ts';
import * as tokens from '../identity/tokens.ts';
import type { TokenInfo } from '../identity/tokens.ts';
import { noauthContext } from './context.ts';
import { authorize, isPublicRoute } from './policy.ts';

export type TokenValidator = (token: string) => Promise<TokenInfo | null>;

/** The validator of the configured mode; null in noauth. */
export function tokenValidator(config: Config, store: Store, log: Logger): TokenValidator | null {
  if (config.auth === 'builtin') return (token) => tokens.validate(store, token);
  if (config.auth === 'keystone') {
    if (!config.identity.keystone) throw new Error('--auth keystone needs the Keystone URL and service credentials');
    const keystone = new KeystoneValidator(config.identity.keystone, log.child({ role: 'api', component: 'keystone' }));
    return (token) => keystone.validate(token);
  }
  return null;
}

export function authenticateHook(validator: TokenValidator | null) {
  return async (req: FastifyRequest): Promise<void> => {
    if (!validator) {
      const base = noauthContext(req);
      req.ctx = authorize(req, { roles: base.roles, projectId: base.projectId, noauth: true }, base);
      return;
    }
    const url = req.routeOptions.url;
    if (url !== undefined && isPublicRoute(url)) {
      req.ctx = { projectId: null, userId: null, roles: [], isAdmin: false };
      return;
    }
    const header = req.headers['x-auth-token'];
    const token = Array.isArray(header) ? header[0] : header;
    const info = token ? await validator(token) : null;
    if (!info) {
      req.log.info({ event: 'auth.rejected', reason: token ? 'invalid token' : 'no token' });
      throw Errors.notAuthenticated();
    }
    const creds: Credentials = { roles: info.roles, projectId: info.projectId, system: info.system };
    req.ctx = authorize(req, creds, { projectId: info.projectId, userId: info.userId, roles: info.roles });
  };
}
