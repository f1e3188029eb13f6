/**
 * Side-by-side API comparison: replays recorded request sequences against two
 * Octavia-compatible endpoints (or one endpoint and a recording) and diffs the
 * responses field by field.
 *
 *   npx tsx tools/sidebyside/run.ts --a http://127.0.0.1:9876 --b http://127.0.0.1:9877
 *   npx tsx tools/sidebyside/run.ts --a http://127.0.0.1:9876 --b recorded
 *   npx tsx tools/sidebyside/run.ts --a http://127.0.0.1:9877 --b http://127.0.0.1:9877 --record
 *
 * See tools/sidebyside/README.md for the sequence format and the diff rules.
 * Differences are reported, not failures: exit 0 unless a usage error, or with
 * --strict exit 1 when there is any non-message difference.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const SEQ_DIR = join(HERE, 'sequences');
const REC_DIR = join(HERE, 'recorded');
const DEFAULT_SUBNET = '5f0e8a1c-3b5d-4c7e-9a2b-1d4f6e8c0a11';

// ---------------------------------------------------------------- types

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Step {
  /** name under which the response is kept for {name.path} placeholders */
  name?: string;
  /** free text printed next to differences of this step */
  note?: string;
  method?: string;
  path?: string;
  headers?: Record<string, string | null>;
  body?: Json;
  /** sent verbatim instead of JSON.stringify(body) (bad JSON tests) */
  rawBody?: string;
  /** project key for X-Project-Id ({project:<key>}); default: the sequence's */
  project?: string;
  /** expected status (only used to warn while writing sequences) */
  expect?: number;
  /** JSON-path globs not to compare for this step */
  ignore?: string[];
  /** JSON-path globs of arrays compared as multisets (order-insensitive) */
  unordered?: string[];
  /** false: run the step but do not compare its response */
  compare?: boolean;
  /** poll this path until provisioning_status == until (or 404 for "gone") */
  wait?: string;
  until?: string;
  /** seconds, for wait steps */
  timeout?: number;
  /** milliseconds to sleep */
  sleep?: number;
  /**
   * true: sent right after the previous request step, without awaiting its answer (a write
   * that must meet the previous write's PENDING_* state); placeholders only from earlier steps
   */
  concurrent?: boolean;
  /** milliseconds between the previous request and this concurrent one (default 0) */
  stagger?: number;
}

interface Sequence {
  name: string;
  description?: string;
  /** default project key: X-Project-Id becomes sbs-<key>-<nonce> */
  project?: string;
  ignore?: string[];
  unordered?: string[];
  steps: Step[];
}

interface StepResult {
  index: number;
  name?: string;
  kind: 'request' | 'wait' | 'sleep';
  method?: string;
  /** normalised request path (nonce and UUIDs masked) */
  path?: string;
  /** HTTP status; 0 = transport error; -1 = not run (unresolved placeholder) */
  status: number;
  contentType?: string;
  body?: Json;
  text?: string;
  /** wait outcome: ok | timeout | ERROR | http-<status> | skipped */
  outcome?: string;
  ms: number;
  error?: string;
}

interface SideRun {
  label: string;
  base: string;
  results: StepResult[];
}

interface Difference {
  step: number;
  path: string;
  a: unknown;
  b: unknown;
  message: boolean;
}

// ---------------------------------------------------------------- args

interface Options {
  a: string;
  b: string;
  record: boolean;
  strict: boolean;
  verbose: boolean;
  quiet: boolean;
  only: string[];
  jobs: number;
  subnetA: string;
  subnetB: string;
  waitTimeout: number;
  /** JSON-path globs ignored in every sequence (e.g. provider, when the sides run different providers) */
  ignore: string[];
  /** ms between a trigger and its concurrent probe on each side, overriding the steps' `stagger` */
  staggerA?: number;
  staggerB?: number;
  json?: string;
}

function usage(msg?: string): never {
  if (msg) process.stderr.write(`sidebyside: ${msg}\n`);
  process.stderr.write(
    'usage: npx tsx tools/sidebyside/run.ts --a URL --b URL|recorded [--record] [--strict]\n' +
      '         [--seq NAME[,NAME...]] [--jobs N] [--subnet UUID] [--subnet-a UUID] [--subnet-b UUID]\n' +
      '         [--wait-timeout SECONDS] [--ignore GLOB[,GLOB...]] [--stagger-a MS] [--stagger-b MS]\n' +
      '         [--verbose] [--quiet] [--json FILE]\n',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    a: '',
    b: '',
    record: false,
    strict: false,
    verbose: false,
    quiet: false,
    only: [],
    jobs: 1,
    subnetA: process.env.SBS_SUBNET ?? DEFAULT_SUBNET,
    subnetB: process.env.SBS_SUBNET ?? DEFAULT_SUBNET,
    waitTimeout: 90,
    ignore: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--a': o.a = val(); break;
      case '--b': o.b = val(); break;
      case '--record': o.record = true; break;
      case '--strict': o.strict = true; break;
      case '--verbose': case '-v': o.verbose = true; break;
      case '--quiet': case '-q': o.quiet = true; break;
      case '--seq': o.only.push(...val().split(',').filter(Boolean)); break;
      case '--jobs': o.jobs = Math.max(1, Math.min(8, Number(val()) || 1)); break;
      case '--subnet': o.subnetA = o.subnetB = val(); break;
      case '--subnet-a': o.subnetA = val(); break;
      case '--subnet-b': o.subnetB = val(); break;
      case '--wait-timeout': o.waitTimeout = Math.max(1, Number(val()) || 90); break;
      case '--json': o.json = val(); break;
      case '--ignore': o.ignore.push(...val().split(',').filter(Boolean)); break;
      case '--stagger-a': o.staggerA = Math.max(0, Number(val()) || 0); break;
      case '--stagger-b': o.staggerB = Math.max(0, Number(val()) || 0); break;
      case '--help': case '-h': usage();
      // eslint-disable-next-line no-fallthrough
      default: usage(`unknown argument ${arg}`);
    }
  }
  if (!o.a || !o.b) usage('--a and --b are required');
  if (o.a === 'recorded') usage('only --b may be "recorded"');
  for (const u of [o.a, o.b]) {
    if (u !== 'recorded' && !/^https?:\/\/[^/]+/.test(u)) usage(`not a base URL: ${u}`);
  }
  if (o.record && o.b === 'recorded') usage('--record needs a live --b');
  return o;
}

// ---------------------------------------------------------------- helpers

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_ANY_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const IP_RE = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)$/i;
/** keys whose values differ by environment: compared only by kind (null / IP) */
const LOOSE_IP_KEYS = new Set(['vip_address', 'lb_network_ip', 'vrrp_ip', 'ha_ip']);
const IGNORED_KEYS = new Set(['created_at', 'updated_at', 'debuginfo']);
const UNORDERED_KEYS = new Set(['tags']);
const MESSAGE_KEYS = new Set(['faultstring', 'description']);

/** ids embedded in text (fault messages, hrefs) are ids too */
function maskUuids(s: string): string {
  return s.replace(UUID_ANY_RE, '<uuid>');
}

function isObj(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function short(v: unknown, max = 160): string {
  const s = v === undefined ? '<absent>' : JSON.stringify(v);
  return s.length > max ? s.slice(0, max - 3) + '...' : s;
}

class Unresolved extends Error {}

/** the value at a dotted path in a response; descends into the single wrapper key when needed */
function lookup(root: Json | undefined, segs: string[]): Json | undefined {
  let cur: Json | undefined = root;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    if (Array.isArray(cur)) {
      cur = cur[Number(s)];
    } else if (isObj(cur)) {
      if (s in cur) cur = cur[s];
      else {
        const keys = Object.keys(cur);
        if (i === 0 && keys.length >= 1) {
          // {lb.id} -> body.loadbalancer.id: try the first object-valued key
          const wrap = keys.find((k) => isObj(cur && (cur as Record<string, Json>)[k]));
          if (wrap !== undefined && isObj(cur[wrap]) && s in (cur[wrap] as Record<string, Json>)) {
            cur = (cur[wrap] as Record<string, Json>)[s];
            continue;
          }
        }
        return undefined;
      }
    } else return undefined;
  }
  return cur;
}

class Context {
  readonly saved = new Map<string, Json>();
  constructor(
    readonly nonce: string,
    readonly defaultProject: string,
    readonly subnet: string,
  ) {}

  project(key?: string): string {
    return `sbs-${(key ?? this.defaultProject).slice(0, 20)}-${this.nonce}`;
  }

  /** replace {…} placeholders inside a string */
  fill(s: string): string {
    return s.replace(/\{([A-Za-z0-9_:.-]+)\}/g, (_m, expr: string) => {
      const v = this.resolve(expr);
      return typeof v === 'string' ? v : JSON.stringify(v);
    });
  }

  resolve(expr: string): Json {
    if (expr === 'nonce') return this.nonce;
    if (expr === 'subnet') return this.subnet;
    if (expr === 'project') return this.project();
    if (expr.startsWith('project:')) return this.project(expr.slice(8));
    const [name, ...rest] = expr.split('.');
    if (!this.saved.has(name)) throw new Unresolved(`{${expr}}: no step named ${name}`);
    const v = lookup(this.saved.get(name), rest);
    if (v === undefined) throw new Unresolved(`{${expr}}: not in the response of ${name}`);
    return v;
  }

  /** placeholders in a JSON body; a string that is exactly one placeholder keeps the value's type */
  fillJson(v: Json): Json {
    if (typeof v === 'string') {
      const m = /^\{([A-Za-z0-9_:.-]+)\}$/.exec(v);
      if (m) return this.resolve(m[1]);
      return this.fill(v);
    }
    if (Array.isArray(v)) return v.map((x) => this.fillJson(x));
    if (isObj(v)) {
      const out: Record<string, Json> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.fillJson(x);
      return out;
    }
    return v;
  }

  /** mask run-specific strings so that both sides (and recordings) compare equal */
  normalizeString(s: string, key?: string): string {
    let out = s.split(this.nonce).join('<nonce>');
    if (key === 'href') {
      out = out.replace(/^https?:\/\/[^/]+/, '').replace(UUID_ANY_RE, '<uuid>');
    }
    return out;
  }

  normalize(v: Json, key?: string): Json {
    if (typeof v === 'string') return this.normalizeString(v, key);
    if (Array.isArray(v)) return v.map((x) => this.normalize(x, key));
    if (isObj(v)) {
      const out: Record<string, Json> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.normalize(x, k);
      return out;
    }
    return v;
  }
}

// ---------------------------------------------------------------- running

interface HttpResult {
  status: number;
  contentType: string;
  json?: Json;
  text?: string;
  ms: number;
  error?: string;
}

async function http(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<HttpResult> {
  const t0 = performance.now();
  try {
    const res = await fetch(base.replace(/\/+$/, '') + path, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const ms = performance.now() - t0;
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    let json: Json | undefined;
    if (text.length > 0) {
      try {
        json = JSON.parse(text) as Json;
      } catch {
        json = undefined;
      }
    }
    return json === undefined
      ? { status: res.status, contentType, text, ms }
      : { status: res.status, contentType, json, ms };
  } catch (e) {
    return { status: 0, contentType: '', ms: performance.now() - t0, error: String((e as Error).message ?? e) };
  }
}

function buildHeaders(ctx: Context, step: Step, hasBody: boolean): Record<string, string> {
  const h: Record<string, string> = {
    Accept: 'application/json',
    'X-Project-Id': ctx.project(step.project),
  };
  if (hasBody) h['Content-Type'] = 'application/json';
  for (const [k, v] of Object.entries(step.headers ?? {})) {
    for (const existing of Object.keys(h)) if (existing.toLowerCase() === k.toLowerCase()) delete h[existing];
    if (v !== null) h[k] = ctx.fill(v);
  }
  return h;
}

function maskPath(ctx: Context, p: string): string {
  return ctx.normalizeString(p).replace(UUID_ANY_RE, '<uuid>');
}

/** a request step with its placeholders filled, or the reason it cannot be sent */
type Prepared =
  | { ok: true; method: string; path: string; body?: string; headers: Record<string, string> }
  | { ok: false; method: string; error: string };

function prepare(ctx: Context, step: Step): Prepared {
  const method = (step.method ?? 'GET').toUpperCase();
  try {
    const path = ctx.fill(step.path ?? '/');
    let body: string | undefined;
    if (step.rawBody !== undefined) body = step.rawBody;
    else if (step.body !== undefined) body = JSON.stringify(ctx.fillJson(step.body));
    return { ok: true, method, path, body, headers: buildHeaders(ctx, step, body !== undefined) };
  } catch (e) {
    if (!(e instanceof Unresolved)) throw e;
    return { ok: false, method, error: e.message };
  }
}

/** sends a prepared step; the returned promise settles with the step's result */
function send(ctx: Context, base: string, step: Step, index: number, p: Prepared): Promise<StepResult> {
  if (!p.ok) {
    return Promise.resolve({
      index, name: step.name, kind: 'request', method: p.method, path: step.path, status: -1, ms: 0, error: p.error,
    });
  }
  return http(base, p.method, p.path, p.headers, p.body).then((r) => {
    if (step.name && r.json !== undefined) ctx.saved.set(step.name, r.json);
    const res: StepResult = {
      index, name: step.name, kind: 'request', method: p.method,
      path: maskPath(ctx, p.path), status: r.status, contentType: r.contentType, ms: Math.round(r.ms),
    };
    if (r.json !== undefined) res.body = ctx.normalize(r.json);
    if (r.text !== undefined) res.text = ctx.normalizeString(r.text);
    if (r.error) res.error = r.error;
    if (step.expect !== undefined && step.expect !== r.status) {
      res.error = `expected ${step.expect}, got ${r.status}` + (r.json ? ` ${short(r.json, 300)}` : '');
    }
    return res;
  });
}

/** total seconds all wait steps of one sequence may spend, so that a side that never settles cannot stall a run */
const SEQUENCE_WAIT_BUDGET_S = 300;

async function runSequence(
  seq: Sequence, base: string, label: string, subnet: string, waitTimeout: number, stagger?: number,
): Promise<SideRun> {
  const ctx = new Context(randomBytes(4).toString('hex'), seq.project ?? seq.name, subnet);
  const results: StepResult[] = [];
  const waitDeadline = performance.now() + SEQUENCE_WAIT_BUDGET_S * 1000;
  for (let i = 0; i < seq.steps.length; i++) {
    const step = seq.steps[i];
    if (step.sleep !== undefined) {
      await sleep(Math.min(step.sleep, 30_000));
      results.push({ index: i, name: step.name, kind: 'sleep', status: 0, ms: step.sleep });
      continue;
    }
    if (step.wait !== undefined) {
      results.push(await runWait(ctx, base, step, i, waitTimeout, waitDeadline));
      continue;
    }
    const first = send(ctx, base, step, i, prepare(ctx, step));
    const next = seq.steps[i + 1];
    if (next?.concurrent && next.wait === undefined && next.sleep === undefined) {
      // Back to back: the second write leaves before the first one's answer, so it reaches
      // the server while the first write's PENDING_* state still holds, however fast the
      // backend settles. It can only use placeholders of earlier steps.
      await sleep(stagger ?? next.stagger ?? 0);
      const second = send(ctx, base, next, i + 1, prepare(ctx, next));
      results.push(...(await Promise.all([first, second])));
      i++;
      continue;
    }
    results.push(await first);
  }
  return { label, base, results };
}

async function runWait(
  ctx: Context, base: string, step: Step, index: number, waitTimeout: number, budgetDeadline: number,
): Promise<StepResult> {
  const until = step.until ?? 'ACTIVE';
  let path: string;
  try {
    path = ctx.fill(step.wait ?? '');
  } catch (e) {
    if (!(e instanceof Unresolved)) throw e;
    return { index, name: step.name, kind: 'wait', status: -1, outcome: 'skipped', ms: 0, error: e.message };
  }
  const t0 = performance.now();
  const deadline = Math.min(t0 + Math.min(step.timeout ?? waitTimeout, 600) * 1000, budgetDeadline);
  const headers = buildHeaders(ctx, step, false);
  let last = '';
  for (let n = 0; n < 10_000 && performance.now() < deadline; n++) {
    const r = await http(base, 'GET', path, headers);
    const ms = Math.round(performance.now() - t0);
    if (r.status === 404 && until === 'gone') {
      return { index, name: step.name, kind: 'wait', path: maskPath(ctx, path), status: 404, outcome: 'ok', ms };
    }
    if (r.status === 200) {
      const ps = lookup(r.json, ['provisioning_status']);
      last = String(ps);
      if (ps === until || (until === 'gone' && ps === 'DELETED')) {
        return { index, name: step.name, kind: 'wait', path: maskPath(ctx, path), status: 200, outcome: 'ok', ms };
      }
      // ERROR and DELETED are final: no later poll can reach `until` (only `gone` expects DELETED)
      if (ps === 'ERROR' || ps === 'DELETED') {
        return { index, name: step.name, kind: 'wait', path: maskPath(ctx, path), status: 200, outcome: ps, ms };
      }
    } else {
      // Any other answer ends the wait, 404 included: an object that the API created is
      // visible at once (Octavia and Fulcrum alike), so a 404 while waiting for ACTIVE means
      // it is gone and polling on would only burn the timeout.
      return {
        index, name: step.name, kind: 'wait', path: maskPath(ctx, path), status: r.status,
        outcome: `http-${r.status}`, ms, error: r.error,
      };
    }
    await sleep(n < 20 ? 50 : 200);
  }
  return {
    index, name: step.name, kind: 'wait', path: maskPath(ctx, path), status: 0, outcome: 'timeout',
    ms: Math.round(performance.now() - t0), error: `still ${last} after ${Math.round((performance.now() - t0) / 1000)}s`
      + (deadline === budgetDeadline ? ` (the sequence's ${SEQUENCE_WAIT_BUDGET_S}s wait budget is spent)` : ''),
  };
}

// ---------------------------------------------------------------- diffing

function globToRegex(pattern: string): RegExp {
  if (!/[.$[]/.test(pattern)) pattern = `**.${pattern}`; // bare key: anywhere
  if (!pattern.startsWith('$')) pattern = `$.${pattern}`;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (pattern.startsWith('[*]', i)) { re += '\\[\\d+\\]'; i += 2; }
    else if (pattern.startsWith('**.', i)) { re += '(?:.*\\.)?'; i += 2; }
    else if (pattern.startsWith('**', i)) { re += '.*'; i += 1; }
    else if (c === '*') re += '[^.\\[\\]]*';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** keys that identify an element of an unordered array: they lead its sort order */
const IDENTITY_KEYS = ['name', 'type', 'protocol', 'protocol_port', 'address', 'action', 'compare_type', 'key', 'value', 'position'];

/**
 * an order-independent identity for an array element: ids and timestamps masked, identifying
 * keys first and the rest sorted, so that elements pair up by what they are even when one
 * side differs in some other field
 */
function canonical(v: Json | undefined): string {
  const walk = (x: Json | undefined, key?: string): Json | undefined => {
    if (typeof x === 'string') return UUID_RE.test(x) ? '<uuid>' : x;
    if (Array.isArray(x)) return x.map((y) => walk(y, key) ?? null);
    if (isObj(x)) {
      const out: Record<string, Json> = {};
      const keys = Object.keys(x);
      const leading = IDENTITY_KEYS.filter((k) => keys.includes(k));
      for (const k of [...leading, ...keys.filter((k) => !leading.includes(k)).sort()]) {
        if (IGNORED_KEYS.has(k)) continue;
        out[k] = walk(x[k], k) ?? null;
      }
      return out;
    }
    return x;
  };
  return JSON.stringify(walk(v) ?? null);
}

class Differ {
  readonly diffs: Difference[] = [];
  constructor(
    private readonly step: number,
    private readonly ignore: RegExp[],
    private readonly unordered: RegExp[] = [],
  ) {}

  private ignored(path: string): boolean {
    return this.ignore.some((r) => r.test(path));
  }

  add(path: string, a: unknown, b: unknown, message = false): void {
    if (!this.ignored(path)) this.diffs.push({ step: this.step, path, a, b, message });
  }

  deep(path: string, a: Json | undefined, b: Json | undefined, key?: string): void {
    if (this.ignored(path)) return;
    if (key !== undefined && IGNORED_KEYS.has(key)) return;
    if (a === undefined || b === undefined) {
      if (a !== b) this.add(path, a, b);
      return;
    }
    if (typeof a === 'string' && typeof b === 'string') {
      if (a === b) return;
      if (UUID_RE.test(a) && UUID_RE.test(b)) return;
      if (maskUuids(a) === maskUuids(b)) return;
      if (key !== undefined && LOOSE_IP_KEYS.has(key) && IP_RE.test(a) && IP_RE.test(b)) return;
      this.add(path, a, b);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const idOnly = (x: Json): boolean => isObj(x) && Object.keys(x).length === 1 && 'id' in x;
      if (a.every(idOnly) && b.every(idOnly)) {
        if (a.length !== b.length) this.add(`${path}.length`, a.length, b.length);
        return;
      }
      if (key !== undefined && UNORDERED_KEYS.has(key)) {
        const sa = a.map((x) => JSON.stringify(x)).sort();
        const sb = b.map((x) => JSON.stringify(x)).sort();
        if (JSON.stringify(sa) !== JSON.stringify(sb)) this.add(path, a, b);
        return;
      }
      if (this.unordered.some((r) => r.test(path))) {
        const byCanon = (x: Json, y: Json): number => (canonical(x) < canonical(y) ? -1 : canonical(x) > canonical(y) ? 1 : 0);
        a = [...a].sort(byCanon);
        b = [...b].sort(byCanon);
      }
      if (a.length !== b.length) this.add(`${path}.length`, a.length, b.length);
      for (let i = 0; i < Math.min(a.length, b.length); i++) this.deep(`${path}[${i}]`, a[i], b[i], key);
      return;
    }
    if (isObj(a) && isObj(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys) this.deep(`${path}.${k}`, a[k], b[k], k);
      return;
    }
    if (a !== b) this.add(path, a, b);
  }

  /** error bodies: keys and codes must match; human-readable text counts as a message difference */
  fault(a: StepResult, b: StepResult): void {
    if (a.contentType !== b.contentType) this.add('<content-type>', a.contentType, b.contentType);
    const ja = a.body;
    const jb = b.body;
    if (isObj(ja) && isObj(jb)) {
      const ka = Object.keys(ja).sort();
      const kb = Object.keys(jb).sort();
      if (ka.join() !== kb.join()) this.add('<fault keys>', ka.join(','), kb.join(','));
      for (const k of ka) {
        const p = `$.${k}`;
        if (!(k in jb) || IGNORED_KEYS.has(k)) continue;
        if (MESSAGE_KEYS.has(k)) {
          if (maskUuids(JSON.stringify(ja[k])) !== maskUuids(JSON.stringify(jb[k]))) this.add(p, ja[k], jb[k], true);
        } else this.deep(p, ja[k], jb[k], k);
      }
      return;
    }
    if (ja !== undefined || jb !== undefined) {
      if (JSON.stringify(ja) !== JSON.stringify(jb)) this.add('$', ja ?? a.text, jb ?? b.text);
      return;
    }
    if ((a.text ?? '') !== (b.text ?? '')) this.add('<text>', a.text, b.text, true);
  }
}

function diffStep(step: Step | undefined, seq: Sequence, a: StepResult, b: StepResult, extraIgnore: string[] = []): Difference[] {
  const ignore = [...extraIgnore, ...(seq.ignore ?? []), ...(step?.ignore ?? [])].map(globToRegex);
  const unordered = [...(seq.unordered ?? []), ...(step?.unordered ?? [])].map(globToRegex);
  const d = new Differ(a.index, ignore, unordered);
  if (step?.compare === false) return [];
  if (a.kind !== b.kind || a.method !== b.method || a.path !== b.path) {
    if (a.kind !== b.kind) d.add('<step>', a.kind, b.kind);
    else if (a.method !== b.method || (a.status !== -1 && b.status !== -1 && a.path !== b.path)) {
      d.add('<request>', `${a.method} ${a.path}`, `${b.method} ${b.path}`);
    }
  }
  if (a.kind === 'sleep') return d.diffs;
  if (a.kind === 'wait') {
    if (a.outcome !== b.outcome) d.add('<wait>', `${a.outcome}${a.error ? ` (${a.error})` : ''}`, `${b.outcome}${b.error ? ` (${b.error})` : ''}`);
    return d.diffs;
  }
  if (a.status !== b.status) {
    d.add('<status>', a.status, b.status);
    return d.diffs;
  }
  if (a.status >= 400) {
    d.fault(a, b);
    return d.diffs;
  }
  if (a.contentType !== b.contentType && (a.body !== undefined || b.body !== undefined)) {
    d.add('<content-type>', a.contentType, b.contentType);
  }
  if (a.body !== undefined || b.body !== undefined) d.deep('$', a.body, b.body);
  else if ((a.text ?? '') !== (b.text ?? '')) d.add('<text>', a.text, b.text);
  return d.diffs;
}

// ---------------------------------------------------------------- sequences and recordings

function loadSequences(only: string[]): { file: string; seq: Sequence }[] {
  if (!existsSync(SEQ_DIR)) usage(`no sequences directory ${SEQ_DIR}`);
  const files = readdirSync(SEQ_DIR).filter((f) => f.endsWith('.json')).sort();
  const out: { file: string; seq: Sequence }[] = [];
  for (const f of files) {
    const id = basename(f, '.json');
    let seq: Sequence;
    try {
      seq = JSON.parse(readFileSync(join(SEQ_DIR, f), 'utf8')) as Sequence;
    } catch (e) {
      usage(`cannot parse ${f}: ${(e as Error).message}`);
    }
    if (!Array.isArray(seq.steps)) usage(`${f}: "steps" must be a list`);
    seq.name ??= id;
    if (only.length && !only.some((o) => id === o || id.includes(o) || seq.name === o)) continue;
    out.push({ file: id, seq });
  }
  if (only.length && out.length === 0) usage(`no sequence matches ${only.join(',')}`);
  return out;
}

interface Recording {
  sequence: string;
  recordedFrom: string;
  recordedAt: string;
  stepCount: number;
  results: StepResult[];
}

function loadRecording(file: string): SideRun | string {
  const p = join(REC_DIR, `${file}.json`);
  if (!existsSync(p)) return `no recording ${p}`;
  const rec = JSON.parse(readFileSync(p, 'utf8')) as Recording;
  return { label: `recorded (${rec.recordedFrom}, ${rec.recordedAt})`, base: 'recorded', results: rec.results };
}

function saveRecording(file: string, seq: Sequence, run: SideRun): void {
  mkdirSync(REC_DIR, { recursive: true });
  const rec: Recording = {
    sequence: seq.name,
    recordedFrom: run.base,
    recordedAt: new Date().toISOString(),
    stepCount: seq.steps.length,
    results: run.results,
  };
  writeFileSync(join(REC_DIR, `${file}.json`), JSON.stringify(rec, null, 1) + '\n');
}

// ---------------------------------------------------------------- main

interface SeqReport {
  file: string;
  seq: Sequence;
  steps: number;
  waits: number;
  diffs: Difference[];
  lines: string[];
}

async function compareSequence(o: Options, file: string, seq: Sequence): Promise<SeqReport> {
  const lines: string[] = [];
  const aP = runSequence(seq, o.a, 'A', o.subnetA, o.waitTimeout, o.staggerA);
  const bP: Promise<SideRun | string> =
    o.b === 'recorded' ? Promise.resolve(loadRecording(file)) : runSequence(seq, o.b, 'B', o.subnetB, o.waitTimeout, o.staggerB);
  const [a, b] = await Promise.all([aP, bP]);
  const steps = seq.steps.filter((s) => s.wait === undefined && s.sleep === undefined).length;
  const waits = seq.steps.filter((s) => s.wait !== undefined).length;
  lines.push(`== ${file}: ${steps} steps, ${waits} waits${seq.description ? ` — ${seq.description}` : ''}`);
  if (typeof b === 'string') {
    lines.push(`   ! ${b}: not compared`);
    return { file, seq, steps, waits, diffs: [], lines };
  }
  if (o.record) saveRecording(file, seq, b);
  if (b.results.length !== a.results.length) {
    lines.push(`   ! B has ${b.results.length} step results, A has ${a.results.length} (stale recording?)`);
  }
  const diffs: Difference[] = [];
  for (let i = 0; i < Math.max(a.results.length, b.results.length); i++) {
    const ra = a.results[i];
    const rb = b.results[i];
    const step = seq.steps[i];
    const title = step?.wait !== undefined
      ? `wait ${ra?.path ?? rb?.path ?? step.wait} until ${step.until ?? 'ACTIVE'}`
      : `${ra?.method ?? rb?.method ?? ''} ${ra?.path ?? rb?.path ?? ''}`;
    const head = `  [${i}]${step?.name ? ` ${step.name}:` : ''} ${title}`;
    if (!ra || !rb) {
      lines.push(`${head}  -> missing on ${ra ? 'B' : 'A'}`);
      diffs.push({ step: i, path: '<step>', a: ra?.status, b: rb?.status, message: false });
      continue;
    }
    const d = diffStep(step, seq, ra, rb, o.ignore);
    diffs.push(...d);
    const statusPart = ra.kind === 'wait'
      ? `A ${ra.outcome} ${ra.ms}ms / B ${rb.outcome} ${rb.ms}ms`
      : ra.kind === 'sleep' ? `${ra.ms}ms` : `A ${ra.status} / B ${rb.status}`;
    if (d.length || o.verbose) lines.push(`${head}  -> ${statusPart}`);
    for (const w of [ra, rb]) {
      if (w.error && (o.verbose || w === ra || o.record)) lines.push(`      ! ${w === ra ? 'A' : 'B'}: ${w.error}`);
    }
    if (d.length && step?.note) lines.push(`      note: ${step.note}`);
    for (const x of d) {
      lines.push(`      ${x.message ? '(message) ' : ''}${x.path}: A ${short(x.a)}  B ${short(x.b)}`);
    }
  }
  const k = diffs.filter((x) => x.message).length;
  lines.push(`   ${diffs.length} differences (${k} message-only)`);
  return { file, seq, steps, waits, diffs, lines };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const seqs = loadSequences(o.only);
  const reports: SeqReport[] = new Array(seqs.length);
  let next = 0;
  let printed = 0;
  const flush = (): void => {
    while (printed < reports.length && reports[printed]) {
      const r = reports[printed++];
      if (!o.quiet) process.stdout.write(r.lines.join('\n') + '\n');
      else process.stdout.write(`${r.lines[0]}  -> ${r.lines[r.lines.length - 1].trim()}\n`);
    }
  };
  const worker = async (): Promise<void> => {
    while (next < seqs.length) {
      const i = next++;
      reports[i] = await compareSequence(o, seqs[i].file, seqs[i].seq);
      flush();
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, seqs.length) }, worker));
  const steps = reports.reduce((n, r) => n + r.steps, 0);
  const all = reports.flatMap((r) => r.diffs);
  const k = all.filter((x) => x.message).length;
  if (o.json) {
    writeFileSync(o.json, JSON.stringify(reports.map((r) => ({ sequence: r.file, steps: r.steps, differences: r.diffs })), null, 1));
  }
  process.stdout.write(`sidebyside: ${reports.length} sequences, ${steps} steps, ${all.length} differences (${k} message-only)\n`);
  if (o.record) process.stdout.write(`recorded side B (${o.b}) into ${REC_DIR}\n`);
  process.exit(o.strict && all.length - k > 0 ? 1 : 0);
}

main().catch((e: unknown) => {
  process.stderr.write(`sidebyside: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(2);
});
