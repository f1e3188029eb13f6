// How a value reaches HAProxy's configuration as exactly one word, unchanged.
//
// HAProxy 2.6 cuts each line into words itself (configuration.txt §2.2): a space ends a word,
// '#' starts a comment, quotes and backslashes are syntax, and "$VAR" inside double quotes is
// an environment variable. A tenant's value (an L7 rule value, a URL, a header name, a health
// check path...) must never be able to end its word, its line or its quote, or to start a
// comment. So configWord() writes every byte outside a small safe set as an escape: the
// output is printable ASCII, every quote and backslash in it is escaped, and HAProxy reads it
// back as the original bytes. ('$' names an environment variable only inside double quotes,
// which never occur here; measured on 2.6.12, an unquoted "\$" would stay "\$", so '$' is
// written as itself. "\xNN" works unquoted for any byte.)
import { isIpv4, isIpv6 } from '../domain/l7-syntax.ts';

/** The renderer refuses a graph that no correct configuration can express. */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

// Characters HAProxy's line parser treats as ordinary inside an unquoted word.
const SAFE = /^[A-Za-z0-9_.,:;/@!$%&*+=?^|~()[\]{}<>`-]$/;
// Escapes HAProxy documents for the characters that are syntax, kept for readability.
const NAMED: Record<string, string> = { ' ': '\\ ', '#': '\\#', '\\': '\\\\', "'": "\\'", '"': '\\"' };
const utf8 = new TextEncoder();

/** One configuration word that HAProxy parses back to exactly `value`. */
export function configWord(value: string): string {
  if (value === '') return '""';
  // A NUL byte would silently cut the word short inside HAProxy: refuse it instead.
  if (value.includes('\0')) throw new RenderError('a configuration value contains a NUL character');
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) out += ch;
    else if (NAMED[ch] !== undefined) out += NAMED[ch];
    else for (const byte of utf8.encode(ch)) out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/**
 * An argument of a sample fetch, e.g. the header name in req.fhdr(<name>). HAProxy parses
 * such arguments a second time, where ',' and ')' end the argument: a double-quoted argument
 * with '\' and '"' escaped is read back unchanged. Combine with configWord for the line level.
 */
export function fetchArgument(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A sample fetch with one string argument, as one configuration word: `req.fhdr("X-Name")`. */
export function fetchWord(fetch: string, argument: string): string {
  return configWord(`${fetch}(${fetchArgument(argument)})`);
}

/**
 * A literal inside a log-format string (http-request redirect location, http-check send hdr
 * values): '%' starts a sample expression there, so it is doubled.
 */
export function logFormatWord(value: string): string {
  return configWord(value.replace(/%/g, '%%'));
}

// Object ids become proxy, server and ACL names. They are UUIDs written by Fulcrum; anything
// else means the graph is corrupt, and guessing a safe spelling would hide it.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** An object id checked to be usable as an HAProxy name as it is. */
export function safeName(id: string, what: string): string {
  if (!NAME.test(id)) throw new RenderError(`${what} id ${JSON.stringify(id)} cannot name an HAProxy object`);
  return id;
}

/** An IP literal checked and formatted for `<address>:<port>` (IPv6 in brackets). */
export function hostPort(address: string, port: number, what: string): string {
  checkPort(port, what);
  if (isIpv4(address) || isIpv6(address)) return `${bracketed(address)}:${port}`;
  throw new RenderError(`${what} address ${JSON.stringify(address)} is not an IP address`);
}

/** An IP literal as HAProxy reads one alone: IPv6 in brackets, or its last group is taken for a port. */
export function bracketed(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** An IP address alone (monitor_address), checked. */
export function ipAddress(address: string, what: string): string {
  if (isIpv4(address) || isIpv6(address)) return address;
  throw new RenderError(`${what} address ${JSON.stringify(address)} is not an IP address`);
}

export function checkPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RenderError(`${what} port ${port} is out of range`);
  return port;
}

/** A CIDR (allowed_cidrs) checked to be an IP network, so it can stand as an ACL pattern. */
export function cidr(value: string): string {
  const [address, prefix, extra] = value.split('/');
  const max = isIpv4(address) ? 32 : isIpv6(address) ? 128 : -1;
  const bits = Number(prefix);
  if (extra !== undefined || max < 0 || !/^\d{1,3}$/.test(prefix ?? '') || bits > max) {
    throw new RenderError(`allowed CIDR ${JSON.stringify(value)} is not an IP network`);
  }
  return value;
}
