// The pure L7 rules of src/domain/l7.ts and l7-syntax.ts. The URL and regular-expression
// tables were produced by Octavia 11's own validate.url() and Python 3.11's re.compile().
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  hasControlCharacters, isCookieValue, isHeaderName, isHeaderValue, isIpv6, isRedirectUrl, regexProblem,
} from '../../src/domain/l7-syntax.ts';
import {
  MAX_POLICY_POSITION, insertAt, l7RuleProblem, moveTo, policyOrder, positionsOf, resolvePolicyTarget,
} from '../../src/domain/l7.ts';
import type { PolicyTarget, RuleMatch } from '../../src/domain/l7.ts';
import { FulcrumError } from '../../src/domain/errors.ts';

const PYTHON_URLS: [string, boolean][] = [
  ["http://www.example.com", true],
  ["https://example.com", true],
  ["http://www.example.com/", true],
  ["bad url", false],
  ["bad-url", false],
  ["ftp://x.com", false],
  ["HTTP://x.com", false],
  ["Http://a.com", false],
  ["http://", false],
  ["http://exa mple.com", false],
  ["http://ex%41.com/p?q=1#f", true],
  ["http://[::1]:80/x", true],
  ["http://example.com/\u00e4", true],
  ["http://ex_ample.com", true],
  ["http://example.com:99999", true],
  ["http://user:pw@host/", true],
  ["http://example.com/\"q\"", true],
  ["http://exa<mple.com", false],
  ["http://example.com/<x>", true],
  ["http://example.com/a|b", true],
  ["http:/x", false],
  ["http:x", false],
  ["http://-x.com", true],
  ["http://example.com:abc", false],
  ["http://example.com:", true],
  ["http://ex@mple@x.com", false],
  ["https://EXAMPLE.com", true],
  ["http://ex%zz.com", false],
  ["http://[::1", false],
  ["http://[zz]/", false],
  ["http://1.2.3.999/", false],
  ["http://1.2.3.4/", true],
  ["http://a.com?", true],
  ["http://:80/", true],
  ["http://@a.com", false],
  ["http://a.com:80:90/", false],
  ["http://a^b.com", false],
  ["http://a.com:123456", false],
  ["http://u:p:q@a.com/", true],
  ["http://[v1.x]/", true],
  ["http://[::ffff:1.2.3.4]/", true],
  ["http://[fe80::1%25eth0]/", true],
  ["http://[1:2:3:4:5:6:7:8:9]/", false],
  ["http://[1:2:3:4:5:6:7:8]/", true],
  ["http://[1::2::3]/", false],
  ["http://a.com/\u0080", false],
  ["http://a.com/\u00a0", true],
  ["http://a.com/\t", false],
  ["http://a.com/\n", false],
  ["http://[::1]x/", false],
  ["http://\u4f8b\u5b50.com", false],
  ["https://a.com/#frag{", true],
  ["//a.com/", false],
  ["http://a.com\\b", true],
];
const PYTHON_REGEXES: [string, boolean][] = [
  ["jpg|png", true],
  [".*.example.com", true],
  ["^.test*$", true],
  ["/images*", true],
  ["bad string\\", false],
  ["bad regex\\", false],
  ["a{", true],
  ["a]", true],
  ["\\-", true],
  ["(?i)abc", true],
  ["\\q", false],
  ["a**", false],
  ["\\x4", false],
  ["[\\A]", false],
  ["(?P<n>a)(?P=n)", true],
  ["(?i:abc)", true],
  ["a(?i)b", false],
  ["(?x) a b", true],
  ["(?-i:a)", true],
  ["(?>ab)", true],
  ["a*+", true],
  ["a++", true],
  ["a?+", true],
  ["a{2}+", true],
  ["\\U0001F600", true],
  ["\\N{EM DASH}", true],
  ["[\\Z]", false],
  ["(?P<1a>x)", false],
  ["(?P<n>a)(?P=m)", false],
  ["(a)\\2", false],
  ["(a)\\1", true],
  ["[]a]", true],
  ["[^]a]", true],
  ["[a-]", true],
  ["(?<=ab)c", true],
  ["(?#x)a", true],
  ["x{2,1}", false],
  ["(?u)a", true],
  ["(?a)a", true],
  ["\\0", true],
  ["\\08", true],
  ["[\\b]", true],
  ["[\\1]", true],
  ["[\\8]", false],
  ["\\k<a>", false],
  ["(?<n>a)", false],
  ["\\p{L}", false],
  ["\\cA", false],
  ["(", false],
  [")", false],
  ["[", false],
  ["[a-z", false],
  ["a|*", false],
  ["*a", false],
  ["+", false],
  ["?", false],
  ["a{2,3}", true],
  ["a{,3}", true],
  ["^$", true],
  ["\\d+\\.\\d+", true],
  ["[\\w.-]+@[\\w.-]+", true],
  ["(?=a)b", true],
  ["(?!a)b", true],
  ["(?<!a)b", true],
  ["\\bfoo\\b", true],
  ["\\Bfoo", true],
  ["\\s\\S\\w\\W\\d\\D", true],
  ["\\t\\n\\r\\f\\v\\a", true],
  ["\\x41\\u0041", true],
  ["\\u004", false],
  ["\\777", false],
  ["\\400", false],
  ["\\377", true],
  ["\\12", false],
  ["\\123", true],
  ["\\128", false],
  ["[\\w-]", true],
  ["[z-a]", false],
  ["a{3}{2}", false],
  ["(?P<a>x)(?P<a>y)", false],
  ["(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10", true],
  ["\\e", false],
  ["\\z", false],
  ["[\\s\\S]", true],
  ["^/api/v[0-9]+/", true],
  ["(?s).*", true],
  ["(?m)^a$", true],
  ["(?L)a", false],
  ["\\/path\\/", true],
  ["\\.", true],
  ["a{1,2}?", true],
  ["(?:a|b)+", true],
  ["(?P<x>a)|(?P=x)", true],
  ["{", true],
  ["}", true],
  ["a{1", true],
  ["[[]", true],
  ["[\\[]a(", false],
  ["a|b|", true],
  ["()", true],
  ["(|)", true],
];

/** The characters (U+0000..U+00FF) each of Octavia's character classes accepts, from Python. */
const HEADER_NAME_CHARS = "!#$%&'*+,-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~";
const COOKIE_VALUE_CHARS = "!#$%&'()*+,-./0123456789:<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~";

const latin1 = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i));
const rule = (r: Partial<RuleMatch>): RuleMatch => ({ type: 'PATH', compare_type: 'EQUAL_TO', key: null, value: '/x', ...r });
const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FulcrumError, `expected a catalog error, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected a refusal');
};

describe('L7 syntax: URLs', () => {
  test('redirect URLs are judged as Octavia 11 judges them', () => {
    for (const [url, ok] of PYTHON_URLS) assert.equal(isRedirectUrl(url), ok, JSON.stringify(url));
  });

  test('IPv6 literals: compressed, full, with an IPv4 tail; never two "::" or nine groups', () => {
    for (const ok of ['::', '::1', '1:2:3:4:5:6:7:8', '1::8', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4']) assert.ok(isIpv6(ok), ok);
    for (const bad of ['1:2:3:4:5:6:7', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '::1.2.3.256', 'g::1', '1:2:3:4:5:6:7:1.2.3.4']) {
      assert.ok(!isIpv6(bad), bad);
    }
  });
});

describe('L7 syntax: regular expressions', () => {
  test('patterns compile or fail as Python 3.11 compiles them', () => {
    for (const [pattern, ok] of PYTHON_REGEXES) assert.equal(regexProblem(pattern) === null, ok, JSON.stringify(pattern));
  });

  test('control characters are refused before anything else', () => {
    assert.equal(regexProblem('a\nb'), 'contains control characters');
    assert.equal(regexProblem('a\u0085'), 'contains control characters');
    assert.equal(regexProblem('\u00e9t\u00e9'), null);
  });

  test('the reason names what is wrong', () => {
    assert.match(regexProblem('bad string\\') as string, /bad escape \(end of pattern\)/);
    assert.match(regexProblem('\\q') as string, /bad escape \\q/);
    // Python's own words and positions (checked against python3's re.compile)
    assert.equal(regexProblem('^/(unclosed'), 'missing ), unterminated subpattern at position 2');
    assert.equal(regexProblem('(a(b'), 'missing ), unterminated subpattern at position 2');
    assert.equal(regexProblem('(a)|b)'), 'unbalanced parenthesis at position 5');
    assert.equal(regexProblem('([a'), 'unterminated character set at position 1');
    assert.equal(regexProblem('*a'), 'nothing to repeat at position 0');
    assert.equal(regexProblem('a|*b'), 'nothing to repeat at position 2');
    assert.equal(regexProblem('a**'), 'multiple repeat at position 2');
    assert.equal(regexProblem('a{2}*'), 'multiple repeat at position 4');
    assert.equal(regexProblem('a*?'), null);
    assert.equal(regexProblem('a*+'), null);
  });
});

describe('L7 syntax: header names and values, cookie values', () => {
  test('header names admit exactly Octavia\'s token characters', () => {
    for (const c of latin1) assert.equal(isHeaderName(c), HEADER_NAME_CHARS.includes(c), JSON.stringify(c));
    assert.ok(!isHeaderName(''));
  });

  test('cookie values admit exactly Octavia\'s cookie-octet characters', () => {
    for (const c of latin1) assert.equal(isCookieValue(c), COOKIE_VALUE_CHARS.includes(c), JSON.stringify(c));
  });

  test('header values are visible ASCII, or a double-quoted string that may hold spaces and tabs', () => {
    for (const ok of ['abc', '"some string"', '""', '"tab\there"', 'a"b', '\\x']) assert.ok(isHeaderValue(ok), ok);
    for (const bad of ['a b', '"open space', 'caf\u00e9', 'a\tb', '', '"a\nb"']) assert.ok(!isHeaderValue(bad), JSON.stringify(bad));
  });

  test('control characters', () => {
    assert.ok(hasControlCharacters('a\u0000'));
    assert.ok(hasControlCharacters('\u007f'));
    assert.ok(!hasControlCharacters('CN=John Doe, O="Example"'));
  });
});

describe('L7 rules: type x compare type x key x value', () => {
  test('valid rules of every type', () => {
    for (const r of [
      rule({ type: 'HOST_NAME', value: 'www.example.com' }),
      rule({ type: 'HOST_NAME', compare_type: 'REGEX', value: '.*.example.com' }),
      rule({ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' }),
      rule({ type: 'FILE_TYPE', compare_type: 'REGEX', value: 'jpg|png' }),
      rule({ type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'png' }),
      rule({ type: 'HEADER', compare_type: 'ENDS_WITH', key: 'Some-header', value: '"some string"' }),
      rule({ type: 'COOKIE', compare_type: 'CONTAINS', key: 'some-cookie', value: 'some-value' }),
      rule({ type: 'SSL_CONN_HAS_CERT', value: 'tRuE' }),
      rule({ type: 'SSL_VERIFY_RESULT', value: '0' }),
      rule({ type: 'SSL_DN_FIELD', compare_type: 'STARTS_WITH', key: 'st-1', value: 'ST-FIELD1-PREFIX' }),
      rule({ type: 'SSL_DN_FIELD', key: 'CN', value: 'John Doe, "Example" Inc' }),
      // Octavia stores a key it does not use on these types; so do we.
      rule({ type: 'PATH', key: 'ignored', value: '/x' }),
    ]) assert.equal(l7RuleProblem(r), null, JSON.stringify(r));
  });

  test('a value is always required', () => {
    assert.equal(l7RuleProblem(rule({ value: '' })), 'Invalid L7 Rule: L7 rule type requires a value');
    assert.equal(l7RuleProblem(rule({ value: null })), 'Invalid L7 Rule: L7 rule type requires a value');
  });

  test('HEADER and COOKIE need a key that is a header name', () => {
    for (const type of ['HEADER', 'COOKIE'] as const) {
      assert.equal(l7RuleProblem(rule({ type, value: 'x' })), 'Invalid L7 Rule: L7 rule type requires a key');
      assert.equal(l7RuleProblem(rule({ type, key: 'bad cookie name', value: 'x' })), 'Invalid characters in key');
      assert.equal(l7RuleProblem(rule({ type, key: 'a:b', value: 'x' })), 'Invalid characters in key');
      assert.equal(l7RuleProblem(rule({ type, compare_type: null, key: 'k', value: 'x' })), 'Invalid L7 Rule: invalid comparison type for rule type');
    }
  });

  test('values are checked by the character set of their type', () => {
    assert.equal(l7RuleProblem(rule({ type: 'HEADER', key: 'X', value: 'a b' })), 'Invalid characters in header value');
    assert.equal(l7RuleProblem(rule({ type: 'COOKIE', key: 'c', value: 'a;b' })), 'Invalid characters in cookie value');
    assert.equal(l7RuleProblem(rule({ type: 'COOKIE', key: 'c', value: '"q"' })), 'Invalid characters in cookie value');
    assert.equal(l7RuleProblem(rule({ type: 'HOST_NAME', value: 'www example' })), 'Invalid characters in comparison value');
    assert.equal(l7RuleProblem(rule({ type: 'PATH', value: '/caf\u00e9' })), 'Invalid characters in comparison value');
    // A regex value is judged as a regex, not by character set.
    assert.equal(l7RuleProblem(rule({ type: 'HEADER', compare_type: 'REGEX', key: 'X', value: 'a b' })), null);
  });

  test('REGEX values must compile', () => {
    for (const type of ['HOST_NAME', 'PATH', 'FILE_TYPE', 'HEADER', 'COOKIE', 'SSL_DN_FIELD'] as const) {
      const problem = l7RuleProblem(rule({ type, compare_type: 'REGEX', key: 'k', value: 'bad string\\' }));
      assert.match(problem ?? '', /^Unable to parse regular expression: bad escape/, type);
    }
  });

  test('FILE_TYPE takes EQUAL_TO and REGEX only', () => {
    for (const compare_type of ['STARTS_WITH', 'ENDS_WITH', 'CONTAINS'] as const) {
      assert.equal(l7RuleProblem(rule({ type: 'FILE_TYPE', compare_type, value: 'png' })), 'Invalid L7 Rule: invalid comparison type for rule type');
    }
  });

  test('SSL_CONN_HAS_CERT: no key, the value True in any case, EQUAL_TO only', () => {
    const t = 'SSL_CONN_HAS_CERT';
    assert.equal(l7RuleProblem(rule({ type: t, key: 'no-need-key', value: 'true' })), `Invalid L7 Rule: L7rule type ${t} does not use the "key" field.`);
    assert.equal(l7RuleProblem(rule({ type: t, value: 'not-true-string' })), 'Invalid L7 Rule: L7rule value not-true-string is not a boolean True string.');
    assert.equal(l7RuleProblem(rule({ type: t, compare_type: 'STARTS_WITH', value: 'tRUe' })), `Invalid L7 Rule: L7rule type ${t} only supports the EQUAL_TO compare type.`);
  });

  test('SSL_VERIFY_RESULT: no key, a non-negative integer, EQUAL_TO only', () => {
    const t = 'SSL_VERIFY_RESULT';
    assert.equal(l7RuleProblem(rule({ type: t, key: 'no-need-key', value: '0' })), `Invalid L7 Rule: L7rule type ${t} does not use the "key" field.`);
    for (const value of ['true', '-1', '1.5', ' 1']) {
      assert.equal(l7RuleProblem(rule({ type: t, value })), `Invalid L7 Rule: L7rule type ${t} needs a int value, which is >= 0`, value);
    }
    assert.equal(l7RuleProblem(rule({ type: t, compare_type: 'STARTS_WITH', value: '0' })), `Invalid L7 Rule: L7rule type ${t} only supports the EQUAL_TO compare type.`);
    assert.equal(l7RuleProblem(rule({ type: t, value: '20' })), null);
  });

  test('SSL_DN_FIELD: a key that names a DN field, any value on one line', () => {
    const t = 'SSL_DN_FIELD';
    assert.equal(l7RuleProblem(rule({ type: t, compare_type: 'REGEX', value: '^.test*$' })), `Invalid L7 Rule: L7rule type ${t} needs to specify a key and a value.`);
    assert.equal(l7RuleProblem(rule({ type: t, compare_type: 'REGEX', key: 'NOT_SUPPORTED_DN_FIELD', value: '^.test*$' })), 'Invalid L7 Rule: Invalid L7rule distinguished name field.');
    assert.equal(l7RuleProblem(rule({ type: t, key: '1CN', value: 'x' })), 'Invalid L7 Rule: Invalid L7rule distinguished name field.');
    assert.equal(l7RuleProblem(rule({ type: t, key: 'CN', value: 'a\u0000b' })), 'Invalid characters in comparison value');
  });

  test('control characters are refused in keys Octavia leaves unchecked', () => {
    assert.equal(l7RuleProblem(rule({ type: 'PATH', key: 'a\u0001', value: '/x' })), 'Invalid characters in key');
  });

  test('an unknown type is refused', () => {
    assert.equal(l7RuleProblem(rule({ type: null })), 'Invalid L7 Rule: invalid rule type');
  });
});

describe('L7 policies: action and redirect fields', () => {
  const reject: PolicyTarget = { action: 'REJECT', redirect_pool_id: null, redirect_url: null, redirect_prefix: null, redirect_http_code: null };
  const toUrl: PolicyTarget = { ...reject, action: 'REDIRECT_TO_URL', redirect_url: 'http://a.com', redirect_http_code: 301 };
  const POOL = '11111111-1111-4111-8111-111111111111';

  test('creates: each action with its field; URL and prefix redirects default to 302', () => {
    assert.deepEqual(resolvePolicyTarget(null, { action: 'REJECT' }), reject);
    assert.deepEqual(resolvePolicyTarget(null, { action: 'REDIRECT_TO_URL', redirect_url: 'http://a.com' }), { ...toUrl, redirect_http_code: 302 });
    assert.deepEqual(resolvePolicyTarget(null, { action: 'REDIRECT_PREFIX', redirect_prefix: 'https://a.com', redirect_http_code: 308 }),
      { ...reject, action: 'REDIRECT_PREFIX', redirect_prefix: 'https://a.com', redirect_http_code: 308 });
    assert.deepEqual(resolvePolicyTarget(null, { action: 'REDIRECT_TO_POOL', redirect_pool_id: POOL, redirect_http_code: 308 }),
      { ...reject, action: 'REDIRECT_TO_POOL', redirect_pool_id: POOL });
  });

  test('a redirect action needs its field in the same request', () => {
    assert.equal(refusal(() => resolvePolicyTarget(null, { action: 'REDIRECT_TO_URL' })), 'Invalid L7 Policy arguments: redirect_url must not be None');
    assert.equal(refusal(() => resolvePolicyTarget(null, { action: 'REDIRECT_PREFIX' })), 'Invalid L7 Policy arguments: redirect_prefix must not be None');
    assert.equal(refusal(() => resolvePolicyTarget(null, { action: 'REDIRECT_TO_POOL' })), 'Invalid L7 Policy arguments: redirect_pool_id or redirect_pool must not be None');
    assert.equal(refusal(() => resolvePolicyTarget(toUrl, { action: 'REDIRECT_TO_URL' })), 'Invalid L7 Policy arguments: redirect_url must not be None');
  });

  test('a pool and a URL or prefix together are refused', () => {
    const both = 'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time';
    assert.equal(refusal(() => resolvePolicyTarget(null, { action: 'REDIRECT_TO_POOL', redirect_pool_id: POOL, redirect_prefix: 'http://a.com' })), both);
    assert.equal(refusal(() => resolvePolicyTarget(reject, { redirect_pool_id: POOL, redirect_url: 'http://a.com' })), both);
    // As Octavia: the REDIRECT_TO_POOL action drops a URL before the two are compared.
    assert.equal(resolvePolicyTarget(null, { action: 'REDIRECT_TO_POOL', redirect_pool_id: POOL, redirect_url: 'http://a.com' }).redirect_url, null);
  });

  test('a missing or null action is refused on create; a null action on update too', () => {
    assert.equal(refusal(() => resolvePolicyTarget(null, {})), 'Invalid L7 Policy action specified: None');
    assert.equal(refusal(() => resolvePolicyTarget(toUrl, { action: null })), 'Invalid L7 Policy action specified: None');
  });

  test('naming a redirect field implies its action (Octavia: even over REJECT for a prefix)', () => {
    assert.equal(resolvePolicyTarget(null, { action: 'REJECT', redirect_prefix: 'http://a.com' }).action, 'REDIRECT_PREFIX');
    assert.deepEqual(resolvePolicyTarget(null, { action: 'REJECT', redirect_url: 'http://a.com' }), reject);
    assert.equal(resolvePolicyTarget(reject, { redirect_pool_id: POOL }).action, 'REDIRECT_TO_POOL');
    assert.deepEqual(resolvePolicyTarget(reject, { redirect_url: 'http://b.com' }), { ...toUrl, redirect_url: 'http://b.com', redirect_http_code: 302 });
  });

  test('updates keep what they do not name, and clear what the new action does not use', () => {
    assert.deepEqual(resolvePolicyTarget(toUrl, { redirect_http_code: 308 }), { ...toUrl, redirect_http_code: 308 });
    assert.deepEqual(resolvePolicyTarget(toUrl, { redirect_http_code: null }), { ...toUrl, redirect_http_code: null });
    assert.deepEqual(resolvePolicyTarget(toUrl, { action: 'REJECT' }), reject);
    assert.deepEqual(resolvePolicyTarget(toUrl, { redirect_pool_id: POOL }), { ...reject, action: 'REDIRECT_TO_POOL', redirect_pool_id: POOL });
    // Re-sending the URL without a code resets the code to the default, as Octavia does.
    assert.equal(resolvePolicyTarget(toUrl, { redirect_url: 'http://c.com' }).redirect_http_code, 302);
  });

  test('REJECT and REDIRECT_TO_POOL never keep an HTTP code', () => {
    assert.equal(resolvePolicyTarget(reject, { redirect_http_code: 301 }).redirect_http_code, null);
    assert.equal(resolvePolicyTarget(null, { action: 'REJECT', redirect_http_code: 301 }).redirect_http_code, null);
  });

  test('an update may not clear the field its action needs', () => {
    assert.equal(refusal(() => resolvePolicyTarget(toUrl, { redirect_url: null })), 'Invalid L7 Policy arguments: redirect_url must not be None');
  });

  test('fields other than the target are ignored', () => {
    assert.deepEqual(resolvePolicyTarget(null, { action: 'REJECT', name: 'x', position: 3 } as never), reject);
  });
});

describe('L7 policies: positions', () => {
  const p = (id: string, position: number, created_at = '2024-01-01T00:00:00.000Z') => ({ id, position, created_at });

  test('order follows stored positions, then age, then id; gaps do not matter', () => {
    assert.deepEqual(policyOrder([p('c', 7), p('a', 2), p('b', 2, '2024-01-01T00:00:01.000Z'), p('d', 1)]), ['d', 'a', 'b', 'c']);
  });

  test('insert: at a position shifts the rest down; the default appends; past the end appends', () => {
    const order = ['a', 'b', 'c'];
    assert.deepEqual(insertAt(order, 'n', 1), ['n', 'a', 'b', 'c']);
    assert.deepEqual(insertAt(order, 'n', 2), ['a', 'n', 'b', 'c']);
    assert.deepEqual(insertAt(order, 'n', 4), ['a', 'b', 'c', 'n']);
    assert.deepEqual(insertAt(order, 'n', 99), ['a', 'b', 'c', 'n']);
    assert.deepEqual(insertAt(order, 'n', MAX_POLICY_POSITION), ['a', 'b', 'c', 'n']);
    assert.deepEqual(insertAt([], 'n', 5), ['n']);
  });

  test('move: up, down, past the end', () => {
    const order = ['a', 'b', 'c', 'd'];
    assert.deepEqual(moveTo(order, 'c', 1), ['c', 'a', 'b', 'd']);
    assert.deepEqual(moveTo(order, 'a', 3), ['b', 'c', 'a', 'd']);
    assert.deepEqual(moveTo(order, 'b', 100), ['a', 'c', 'd', 'b']);
    assert.deepEqual(moveTo(order, 'b', 2), order);
    assert.throws(() => moveTo(order, 'z', 1), RangeError);
  });

  test('positions are 1..n', () => {
    assert.deepEqual([...positionsOf(['x', 'y', 'z'])], [['x', 1], ['y', 2], ['z', 3]]);
  });

  test('property: an insert or a move is a permutation that puts the policy where asked and keeps the others in order', () => {
    fc.assert(fc.property(
      fc.uniqueArray(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 12 }),
      fc.integer({ min: 1, max: 20 }),
      (ids, position) => {
        const order = ids.filter((id) => id !== 'new');
        const inserted = insertAt(order, 'new', position);
        assert.equal(inserted.length, order.length + 1);
        assert.equal(inserted.indexOf('new') + 1, Math.min(position, order.length + 1));
        assert.deepEqual(inserted.filter((id) => id !== 'new'), order);
        if (order.length === 0) return;
        const moving = order[position % order.length];
        const moved = moveTo(order, moving, position);
        assert.deepEqual([...moved].sort(), [...order].sort());
        assert.equal(moved.indexOf(moving) + 1, Math.min(position, order.length));
        assert.deepEqual(moved.filter((id) => id !== moving), order.filter((id) => id !== moving));
        assert.deepEqual([...positionsOf(moved).values()], moved.map((_, i) => i + 1));
      },
    ));
  });
});
