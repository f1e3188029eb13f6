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
/** Octavia checks limit and sort directions in its HTTP layer, whose 400 is not a fault body. */
const badQuery = (message: string) => new FulcrumError('BadQuery', message);

/**
 * Attributes some Octavia object sorts by. An empty list has no object to check a sort key
 * against, yet Octavia (which checks its model's columns) still refuses an unknown one.
 */
const SORTABLE = new Set([
  'action', 'address', 'admin_state_up', 'allowed_cidrs', 'availability_zone', 'availability_zone_profile_id',
  'backup', 'cert_busy', 'cert_expiration', 'compare_type', 'compute_flavor', 'compute_id', 'connection_limit',
  'created_at', 'default_pool_id', 'delay', 'description', 'domain_name', 'enabled', 'expected_codes',
  'flavor_id', 'flavor_profile_id', 'ha_ip', 'ha_port_id', 'http_method', 'http_version', 'id', 'image_id',
  'invert', 'key', 'lb_algorithm', 'lb_network_ip', 'listener_id', 'load_balancer_id', 'loadbalancer_id',
  'max_retries', 'max_retries_down', 'monitor_address', 'monitor_port', 'name', 'operating_status', 'pool_id',
  'position', 'project_id', 'protocol', 'protocol_port', 'provider', 'provider_name', 'provisioning_status',
  'redirect_http_code', 'redirect_pool_id', 'redirect_prefix', 'redirect_url', 'role', 'status', 'subnet_id',
  'timeout', 'timeout_client_data', 'timeout_member_connect', 'timeout_member_data', 'timeout_tcp_inspect',
  'tls_enabled', 'type', 'updated_at', 'url_path', 'value', 'vip_address', 'vip_network_id', 'vip_port_id',
  'vip_qos_policy_id', 'vip_subnet_id', 'vrrp_id', 'vrrp_interface', 'vrrp_ip', 'vrrp_port_id', 'vrrp_priority', 'weight',
]);

export function paginate(all: WireObject[], query: Query, opts: ListOptions): Page {
  const filtered = applyFilters(all, query, opts);
  const keys = sortKeys(query);
  if (filtered.length === 0) {
    for (const [key] of keys) if (key !== CREATION_ORDER && !SORTABLE.has(key)) throw bad(`Supplied sort key '${key}' is not valid.`);
  }
  // The wire's created_at has whole seconds, as Octavia's; objects created in the same second
  // keep the order the handler gave (inCreationOrder) before falling to ids.
  const rank = new Map(all.map((x, i) => [x, i]));
  const compare = (a: WireObject, b: WireObject) => compareBy(keys, a, b, rank);
  const sorted = [...filtered].sort(compare);
  const limit = parseLimit(query.limit);
  const marker = first(query.marker);
  let window = sorted;
  if (marker !== undefined) {
    const at = sorted.findIndex((x) => x.id === marker);
    const markerItem = at >= 0 ? sorted[at] : all.find((x) => x.id === marker);
    if (!markerItem) throw bad(`Supplied pagination marker '${marker}' is not valid.`);
    const reverse = first(query.page_reverse) === 'True';
    window = sorted.filter((x) => (reverse ? compare(x, markerItem) < 0 : compare(x, markerItem) > 0));
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
/** The pseudo sort key for the order objects came from the store in (their creation order). */
const CREATION_ORDER = '\0creation';

function sortKeys(query: Query): SortKey[] {
  const dir = (d: string): 'asc' | 'desc' => {
    const lower = d.toLowerCase();
    if (lower !== 'asc' && lower !== 'desc') throw badQuery(`Supplied sort direction '${lower}' is not valid.`);
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
  if (!keys.some(([key]) => key === 'created_at')) keys.push(['created_at', 'asc'], [CREATION_ORDER, 'asc']);
  if (!keys.some(([key]) => key === 'id')) keys.push(['id', 'asc']);
  return keys;
}

function compareBy(keys: SortKey[], a: WireObject, b: WireObject, rank: Map<WireObject, number>): number {
  for (const [key, d] of keys) {
    if (!(key in a) && !(key in b) && key !== 'created_at' && key !== CREATION_ORDER) throw bad(`Supplied sort key '${key}' is not valid.`);
    const c = key === CREATION_ORDER ? (rank.get(a) ?? 0) - (rank.get(b) ?? 0) : compareValues(a[key], b[key]);
    if (c !== 0) return d === 'asc' ? c : -c;
  }
  return 0;
}

function compareValues(a: unknown, b: unknown): number {
  const x = a ?? '';
  const y = b ?? '';
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  // Octavia sorts in the database, whose default collation (MySQL's *_general_ci) ignores case.
  const sx = (typeof x === 'object' ? JSON.stringify(x) : String(x)).toUpperCase();
  const sy = (typeof y === 'object' ? JSON.stringify(y) : String(y)).toUpperCase();
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}

function parseLimit(raw: string | string[] | undefined): number | undefined {
  const value = first(raw);
  if (value === undefined) return MAX_PAGE;
  if (value === 'infinite') return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(value)) throw badQuery(`Supplied pagination limit '${value}' is not valid.`);
  const n = Number(value);
  return n < 1 ? undefined : Math.min(n, MAX_PAGE);
}

/**
 * Rows by their exact creation time (the store keeps milliseconds), so that a list sorted by
 * created_at, whose wire value has whole seconds, still shows same-second objects in the
 * order they were made, as Octavia's slower writes nearly always do.
 */
export function inCreationOrder<T>(rows: T[], createdAt: (row: T) => string): T[] {
  return [...rows].sort((a, b) => {
    const x = createdAt(a);
    const y = createdAt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
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
