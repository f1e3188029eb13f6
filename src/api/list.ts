// Listing as Octavia does it: filters on any attribute, tag filters, sorting (`sort` or
// `sort_key`/`sort_dir`, then created_at and id), marker/limit pagination with
// `<resource>_links`, and `fields` selection. Works on wire objects, so every resource's
// list handler is one call.
import { FulcrumError } from '../domain/errors.ts';

export type Query = Record<string, string | string[] | undefined>;
type WireObject = Record<string, unknown>;

const AUXILIARY = new Set(['limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'fields', 'page_reverse']);
const TAG_FILTERS = ['tags', 'tags-any', 'not-tags', 'not-tags-any'] as const;
export const MAX_PAGE = 1000;

export interface ListOptions {
  /** Path of the request without the query, for the links (e.g. http://host/v2/lbaas/pools). */
  url: string;
  /** Wire names that may be filtered on but are not in the wire object, mapped to a getter. */
  extraFilters?: Record<string, (item: WireObject) => unknown>;
}

export interface Page {
  items: WireObject[];
  links: { href: string; rel: string }[];
}

const bad = (message: string) => new FulcrumError('Validation', message);

export function paginate(all: WireObject[], query: Query, opts: ListOptions): Page {
  const filtered = applyFilters(all, query, opts);
  const keys = sortKeys(query);
  const sorted = [...filtered].sort((a, b) => compareBy(keys, a, b));
  const limit = parseLimit(query.limit);
  const marker = first(query.marker);
  let window = sorted;
  if (marker !== undefined) {
    const at = sorted.findIndex((x) => x.id === marker);
    const markerItem = at >= 0 ? sorted[at] : all.find((x) => x.id === marker);
    if (!markerItem) throw bad(`Supplied pagination marker '${marker}' is not valid.`);
    const reverse = first(query.page_reverse) === 'True';
    window = sorted.filter((x) => (reverse ? compareBy(keys, x, markerItem) < 0 : compareBy(keys, x, markerItem) > 0));
  }
  const items = limit === undefined ? window : window.slice(0, limit);
  return { items: selectFields(items, query.fields), links: links(items, query, opts.url, limit, marker) };
}

function applyFilters(all: WireObject[], query: Query, opts: ListOptions): WireObject[] {
  let items = all;
  for (const [key, raw] of Object.entries(query)) {
    if (raw === undefined || AUXILIARY.has(key) || (TAG_FILTERS as readonly string[]).includes(key)) continue;
    const wanted = Array.isArray(raw) ? raw : [raw];
    const name = key === 'loadbalancer_id' && !(all[0] && key in all[0]) ? 'load_balancer_id' : key;
    const getter = opts.extraFilters?.[name] ?? (name in (all[0] ?? {}) || all.length === 0 ? (x: WireObject) => x[name] : undefined);
    if (!getter) throw bad('One or more arguments are either duplicate or invalid');
    items = items.filter((x) => wanted.some((w) => matches(getter(x), w)));
  }
  const tags = (k: string) => (query[k] === undefined ? undefined : [query[k]].flat().flatMap((v) => (v ?? '').split(',')));
  const all_ = tags('tags');
  const any = tags('tags-any');
  const notAll = tags('not-tags');
  const notAny = tags('not-tags-any');
  const has = (x: WireObject, t: string) => Array.isArray(x.tags) && x.tags.includes(t);
  if (all_) items = items.filter((x) => all_.every((t) => has(x, t)));
  if (any) items = items.filter((x) => any.some((t) => has(x, t)));
  if (notAll) items = items.filter((x) => !notAll.every((t) => has(x, t)));
  if (notAny) items = items.filter((x) => !notAny.some((t) => has(x, t)));
  return items;
}

function matches(value: unknown, wanted: string): boolean {
  if (typeof value === 'boolean') return value === ['true', 't', 'yes', 'y', 'on', '1'].includes(wanted.toLowerCase());
  if (typeof value === 'number') return value === Number(wanted);
  if (value === null || value === undefined) return wanted === '' || wanted === 'None';
  if (Array.isArray(value)) return value.some((v) => (typeof v === 'object' && v ? (v as WireObject).id === wanted : String(v) === wanted));
  return String(value) === wanted;
}

type SortKey = [string, 'asc' | 'desc'];

function sortKeys(query: Query): SortKey[] {
  const dir = (d: string): 'asc' | 'desc' => {
    const lower = d.toLowerCase();
    if (lower !== 'asc' && lower !== 'desc') throw bad(`Supplied sort direction '${lower}' is not valid.`);
    return lower;
  };
  const keys: SortKey[] = [];
  const sort = first(query.sort);
  const sortKey = first(query.sort_key);
  if (sort) {
    for (const part of sort.split(',')) {
      const comps = part.split(':');
      if (comps.length > 2) throw bad(`Supplied sort key '${part}' is not valid.`);
      keys.push([comps[0], comps.length === 2 ? dir(comps[1]) : 'asc']);
    }
  } else if (sortKey) {
    const dirs = (first(query.sort_dir) ?? '').split(',').filter(Boolean);
    sortKey.split(',').forEach((k, i) => keys.push([k, dir(dirs[i] ?? 'asc')]));
  }
  for (const k of ['created_at', 'id']) if (!keys.some(([key]) => key === k)) keys.push([k, 'asc']);
  return keys;
}

function compareBy(keys: SortKey[], a: WireObject, b: WireObject): number {
  for (const [key, d] of keys) {
    if (!(key in a) && !(key in b) && key !== 'created_at') throw bad(`Supplied sort key '${key}' is not valid.`);
    const c = compareValues(a[key], b[key]);
    if (c !== 0) return d === 'asc' ? c : -c;
  }
  return 0;
}

function compareValues(a: unknown, b: unknown): number {
  const x = a ?? '';
  const y = b ?? '';
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  const sx = typeof x === 'object' ? JSON.stringify(x) : String(x);
  const sy = typeof y === 'object' ? JSON.stringify(y) : String(y);
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}

function parseLimit(raw: string | string[] | undefined): number | undefined {
  const value = first(raw);
  if (value === undefined) return MAX_PAGE;
  if (value === 'infinite') return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(value)) throw bad(`Supplied pagination limit '${value}' is not valid.`);
  const n = Number(value);
  return n < 1 ? undefined : Math.min(n, MAX_PAGE);
}

/** Parses `fields=a,b` or repeated `fields=`: the list of attribute names to keep, or undefined. */
export function parseFields(raw: string | string[] | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  return [raw].flat().flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean);
}

export function selectFields(items: WireObject[], raw: string | string[] | undefined): WireObject[] {
  const fields = parseFields(raw);
  if (!fields) return items;
  return items.map((item) => Object.fromEntries(Object.entries(item).filter(([k]) => fields.includes(k))));
}

function links(items: WireObject[], query: Query, url: string, limit: number | undefined, marker: string | undefined) {
  const out: { href: string; rel: string }[] = [];
  if (items.length === 0) return out;
  const base = [`limit=${limit ?? 'None'}`];
  const sort = first(query.sort);
  const sortKey = first(query.sort_key);
  if (sort) base.push(`sort=${sort}`);
  if (sortKey) base.push(`sort_key=${sortKey}`);
  if (marker !== undefined) {
    out.push({ href: `${url}?${[...base, `marker=${String(items[0].id)}`, 'page_reverse=True'].join('&')}`, rel: 'previous' });
  }
  if (limit !== undefined && items.length >= limit) {
    out.push({ href: `${url}?${[...base, `marker=${String(items[items.length - 1].id)}`].join('&')}`, rel: 'next' });
  }
  return out;
}

function first(raw: string | string[] | undefined): string | undefined {
  return Array.isArray(raw) ? raw[raw.length - 1] : raw;
}
