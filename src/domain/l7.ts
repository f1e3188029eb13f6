// The rules of L7 policies and rules as Octavia enforces them: which rule type takes which
// compare types, keys and values (validate.l7rule_data), how a policy's action and redirect
// fields resolve each other (validate.sanitize_l7policy_api_args plus the repository's
// update), and how positions are kept contiguous on a listener. Pure functions.
import { Errors } from './errors.ts';
import type { L7CompareType, L7PolicyAction, L7RuleType } from './enums.ts';
import { hasControlCharacters, isCookieValue, isHeaderName, isHeaderValue, regexProblem } from './l7-syntax.ts';

export const MIN_POLICY_POSITION = 1;
/** The largest position a client may ask for; it means "at the end" (Octavia's default). */
export const MAX_POLICY_POSITION = 2147483647;
/** HAProxy failed to parse configurations past about 53 rules on one policy. */
export const MAX_L7RULES_PER_L7POLICY = 50;
export const DEFAULT_REDIRECT_HTTP_CODE = 302;
/** Listener protocols whose traffic the amphora provider can match L7 rules against. */
export const L7_LISTENER_PROTOCOLS: readonly string[] = ['HTTP', 'TERMINATED_HTTPS'];

// --- L7 rules -----------------------------------------------------------------------------

export interface RuleMatch {
  type: L7RuleType | null;
  compare_type: L7CompareType | null;
  key: string | null;
  value: string | null;
}

const DN_FIELD = /^[a-zA-Z][A-Za-z0-9-]*$/;
const PLAIN_COMPARES: readonly (L7CompareType | null)[] = ['STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'];

/**
 * Why Octavia would refuse this rule, phrased as it phrases it, or null when the rule is
 * valid. The caller prefixes "Error parsing L7Rule: ". Beyond Octavia, control characters are
 * refused in keys and values it leaves unchecked, since they would reach HAProxy's config.
 */
export function l7RuleProblem(rule: RuleMatch): string | null {
  const { type, compare_type: compare, key, value } = rule;
  if (!value) return 'Invalid L7 Rule: L7 rule type requires a value';
  if (key && hasControlCharacters(key)) return 'Invalid characters in key';
  switch (type) {
    case 'HEADER':
    case 'COOKIE': {
      if (!key) return 'Invalid L7 Rule: L7 rule type requires a key';
      if (!isHeaderName(key)) return 'Invalid characters in key';
      if (compare === 'REGEX') return regexRefusal(value);
      if (!PLAIN_COMPARES.includes(compare)) return 'Invalid L7 Rule: invalid comparison type for rule type';
      if (type === 'HEADER') return isHeaderValue(value) ? null : 'Invalid characters in header value';
      return isCookieValue(value) ? null : 'Invalid characters in cookie value';
    }
    case 'HOST_NAME':
    case 'PATH':
    case 'FILE_TYPE': {
      if (compare === 'REGEX') return regexRefusal(value);
      const allowed = type === 'FILE_TYPE' ? compare === 'EQUAL_TO' : PLAIN_COMPARES.includes(compare);
      if (!allowed) return 'Invalid L7 Rule: invalid comparison type for rule type';
      return isHeaderValue(value) ? null : 'Invalid characters in comparison value';
    }
    case 'SSL_CONN_HAS_CERT':
    case 'SSL_VERIFY_RESULT':
    case 'SSL_DN_FIELD':
      return sslRuleProblem(type, compare, key, value);
    default:
      return 'Invalid L7 Rule: invalid rule type';
  }
}

function regexRefusal(value: string): string | null {
  const problem = regexProblem(value);
  return problem === null ? null : `Unable to parse regular expression: ${problem}`;
}

function sslRuleProblem(type: L7RuleType, compare: L7CompareType | null, key: string | null, value: string): string | null {
  const invalid = (msg: string) => `Invalid L7 Rule: ${msg}`;
  const onlyEqualTo = invalid(`L7rule type ${type} only supports the EQUAL_TO compare type.`);
  if (type === 'SSL_CONN_HAS_CERT') {
    if (key) return invalid(`L7rule type ${type} does not use the "key" field.`);
    if (value.toLowerCase() !== 'true') return invalid(`L7rule value ${value} is not a boolean True string.`);
    return compare === 'EQUAL_TO' ? null : onlyEqualTo;
  }
  if (type === 'SSL_VERIFY_RESULT') {
    if (key) return invalid(`L7rule type ${type} does not use the "key" field.`);
    if (!/^[0-9]+$/.test(value)) return invalid(`L7rule type ${type} needs a int value, which is >= 0`);
    return compare === 'EQUAL_TO' ? null : onlyEqualTo;
  }
  // SSL_DN_FIELD: the key names a distinguished-name field, the value is free text or a regex.
  if (compare === 'REGEX') {
    const problem = regexRefusal(value);
    if (problem) return problem;
  }
  if (!key) return invalid(`L7rule type ${type} needs to specify a key and a value.`);
  if (!DN_FIELD.test(key)) return invalid('Invalid L7rule distinguished name field.');
  if (compare !== 'REGEX' && hasControlCharacters(value)) return 'Invalid characters in comparison value';
  return null;
}

// --- L7 policies: action and redirect fields ----------------------------------------------

export interface PolicyTarget {
  action: L7PolicyAction;
  redirect_pool_id: string | null;
  redirect_url: string | null;
  redirect_prefix: string | null;
  redirect_http_code: number | null;
}

/** What a request says about the target: absent (undefined), cleared (null) or set. */
export type PolicyTargetArgs = { [K in keyof PolicyTarget]?: PolicyTarget[K] | null };

const TARGET_FIELDS = ['action', 'redirect_pool_id', 'redirect_url', 'redirect_prefix', 'redirect_http_code'] as const;

const REDIRECT_FIELD: Record<L7PolicyAction, keyof PolicyTarget | null> = {
  REJECT: null,
  REDIRECT_TO_URL: 'redirect_url',
  REDIRECT_TO_POOL: 'redirect_pool_id',
  REDIRECT_PREFIX: 'redirect_prefix',
};

/**
 * The policy's action and redirect fields after a create (`current` null) or an update.
 * As Octavia: naming a redirect field implies its action and clears the others; an action
 * that redirects needs its field in the same request; a URL or prefix redirect defaults its
 * HTTP code to 302. Unlike Octavia, REJECT and REDIRECT_TO_POOL always drop the HTTP code
 * (it means nothing there), and an update may not clear the field its action needs.
 */
export function resolvePolicyTarget(current: PolicyTarget | null, args: PolicyTargetArgs): PolicyTarget {
  const a: PolicyTargetArgs = {};
  for (const k of TARGET_FIELDS) if (args[k] !== undefined) Object.assign(a, { [k]: args[k] });
  if (a.action !== undefined) {
    const needed = a.action === null ? undefined : REDIRECT_FIELD[a.action];
    if (needed === undefined) throw Errors.l7PolicyAction(String(a.action ?? 'None'));
    if (needed === 'redirect_pool_id' && !a.redirect_pool_id) throw Errors.l7PolicyArgs('redirect_pool_id or redirect_pool must not be None');
    if (needed && !a[needed]) throw Errors.l7PolicyArgs(`${needed} must not be None`);
    if (a.action === 'REJECT') Object.assign(a, { redirect_url: null, redirect_pool_id: null });
    if (a.action === 'REDIRECT_TO_URL') a.redirect_pool_id = null;
    if (a.action === 'REDIRECT_TO_POOL') a.redirect_url = null;
  }
  if (a.redirect_pool_id && (a.redirect_url || a.redirect_prefix)) {
    throw Errors.l7PolicyArgs('Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time');
  }
  if (a.redirect_pool_id) Object.assign(a, { action: 'REDIRECT_TO_POOL', redirect_url: null, redirect_prefix: null });
  if (a.redirect_url) {
    Object.assign(a, { action: 'REDIRECT_TO_URL', redirect_pool_id: null, redirect_prefix: null });
    a.redirect_http_code ||= DEFAULT_REDIRECT_HTTP_CODE;
  }
  if (a.redirect_prefix) {
    Object.assign(a, { action: 'REDIRECT_PREFIX', redirect_pool_id: null, redirect_url: null });
    a.redirect_http_code ||= DEFAULT_REDIRECT_HTTP_CODE;
  }
  if (!current && !a.action) throw Errors.l7PolicyAction('None');
  const merged = { ...current } as PolicyTarget;
  for (const k of TARGET_FIELDS) if (a[k] !== undefined) Object.assign(merged, { [k]: a[k] });
  return settleTarget(merged);
}

/** Clears what the action does not use, and refuses a redirect action without its target. */
function settleTarget(t: PolicyTarget): PolicyTarget {
  const out: PolicyTarget = {
    action: t.action,
    redirect_pool_id: t.redirect_pool_id ?? null,
    redirect_url: t.redirect_url ?? null,
    redirect_prefix: t.redirect_prefix ?? null,
    redirect_http_code: t.redirect_http_code ?? null,
  };
  if (out.action !== 'REDIRECT_TO_URL') out.redirect_url = null;
  if (out.action !== 'REDIRECT_TO_POOL') out.redirect_pool_id = null;
  if (out.action !== 'REDIRECT_PREFIX') out.redirect_prefix = null;
  if (out.action === 'REJECT' || out.action === 'REDIRECT_TO_POOL') out.redirect_http_code = null;
  const needed = REDIRECT_FIELD[out.action];
  if (needed && !out[needed]) throw Errors.l7PolicyArgs(`${needed} must not be None`);
  return out;
}

// --- L7 policies: positions on a listener -------------------------------------------------

export interface Positioned {
  id: string;
  position: number;
  created_at: string;
}

/** A listener's policies in evaluation order: by stored position, then age, then id. */
export function policyOrder(policies: readonly Positioned[]): string[] {
  return [...policies]
    .sort((a, b) => a.position - b.position || cmp(a.created_at, b.created_at) || cmp(a.id, b.id))
    .map((p) => p.id);
}

/** Inserts a new policy at a 1-based position; past the end (the default) it is appended. */
export function insertAt(order: readonly string[], id: string, position: number): string[] {
  const out = order.filter((x) => x !== id);
  out.splice(Math.min(Math.max(position, 1), out.length + 1) - 1, 0, id);
  return out;
}

/** Moves an existing policy to a 1-based position; the others keep their relative order. */
export function moveTo(order: readonly string[], id: string, position: number): string[] {
  if (!order.includes(id)) throw new RangeError(`policy ${id} is not in this order`);
  return insertAt(order, id, position);
}

/** Positions 1..n for an order: what Octavia's ordering list stores after every change. */
export function positionsOf(order: readonly string[]): Map<string, number> {
  return new Map(order.map((id, i) => [id, i + 1]));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
