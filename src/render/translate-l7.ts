// L7 policies and rules → ordered frontend decisions.
//
// Order: Octavia documents that with its HAProxy amphorae every REJECT policy wins over
// every redirect, and redirects (to a URL or a prefix) win over REDIRECT_TO_POOL; within
// each group the policy position decides. HAProxy runs all `http-request` rules before any
// `use_backend`, so printing deny, then redirects, then use_backend, each group by position,
// gives exactly that order. Rules of a policy are ANDed; a policy without an enabled rule
// never matches, so it is not rendered (as in Octavia).
import type { L7CompareType } from '../domain/enums.ts';
import type { L7Policy, L7Rule, Listener } from '../domain/entities.ts';
import { RenderError, safeName } from './escape.ts';
import type { AclIR, MatchMethod, PolicyAction, PolicyIR, SampleIR } from './ir.ts';
import type { LiveGraph } from './live.ts';
import { backendName } from './translate-pool.ts';

const GROUP: Record<L7Policy['action'], number> = {
  REJECT: 0, REDIRECT_TO_URL: 1, REDIRECT_PREFIX: 1, REDIRECT_TO_POOL: 2,
};

const METHOD: Record<L7CompareType, MatchMethod> = {
  EQUAL_TO: 'str', STARTS_WITH: 'beg', ENDS_WITH: 'end', CONTAINS: 'sub', REGEX: 'reg',
};

export function policiesOf(g: LiveGraph, listener: Listener): PolicyIR[] {
  const ordered = g.policiesOf(listener.id).filter((p) => p.admin_state_up)
    .sort((a, b) => GROUP[a.action] - GROUP[b.action] || a.position - b.position || a.id.localeCompare(b.id));
  const out: PolicyIR[] = [];
  for (const policy of ordered) {
    const action = actionOf(g, policy, listener);
    const conditions = g.rulesOf(policy.id).filter((r) => r.admin_state_up).map(toAcl);
    if (action && conditions.length > 0) out.push({ id: safeName(policy.id, 'L7 policy'), action, conditions });
  }
  return out;
}

function actionOf(g: LiveGraph, policy: L7Policy, listener: Listener): PolicyAction | null {
  switch (policy.action) {
    case 'REJECT':
      return { kind: 'deny' };
    case 'REDIRECT_TO_URL':
      return policy.redirect_url ? { kind: 'redirect-location', url: policy.redirect_url, code: policy.redirect_http_code } : null;
    case 'REDIRECT_PREFIX':
      return policy.redirect_prefix ? { kind: 'redirect-prefix', prefix: policy.redirect_prefix, code: policy.redirect_http_code } : null;
    case 'REDIRECT_TO_POOL': {
      // A disabled pool is passed over, so later policies and the default pool still apply.
      const pool = policy.redirect_pool_id ? g.pool(policy.redirect_pool_id) : undefined;
      return pool?.admin_state_up ? { kind: 'backend', backend: backendName(pool, listener) } : null;
    }
  }
}

export function toAcl(rule: L7Rule): AclIR {
  const base = { name: safeName(rule.id, 'L7 rule'), invert: rule.invert, integer: null };
  const method = METHOD[rule.compare_type];
  const match = (sample: SampleIR, pattern: string, ignoreCase = false): AclIR =>
    ({ ...base, sample, match: { method, ignoreCase, pattern } });
  switch (rule.type) {
    case 'HOST_NAME':
      return match({ fetch: 'host' }, rule.value, true);
    case 'PATH':
      return match({ fetch: 'path' }, rule.value);
    case 'FILE_TYPE':
      return fileType(base, rule);
    case 'HEADER':
      return match({ fetch: 'header', name: requireKey(rule) }, unquote(rule.value));
    case 'COOKIE':
      return match({ fetch: 'cookie', name: requireKey(rule) }, rule.value);
    case 'SSL_DN_FIELD':
      return match({ fetch: 'ssl-dn', field: requireKey(rule) }, rule.value);
    case 'SSL_CONN_HAS_CERT':
      return { ...base, sample: { fetch: 'ssl-has-cert' }, match: null };
    case 'SSL_VERIFY_RESULT':
      return { ...base, sample: { fetch: 'ssl-verify' }, match: null, integer: verifyResult(rule) };
  }
}

/**
 * FILE_TYPE looks at the extension of the path: EQUAL_TO "jpg" matches paths ending in
 * ".jpg"; REGEX applies to the whole path, as Octavia's rendering does. (Octavia renders
 * EQUAL_TO as `path_end -m str jpg`, where `-m str` turns the suffix test into a whole-path
 * equality that no real path meets; we render what the API documents.)
 */
function fileType(base: Omit<AclIR, 'sample' | 'match'>, rule: L7Rule): AclIR {
  if (rule.compare_type === 'REGEX') {
    return { ...base, sample: { fetch: 'path' }, match: { method: 'reg', ignoreCase: false, pattern: rule.value } };
  }
  const ext = rule.value.startsWith('.') ? rule.value : `.${rule.value}`;
  return { ...base, sample: { fetch: 'path' }, match: { method: 'end', ignoreCase: false, pattern: ext } };
}

/**
 * Octavia admits a header value in double quotes so it may hold spaces; its template then
 * hands the quotes to HAProxy, which strips them. The value matched is the inside.
 */
function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function requireKey(rule: L7Rule): string {
  if (!rule.key) throw new RenderError(`L7 rule ${rule.id} of type ${rule.type} has no key`);
  return rule.key;
}

function verifyResult(rule: L7Rule): number {
  if (!/^\d{1,10}$/.test(rule.value)) throw new RenderError(`L7 rule ${rule.id}: SSL verify result must be an integer`);
  return Number(rule.value);
}
