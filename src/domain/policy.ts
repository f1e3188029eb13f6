// Octavia's default API policies as a pure rule table. Octavia 11 ships its new
// (role + scope) defaults with the deprecated ones still honoured, as oslo.policy does
// unless enforce_new_defaults is set; the checks below are that effective union:
//   admin           role admin or load-balancer_admin (or noauth: every caller is an admin)
//   global observer role load-balancer_global_observer, or reader with system scope
//   observer/owner  role load-balancer_observer on the object's own project
//   member/owner    role load-balancer_member on the object's own project
//   quota admin     role load-balancer_quota_admin, on any project
// The persona roles (reader/member/admin) alone grant no load-balancer access except admin,
// exactly as in Octavia: a project reader needs load-balancer_observer too.

/** Who asks, as far as policy cares. */
export interface Credentials {
  roles: readonly string[];
  /** The project the token is scoped to; null for a system- or un-scoped token. */
  projectId: string | null;
  /** A system-scoped token (`system: {all: true}`). */
  system?: boolean;
  /** Octavia's noauth: every caller is an admin. */
  noauth?: boolean;
}

export type Rule =
  | 'admin' | 'read' | 'read-global' | 'write' | 'read-quota' | 'read-quota-global' | 'write-quota'
  | 'authenticated' | 'project';

export const ROLES = {
  admin: 'admin',
  member: 'member',
  reader: 'reader',
  lbAdmin: 'load-balancer_admin',
  globalObserver: 'load-balancer_global_observer',
  observer: 'load-balancer_observer',
  lbMember: 'load-balancer_member',
  quotaAdmin: 'load-balancer_quota_admin',
} as const;

/** Keystone's default implied roles: admin ⇒ member ⇒ reader. */
export function impliedRoles(roles: readonly string[]): string[] {
  const out = new Set(roles);
  if (out.has(ROLES.admin)) out.add(ROLES.member);
  if (out.has(ROLES.member)) out.add(ROLES.reader);
  return [...out];
}

const has = (c: Credentials, role: string) => c.roles.includes(role);
const owner = (c: Credentials, project: string | null) => c.projectId !== null && project !== null && c.projectId === project;

const isAdmin = (c: Credentials) => Boolean(c.noauth) || has(c, ROLES.admin) || has(c, ROLES.lbAdmin);
const globalObserver = (c: Credentials) => has(c, ROLES.globalObserver) || (Boolean(c.system) && has(c, ROLES.reader));
const observerOwner = (c: Credentials, p: string | null) => has(c, ROLES.observer) && owner(c, p);
const memberOwner = (c: Credentials, p: string | null) => has(c, ROLES.lbMember) && owner(c, p);
const quotaAdmin = (c: Credentials) => has(c, ROLES.quotaAdmin);

/** Evaluates one rule for an object of `project` (null: a deployment-wide object). */
export function check(rule: Rule, c: Credentials, project: string | null): boolean {
  switch (rule) {
    case 'admin': return isAdmin(c);
    case 'read': return observerOwner(c, project) || globalObserver(c) || memberOwner(c, project) || isAdmin(c);
    case 'read-global': return globalObserver(c) || isAdmin(c);
    case 'write': return memberOwner(c, project) || isAdmin(c);
    case 'read-quota': return check('read', c, project) || quotaAdmin(c);
    case 'read-quota-global': return globalObserver(c) || quotaAdmin(c) || isAdmin(c);
    case 'write-quota': return quotaAdmin(c) || isAdmin(c);
    // Deployment-wide objects (shared networks) for anyone; a project's own (ports) for it and global readers.
    case 'authenticated': return project === null || owner(c, project) || check('read-global', c, project);
    case 'project': return owner(c, project) || isAdmin(c);
  }
}

/** What each rule allows on another project's objects (the rule with the owner check failing). */
const ACROSS_PROJECTS: Record<Rule, Rule> = {
  admin: 'admin',
  read: 'read-global',
  'read-global': 'read-global',
  write: 'admin',
  'read-quota': 'read-quota-global',
  'read-quota-global': 'read-quota-global',
  'write-quota': 'write-quota',
  authenticated: 'read-global',
  project: 'admin',
};

export interface Decision {
  /** The caller may perform the action on its own project's objects (or globally). */
  allowed: boolean;
  /** The caller may perform it on every project's objects (Octavia's *-global / admin). */
  allProjects: boolean;
}

/**
 * The decision for one action before its target is known: allowed for the caller's own
 * project, and whether other projects' objects are in reach too. Services then refuse any
 * object of another project unless `allProjects` — together that is `check(rule, target)`.
 */
export function decide(action: string, c: Credentials): Decision {
  const rule = ACTIONS[action];
  if (!rule) return { allowed: false, allProjects: false };
  const allProjects = check(ACROSS_PROJECTS[rule], c, null);
  return { allowed: allProjects || check(rule, c, c.projectId), allProjects };
}

const crud = (kind: string, read: Rule, write: Rule, extra: Record<string, Rule> = {}): Record<string, Rule> => ({
  [`${kind}:get_all`]: read, [`${kind}:get_one`]: read, [`${kind}:post`]: write,
  [`${kind}:put`]: write, [`${kind}:delete`]: write, ...extra,
});

/** Octavia's policy names (without the `os_load-balancer_api:` prefix) and their default rules. */
export const ACTIONS: Record<string, Rule> = {
  ...crud('loadbalancer', 'read', 'write', {
    'loadbalancer:get_stats': 'read', 'loadbalancer:get_status': 'read', 'loadbalancer:put_failover': 'admin',
  }),
  ...crud('listener', 'read', 'write', { 'listener:get_stats': 'read' }),
  ...crud('pool', 'read', 'write'),
  ...crud('member', 'read', 'write'),
  ...crud('healthmonitor', 'read', 'write'),
  ...crud('l7policy', 'read', 'write'),
  ...crud('l7rule', 'read', 'write'),
  'quota:get_all': 'read-quota', 'quota:get_one': 'read-quota', 'quota:get_defaults': 'read-quota',
  'quota:put': 'write-quota', 'quota:delete': 'write-quota',
  'amphora:get_all': 'admin', 'amphora:get_one': 'admin', 'amphora:delete': 'admin', 'amphora:put_config': 'admin',
  'amphora:put_failover': 'admin', 'amphora:get_stats': 'admin',
  'provider:get_all': 'read', 'provider-flavor:get_all': 'admin', 'provider-availability-zone:get_all': 'admin',
  ...crud('flavor', 'read', 'admin'),
  ...crud('flavor-profile', 'admin', 'admin'),
  ...crud('availability-zone', 'read', 'admin'),
  ...crud('availability-zone-profile', 'admin', 'admin'),
  // Neutron lets any authenticated caller read shared networks; ports follow their load balancer.
  'network:get': 'authenticated',
  // Barbican-compatible secrets: any project-scoped caller, on its own project's secrets only.
  'secret:get_all': 'project', 'secret:get': 'project', 'secret:post': 'project', 'secret:put': 'project', 'secret:delete': 'project',
  'container:get_all': 'project', 'container:get': 'project', 'container:post': 'project', 'container:delete': 'project',
};
