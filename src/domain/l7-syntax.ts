// The character-level checks Octavia applies to L7 values: redirect URLs (its rfc3986
// validator), HTTP header names, header and cookie values, and regular expressions (Python's
// `re`). Pure functions; l7.ts composes them into the L7 rule and policy rules.

/** Octavia refuses control characters (C0, DEL, C1) and spaces in URLs before parsing them. */
const urlForbidden = (code: number) => code <= 0x20 || (code >= 0x7f && code <= 0x9f);
/** Octavia refuses control characters in regular expressions (they would reach HAProxy's config). */
const configForbidden = (code: number) => code < 0x20 || (code >= 0x7f && code <= 0x9f);

function hasCode(value: string, refused: (code: number) => boolean): boolean {
  for (let i = 0; i < value.length; i++) if (refused(value.charCodeAt(i))) return true;
  return false;
}

// RFC 7230/6265 character sets exactly as Octavia spells them. Octavia's header-name and
// cookie-value classes contain the range `+-.`, which also admits a comma; kept for parity.
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+,\-.^_`|~]+$/;
const COOKIE_VALUE = /^[A-Za-z0-9!#$%&'()*+,\-./:<=>?@[\]^_`{|}~]+$/;
/** Any visible ASCII character, or a double-quoted string that may also hold spaces and tabs. */
const HEADER_VALUE = /^[\x21-\x7e]+$/;
const QUOTED_HEADER_VALUE = /^"[\x20-\x7e\t]*"$/;

export function isHeaderName(value: string): boolean {
  return HEADER_NAME.test(value);
}

export function isCookieValue(value: string): boolean {
  return COOKIE_VALUE.test(value);
}

export function isHeaderValue(value: string): boolean {
  return HEADER_VALUE.test(value) || QUOTED_HEADER_VALUE.test(value);
}

/** C0 controls and DEL: never meaningful in an L7 key or value, and unsafe in HAProxy's config. */
export function hasControlCharacters(value: string): boolean {
  return hasCode(value, (code) => code < 0x20 || code === 0x7f);
}

// --- URLs -------------------------------------------------------------------------------

// RFC 3986 appendix B, with a backslash ending the authority as the rfc3986 library reads it.
const URI = /^(?:([^:/?#]+):)?(?:\/\/([^\\/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;
const AUTHORITY = /^(?:([^@]*)@)?(\[[^\]]*\]|[^:@]*)(?::([^:]*))?$/;
const USERINFO = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})+$/;
const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
const IPV4_SHAPE = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IP_FUTURE = /^v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+$/;

/** An absolute http(s) URL with a valid host, as Octavia accepts for redirect_url and redirect_prefix. */
export function isRedirectUrl(url: string): boolean {
  if (hasCode(url, urlForbidden)) return false;
  const parts = URI.exec(url);
  if (!parts) return false;
  const [, scheme, authority] = parts;
  if (scheme !== 'http' && scheme !== 'https') return false;
  if (!authority) return false; // an empty authority has no host
  const auth = AUTHORITY.exec(authority);
  if (!auth) return false;
  const [, userinfo, host, port] = auth;
  if (userinfo !== undefined && !USERINFO.test(userinfo)) return false;
  if (port !== undefined && !/^\d{0,5}$/.test(port)) return false;
  return isUriHost(host);
}

function isUriHost(host: string): boolean {
  if (host.startsWith('[')) {
    const literal = host.slice(1, -1);
    return IP_FUTURE.test(literal) || isIpv6(literal.replace(/%25(?:[A-Za-z0-9\-._~]|%[0-9A-Fa-f]{2})+$/, ''));
  }
  if (!REG_NAME.test(host)) return false;
  if (IPV4_SHAPE.test(host)) return isIpv4(host);
  return true;
}

export function isIpv4(value: string): boolean {
  const octets = value.split('.');
  return octets.length === 4 && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

export function isIpv6(value: string): boolean {
  let body = value;
  let tailGroups = 0;
  const lastColon = body.lastIndexOf(':');
  if (lastColon >= 0 && body.slice(lastColon + 1).includes('.')) {
    if (!isIpv4(body.slice(lastColon + 1))) return false;
    body = `${body.slice(0, lastColon + 1)}0`;
    tailGroups = 1; // the IPv4 tail takes two groups; the placeholder above counts one
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const all = halves.flatMap(groups);
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const count = all.length + tailGroups;
  return halves.length === 2 ? count <= 7 : count === 8;
}

// --- Regular expressions ----------------------------------------------------------------

const ESCAPE_OUTSIDE_CLASS = new Set('abBdDfnrsStvwWAZxuUN0123456789');
const ESCAPE_IN_CLASS = new Set('abdDfnrsStvwWxuUN0123456789');

/**
 * Answers why Python's `re` (Octavia's check) would refuse `pattern`, or null when it compiles.
 * The pattern is translated from Python's dialect (inline flags, `(?P<name>`, `\A`, `\Z`,
 * possessive quantifiers...) to JavaScript's and compiled; what JavaScript would silently
 * accept but Python refuses (`\q`, `\x4`, a trailing backslash, a reference to a group that
 * does not exist, JavaScript-only syntax) is refused during the translation.
 */
export function regexProblem(pattern: string): string | null {
  if (hasCode(pattern, configForbidden)) return 'contains control characters';
  let translated: string;
  try {
    translated = new PythonRegex(pattern).toJavaScript();
  } catch (err) {
    return (err as Error).message;
  }
  try {
    new RegExp(translated);
    return null;
  } catch (err) {
    return (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
  }
}

/** A one-pass translator from Python's regular-expression dialect to JavaScript's. */
class PythonRegex {
  private out = '';
  private at = 0;
  /** Where the current character class's members start, or -1 outside a class. */
  private classStart = -1;
  private groups = 0;
  private readonly names = new Set<string>();
  /** Positions of the groups still open, innermost last (Python names the innermost). */
  private readonly open: number[] = [];
  /** Where the current character class's '[' is. */
  private classOpen = -1;
  /** What the next quantifier would apply to: nothing, an atom, or a quantifier (maybe modified). */
  private prev: 'none' | 'atom' | 'quantifier' | 'modified' = 'none';

  constructor(private readonly pattern: string) {}

  toJavaScript(): string {
    const leadingFlags = /^\(\?[aimsux]+\)/.exec(this.pattern);
    if (leadingFlags) this.at = leadingFlags[0].length;
    while (this.at < this.pattern.length) this.step();
    // Python reports what is still open at the end, the innermost first.
    if (this.classStart >= 0) this.failAt('unterminated character set', this.classOpen);
    if (this.open.length > 0) this.failAt('missing ), unterminated subpattern', this.open[this.open.length - 1]);
    return this.out;
  }

  private step(): void {
    const p = this.pattern;
    const c = p[this.at];
    if (c === '\\') return this.escape();
    if (this.classStart >= 0) {
      if (c === ']' && this.at > this.classStart) this.classStart = -1;
      return this.emit(c, 1);
    }
    if (c === '[') {
      this.classOpen = this.at;
      this.classStart = this.at + (p[this.at + 1] === '^' ? 2 : 1);
      this.prev = 'atom';
      return this.emit(p.slice(this.at, this.classStart), this.classStart - this.at);
    }
    const repeat = c === '{' ? /^\{\d*(?:,\d*)?\}/.exec(p.slice(this.at))?.[0] : '*+?'.includes(c) ? c : undefined;
    if (repeat !== undefined && repeat !== '{}' && repeat !== '{,}') return this.quantifier(repeat);
    if (c === '(' && p[this.at + 1] === '?') return this.extension();
    if (c === '(') {
      this.groups += 1;
      this.open.push(this.at);
    }
    if (c === ')') {
      if (this.open.length === 0) this.fail('unbalanced parenthesis');
      this.open.pop();
    }
    // Anchors and alternation leave nothing a quantifier could repeat, as a group's start does.
    this.prev = c === '(' || c === '|' || c === '^' || c === '$' ? 'none' : 'atom';
    this.emit(c, 1);
  }

  /** `*`, `+`, `?` or `{m,n}`: after an atom; a lazy `?` or possessive `+` (Python 3.11) may follow once. */
  private quantifier(q: string): void {
    if (this.prev === 'none') this.fail('nothing to repeat');
    if (this.prev === 'quantifier' && (q === '?' || q === '+')) {
      this.prev = 'modified';
      // A possessive quantifier matches differently but is equally valid.
      return this.emit(q === '+' ? '' : q, 1);
    }
    if (this.prev !== 'atom') this.fail('multiple repeat');
    this.prev = 'quantifier';
    this.emit(q, q.length);
  }

  private emit(js: string, consumed: number): void {
    this.out += js;
    this.at += consumed;
  }

  private fail(reason: string): never {
    this.failAt(reason, this.at);
  }

  private failAt(reason: string, position: number): never {
    throw new Error(`${reason} at position ${position}`);
  }

  private escape(): void {
    const p = this.pattern;
    const next = p[this.at + 1];
    if (next === undefined) this.fail('bad escape (end of pattern)');
    // \A, \Z, \b and \B are positions, which Python refuses to repeat.
    this.prev = 'AZbB'.includes(next) ? 'none' : 'atom';
    if (!/[A-Za-z0-9]/.test(next)) return this.emit(`\\${next}`, 2);
    const inClass = this.classStart >= 0;
    if (!(inClass ? ESCAPE_IN_CLASS : ESCAPE_OUTSIDE_CLASS).has(next)) this.fail(`bad escape \\${next}`);
    const hex = (n: number) => {
      const digits = p.slice(this.at + 2, this.at + 2 + n);
      if (!new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(digits)) this.fail(`incomplete escape \\${next}${digits}`);
      return digits;
    };
    switch (next) {
      case 'x': return this.emit(`\\x${hex(2)}`, 4);
      case 'u': return this.emit(`\\u${hex(4)}`, 6);
      case 'U': hex(8); return this.emit('.', 10);
      case 'N': {
        const named = /^\\N\{[A-Za-z0-9 -]+\}/.exec(p.slice(this.at));
        if (!named) this.fail('missing or malformed character name');
        return this.emit('.', named[0].length);
      }
      case 'A': return this.emit('^', 2);
      case 'Z': return this.emit('$', 2);
      case 'a': return this.emit('\\x07', 2);
    }
    if (/[0-9]/.test(next)) return this.numericEscape(inClass);
    this.emit(`\\${next}`, 2);
  }

  /** `\0`, `\012` and `\123` are octal characters; `\1`..`\99` refer to earlier groups. */
  private numericEscape(inClass: boolean): void {
    const digits = /^\\([0-9]{1,3})/.exec(this.pattern.slice(this.at))![1];
    // Inside a class every escaped octal digit starts a character; outside, only \0 or three digits do.
    const octal = (inClass ? /^[0-7]{1,3}/ : /^(?:0[0-7]{0,2}|[0-7]{3})/).exec(digits);
    if (octal) {
      const code = parseInt(octal[0], 8);
      if (code > 0o377) this.fail(`octal escape value \\${octal[0]} outside of range 0-0o377`);
      return this.emit(`\\x${code.toString(16).padStart(2, '0')}`, 1 + octal[0].length);
    }
    if (inClass) this.fail(`bad escape \\${digits[0]}`);
    const group = digits.slice(0, 2);
    if (Number(group) > this.groups) this.fail(`invalid group reference ${Number(group)}`);
    this.emit(`\\${group}`, 1 + group.length);
  }

  private extension(): void {
    const rest = this.pattern.slice(this.at);
    const opens = () => {
      this.open.push(this.at);
      this.prev = 'none';
    };
    const named = /^\(\?P<([^>]*)>/.exec(rest);
    if (named) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(named[1])) this.fail(`bad character in group name '${named[1]}'`);
      this.groups += 1;
      this.names.add(named[1]);
      opens();
      return this.emit(`(?<${named[1]}>`, named[0].length);
    }
    const backref = /^\(\?P=([^)]*)\)/.exec(rest);
    if (backref) {
      if (!this.names.has(backref[1])) this.fail(`unknown group name '${backref[1]}'`);
      this.prev = 'atom';
      return this.emit(`\\k<${backref[1]}>`, backref[0].length);
    }
    const comment = /^\(\?#[^)]*\)/.exec(rest);
    if (comment) return this.emit('', comment[0].length);
    const scoped = /^\(\?[aimsux]*(?:-[imsx]+)?:/.exec(rest);
    if (scoped) {
      opens();
      return this.emit('(?:', scoped[0].length);
    }
    if (/^\(\?[aimsux]+\)/.test(rest)) this.fail('global flags not at the start of the expression');
    if (rest.startsWith('(?>')) {
      opens();
      return this.emit('(?:', 3);
    }
    if (/^\(\?(?:[:=!]|<[=!])/.test(rest)) {
      opens();
      return this.emit('(?', 2);
    }
    this.fail(`unknown extension ${rest.slice(1, 4)}`);
  }
}
