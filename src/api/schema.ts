// The wire schema language of the API edge: each resource folder declares its POST and PUT
// bodies with these field types, and `parseBody` turns a JSON body into a typed object or
// an Octavia-style 400. Coercions follow Octavia's (WSME) rules: integer strings become
// integers, "true"/"false"-like strings become booleans, null means "not given".
import { isIP } from 'node:net';
import { Errors } from '../domain/errors.ts';
import { pyRepr, pyStr } from '../domain/pyformat.ts';

export interface Field<T = unknown> {
  /** Converts a present, non-null JSON value, or throws Invalid with a reason. */
  parse(value: unknown, path: string): T;
  mandatory?: boolean;
  default?: () => T;
}

export class Invalid extends Error {}

/**
 * A value that cannot be converted to the field's type at all (not a list, not a boolean,
 * not an integer). WSME reports these against the whole request body under the argument's
 * name, not against the field, so they travel separately.
 */
export class Unconvertible extends Invalid {}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const TRUE = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', 'off', '0']);

function field<T>(parse: (value: unknown, path: string) => T): Field<T> {
  return { parse };
}

export const t = {
  string: (opts: { max?: number; min?: number } = {}) => field<string>((v) => {
    if (typeof v !== 'string') throw new Invalid('Value should be string');
    if (opts.max !== undefined && v.length > opts.max) throw new Invalid(`Value should have a maximum character requirement of ${opts.max}`);
    if (opts.min !== undefined && v.length < opts.min) throw new Invalid(`Value should have a minimum character requirement of ${opts.min}`);
    return v;
  }),
  int: (opts: { min?: number; max?: number } = {}) => field<number>((v) => {
    let n: number;
    if (typeof v === 'number' && Number.isInteger(v)) n = v;
    else if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) n = Number(v);
    else if (typeof v === 'string') throw new Unconvertible(`invalid literal for int() with base 10: ${pyRepr(v)}`);
    else throw new Invalid(`Wrong type. Expected 'int', got '${jsonType(v)}'`);
    if (opts.min !== undefined && n < opts.min) throw new Invalid(`Value should be greater or equal to ${opts.min}`);
    if (opts.max !== undefined && n > opts.max) throw new Invalid(`Value should be lower or equal to ${opts.max}`);
    return n;
  }),
  float: (allowed: readonly number[]) => field<number>((v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!allowed.includes(n)) throw new Invalid(`Value should be one of: ${allowed.map((a) => a.toFixed(1)).join(', ')}`);
    return n;
  }),
  bool: () => field<boolean>((v) => {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'string' && TRUE.has(v.toLowerCase())) return true;
    if (typeof v === 'string' && FALSE.has(v.toLowerCase())) return false;
    throw new Unconvertible(`Value not an unambiguous boolean: ${pyStr(v)}`);
  }),
  uuid: () => field<string>((v) => {
    if (typeof v !== 'string' || !UUID.test(v)) throw new Invalid('Value should be UUID format');
    return canonicalUuid(v);
  }),
  enum: <const E extends readonly string[]>(values: E) => field<E[number]>((v) => {
    if (typeof v !== 'string' || !values.includes(v)) throw new Invalid(`Value should be one of: ${[...values].sort().join(', ')}`);
    return v as E[number];
  }),
  intEnum: (values: readonly number[]) => field<number>((v) => {
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !values.includes(n)) throw new Invalid(`Value should be one of: ${values.join(', ')}`);
    return n;
  }),
  ip: () => field<string>((v) => {
    if (typeof v !== 'string' || isIP(v) === 0) throw new Invalid('Value should be IPv4 or IPv6 format');
    return v;
  }),
  cidr: () => field<string>((v) => {
    if (typeof v !== 'string' || !isCidr(v)) throw new Invalid('Value should be IPv4 or IPv6 CIDR format');
    return v;
  }),
  array: <T>(item: Field<T>, opts: { unique?: boolean } = {}) => field<T[]>((v, path) => {
    if (!Array.isArray(v)) throw new Unconvertible(`Value not a valid list: ${pyStr(v)}`);
    const out = v.map((x) => {
      if (x === null) throw new Invalid('Value should not contain null');
      return item.parse(x, path);
    });
    return opts.unique ? [...new Set(out)] : out;
  }),
  dict: () => field<Record<string, string>>((v) => {
    if (!isObject(v)) throw new Unconvertible(`Value not a valid dict: ${pyStr(v)}`);
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'string') throw new Invalid(`Wrong type. Expected '{str: str}', got '${jsonType(x)}' for ${k}`);
    }
    return v as Record<string, string>;
  }),
  /** Any JSON object, validated later by whoever owns its shape (the graph create's children). */
  raw: () => field<Record<string, unknown>>((v) => {
    if (!isObject(v)) throw new Invalid(`Wrong type. Expected an object, got '${jsonType(v)}'`);
    return v;
  }),
  /** A nested object; `path` is its place in the body for unknown-attribute messages. */
  object: <S extends Shape>(shape: S) => field<Parsed<S>>((v, path) => parseObject(shape, v, path)),
};

export type Shape = Record<string, Field<any>>;
export type Parsed<S extends Shape> = { [K in keyof S]: S[K] extends Field<infer T> ? T | undefined : never };

/** Marks a field mandatory. */
export function required<T>(f: Field<T>): Field<T> {
  return { ...f, mandatory: true };
}

/** Gives a field a default used when the body leaves it out (or sends null). */
export function withDefault<T>(f: Field<T>, value: T | (() => T)): Field<T> {
  return { ...f, default: typeof value === 'function' ? (value as () => T) : () => structuredClone(value) };
}

/**
 * The name Octavia's controller gives the body argument of each wrapper: WSME prefixes it to
 * unknown-attribute paths and reports unconvertible values against it.
 */
const ARGUMENT: Record<string, string> = {
  loadbalancer: 'load_balancer', listener: 'listener_', pool: 'pool_', member: 'member_',
  members: 'members_', healthmonitor: 'health_monitor_', l7policy: 'l7policy_', rule: 'rule_',
  quota: 'quotas', flavor: 'flavor_', flavorprofile: 'flavor_profile_',
  availability_zone: 'availability_zone_', availability_zone_profile: 'availability_zone_profile_',
};

/**
 * Parses `{wrapper: {...}}`, the shape of every Octavia request body. `argument` overrides
 * the controller argument name where one wrapper has two (L7 rule PUT says `l7rule_`).
 */
export function parseBody<S extends Shape>(body: unknown, wrapper: string, shape: S, argument?: string): Parsed<S> {
  if (!isObject(body)) throw Errors.validation('Request must be a JSON dict');
  const root = { [wrapper]: required(t.object(shape)) } as Shape;
  return parseRoot(body, root, argument ?? ARGUMENT[wrapper] ?? wrapper)[wrapper] as Parsed<S>;
}

/** Parses a whole body against its root shape, turning field failures into Octavia's 400s. */
export function parseRoot<S extends Shape>(body: unknown, shape: S, argument: string): Parsed<S> {
  return withFaults(() => parseObject(shape, body, argument), { argument, body });
}

/**
 * Parses one nested object of a body (e.g. a listener inside a load balancer graph) with the
 * same 400s; `path` is its WSME attribute path (`load_balancer.loadbalancer.listeners`) and
 * `root` the whole request, which unconvertible values are reported against.
 */
export function parseAt<S extends Shape>(value: unknown, path: string, shape: S, root?: { argument: string; body: unknown }): Parsed<S> {
  return withFaults(() => parseObject(shape, value, path), root);
}

function withFaults<T>(parse: () => T, root?: { argument: string; body: unknown }): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof FieldError)) throw err;
    if (err.unknown) throw Errors.unknownAttribute(err.unknown, err.field);
    if (err.unconvertible && root) throw Errors.invalidField(root.argument, root.body, err.message);
    throw Errors.invalidField(err.field, err.value, err.message);
  }
}

/** The same shape with no field mandatory (name-only references in a graph create). */
export function optional<S extends Shape>(shape: S): S {
  return Object.fromEntries(Object.entries(shape).map(([k, f]) => [k, { ...f, mandatory: false }])) as S;
}

class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    message: string,
    readonly unconvertible = false,
    /** names of unknown attributes; `field` is then the object's path */
    readonly unknown?: string[],
  ) {
    super(message);
  }
}

function parseObject<S extends Shape>(shape: S, value: unknown, path: string): Parsed<S> {
  if (!isObject(value)) throw new FieldError(leaf(path), value, `Wrong type. Expected an object, got '${jsonType(value)}'`);
  const unknown = Object.keys(value).filter((k) => !(k in shape));
  if (unknown.length > 0) throw new FieldError(path, unknown, 'Unknown attribute', false, unknown);
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(shape)) {
    const v = value[name];
    if (v === undefined || v === null) {
      if (f.mandatory) throw new FieldError(name, v ?? null, 'Mandatory field missing.');
      out[name] = v === null && !f.default ? null : f.default ? f.default() : undefined;
      continue;
    }
    try {
      out[name] = f.parse(v, `${path}.${name}`);
    } catch (err) {
      if (err instanceof Invalid) throw new FieldError(name, v, err.message, err instanceof Unconvertible);
      throw err;
    }
  }
  return out as Parsed<S>;
}

/** The last attribute of a WSME path (`a.b.c` → `c`). */
function leaf(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function canonicalUuid(v: string): string {
  const hex = v.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function isUuid(v: string): boolean {
  return UUID.test(v);
}

function isCidr(v: string): boolean {
  const [addr, len, ...rest] = v.split('/');
  if (rest.length > 0 || len === undefined || !/^\d{1,3}$/.test(len)) return false;
  const family = isIP(addr);
  return family !== 0 && Number(len) <= (family === 4 ? 32 : 128);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'str';
  return 'dict';
}
