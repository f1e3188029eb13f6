// Keystone v3's wire shapes for the built-in identity: version documents, tokens with their
// service catalog, projects, users, roles and application credentials.
import type { FastifyRequest } from 'fastify';
import type { IdentityAppCredential, IdentityProject, IdentityUser } from '../../domain/identity.ts';
import { DEFAULT_DOMAIN } from '../../identity/tokens.ts';
import type { TokenInfo } from '../../identity/tokens.ts';

export const REGION = 'RegionOne';

/** Where clients reach Fulcrum: the configured public URL, else the address they used. */
export function baseUrl(req: FastifyRequest, publicUrl: string | undefined): string {
  return (publicUrl ?? `${req.protocol}://${req.headers.host ?? req.hostname}`).replace(/\/+$/, '');
}

export function v3Version(base: string) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${base}/identity/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

const domain = { id: DEFAULT_DOMAIN.id, name: DEFAULT_DOMAIN.name };

/**
 * The service catalog: Fulcrum is the load-balancer (Octavia), network (Neutron subset)
 * and key-manager (Barbican subset) endpoint, and the identity itself.
 */
export function catalog(base: string) {
  const service = (type: string, name: string, url: string) => ({
    id: `${name}-${type}`,
    type,
    name,
    endpoints: ['public', 'internal', 'admin'].map((iface) => ({
      id: `${name}-${iface}`, interface: iface, region: REGION, region_id: REGION, url,
    })),
  });
  return [
    service('identity', 'keystone', `${base}/identity/v3`),
    service('load-balancer', 'octavia', base),
    service('network', 'neutron', base),
    service('key-manager', 'barbican', base),
  ];
}

export function tokenToWire(info: TokenInfo, base: string, withCatalog = true) {
  return {
    token: {
      methods: info.methods,
      user: { id: info.userId, name: info.userName, domain, password_expires_at: null },
      audit_ids: [],
      issued_at: info.issuedAt,
      expires_at: info.expiresAt,
      ...(info.projectId ? { project: { id: info.projectId, name: info.projectName, domain }, is_domain: false } : {}),
      roles: info.roles.map((name) => ({ id: name, name })),
      ...(info.appCredentialId ? { application_credential: { id: info.appCredentialId, restricted: true } } : {}),
      ...(withCatalog && info.projectId ? { catalog: catalog(base) } : {}),
    },
  };
}

export function projectToWire(p: IdentityProject, base: string) {
  return {
    id: p.id, name: p.name, domain_id: p.domain_id, description: p.description, enabled: p.enabled,
    is_domain: false, parent_id: p.domain_id, tags: [], options: {},
    links: { self: `${base}/identity/v3/projects/${p.id}` },
  };
}

export function userToWire(u: IdentityUser, base: string) {
  return {
    id: u.id, name: u.name, domain_id: u.domain_id, enabled: u.enabled, default_project_id: u.default_project_id ?? undefined,
    password_expires_at: null, options: {}, links: { self: `${base}/identity/v3/users/${u.id}` },
  };
}

export function roleToWire(name: string, base: string) {
  return { id: name, name, domain_id: null, description: null, options: {}, links: { self: `${base}/identity/v3/roles/${name}` } };
}

export function appCredentialToWire(c: IdentityAppCredential, base: string, secret?: string) {
  return {
    id: c.id, name: c.name, description: c.description, user_id: c.user_id, project_id: c.project_id,
    roles: c.roles.map((name) => ({ id: name, name, domain_id: null })), expires_at: c.expires_at,
    unrestricted: false, access_rules: [], ...(secret === undefined ? {} : { secret }),
    links: { self: `${base}/identity/v3/users/${c.user_id}/application_credentials/${c.id}` },
  };
}
