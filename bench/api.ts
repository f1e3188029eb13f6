/**
 * API benchmark for Octavia-compatible endpoints (noauth, X-Project-Id header: start Fulcrum
 * with `fulcrum up --auth noauth`).
 *
 *   npx tsx bench/api.ts --target fulcrum=http://127.0.0.1:9876 --target octavia=http://127.0.0.1:9877
 *
 * Phases, per target, each in its own fresh project:
 *   seq   create N_SEQ load balancers one after another, each polled (every POLL_MS) to ACTIVE
 *   list  top the project up to N_LIST load balancers (CONC concurrent creates, then all to ACTIVE),
 *         then GET /v2.0/lbaas/loadbalancers?limit=1000 LIST_REPS times
 *   show  GET one load balancer N_SHOW times
 *   full  fully-populated create (LB + listener + pool + 2 members + health monitor) to ACTIVE, N_FULL times
 * and always a bounded cascade-delete cleanup of everything the run created.
 *
 * Env: N_SEQ (100), N_LIST (1000), LIST_REPS (20), N_SHOW (200), N_FULL (10), CONC (8),
 *      POLL_MS (20), PHASE_TIMEOUT (900 s per phase), CLEANUP_TIMEOUT (900 s), WAIT_TIMEOUT (120 s per LB),
 *      PHASES (seq,list,show,full), SUBNET (a VIP subnet UUID), BENCH_JSON (write results there).
 * Prints a table per target and, with two targets, the ratio of the first to the second.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

// ---------------------------------------------------------------- configuration

function envInt(name: string, def: number, min = 0, max = 1_000_000): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    process.stderr.write(`bench: ${name}=${raw} is not a number in [${min}, ${max}]\n`);
    process.exit(2);
  }
  return Math.floor(n);
}

const CFG = {
  nSeq: envInt('N_SEQ', 100),
  nList: envInt('N_LIST', 1000),
  listReps: envInt('LIST_REPS', 20, 1),
  nShow: envInt('N_SHOW', 200, 1),
  nFull: envInt('N_FULL', 10),
  conc: envInt('CONC', 8, 1, 64),
  pollMs: envInt('POLL_MS', 20, 1, 5000),
  phaseTimeoutS: envInt('PHASE_TIMEOUT', 900, 1, 86_400),
  cleanupTimeoutS: envInt('CLEANUP_TIMEOUT', 900, 1, 86_400),
  waitTimeoutS: envInt('WAIT_TIMEOUT', 120, 1, 3600),
  phases: (process.env.PHASES ?? 'seq,list,show,full').split(',').map((s) => s.trim()).filter(Boolean),
  subnet: process.env.SUBNET ?? '5f0e8a1c-3b5d-4c7e-9a2b-1d4f6e8c0a11',
};
const PAGE = 1000; // Octavia's default pagination_max_limit

interface Target {
  name: string;
  url: string;
}

function usage(msg?: string): never {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write('usage: npx tsx bench/api.ts --target NAME=URL [--target NAME=URL ...]\n');
  process.exit(2);
}

function parseTargets(argv: string[]): Target[] {
  const targets: Target[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    let spec: string | undefined;
    if (a === '--target') spec = argv[++i];
    else if (a.startsWith('--target=')) spec = a.slice('--target='.length);
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
    if (!spec) usage('--target needs NAME=URL');
    const eq = spec.indexOf('=');
    if (eq <= 0) usage(`bad target ${spec} (want NAME=URL)`);
    const url = spec.slice(eq + 1).replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+$/.test(url)) usage(`bad URL ${url}`);
    targets.push({ name: spec.slice(0, eq), url });
  }
  if (targets.length === 0) usage('at least one --target');
  for (const p of CFG.phases) if (!['seq', 'list', 'show', 'full'].includes(p)) usage(`unknown phase ${p}`);
  return targets;
}

// ---------------------------------------------------------------- http

interface Res {
  status: number;
  body: any;
  ms: number;
}

let stopping = false;

class Client {
  constructor(
    readonly base: string,
    readonly project: string,
  ) {}

  async req(method: string, path: string, body?: unknown): Promise<Res> {
    const headers: Record<string, string> = { Accept: 'application/json', 'X-Project-Id': this.project };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let lastErr: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const t0 = performance.now();
      try {
        const r = await fetch(this.base + path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(60_000),
        });
        const text = await r.text();
        const ms = performance.now() - t0;
        let parsed: any = null;
        if (text) {
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
        }
        return { status: r.status, body: parsed, ms };
      } catch (e) {
        lastErr = e;
        await sleep(100 * (attempt + 1));
      }
    }
    throw new Error(`${method} ${path}: ${String((lastErr as Error)?.message ?? lastErr)}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
}

// ---------------------------------------------------------------- statistics

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const k = ((s.length - 1) * p) / 100;
  const f = Math.floor(k);
  const c = Math.min(f + 1, s.length - 1);
  return s[f] + (s[c] - s[f]) * (k - f);
}

interface Figure {
  /** what is measured */
  label: string;
  n: number;
  errors: number;
  totalS: number;
  /** throughput in `unit` per second */
  rate: number;
  unit: string;
  p50: number;
  p95: number;
}

function figure(label: string, unit: string, lat: number[], totalS: number, errors: number): Figure {
  return {
    label, unit, errors, totalS,
    n: lat.length,
    rate: totalS > 0 ? lat.length / totalS : NaN,
    p50: pct(lat, 50),
    p95: pct(lat, 95),
  };
}

// ---------------------------------------------------------------- operations

const LB_PATH = '/v2.0/lbaas/loadbalancers';

class Bench {
  readonly created = new Set<string>();
  constructor(readonly c: Client) {}

  async createLb(name: string, extra: Record<string, unknown> = {}): Promise<{ id: string | null; res: Res }> {
    const res = await this.c.req('POST', LB_PATH, { loadbalancer: { name, vip_subnet_id: CFG.subnet, ...extra } });
    const id: string | undefined = res.body?.loadbalancer?.id;
    if (res.status === 201 && id) {
      this.created.add(id);
      return { id, res };
    }
    return { id: null, res };
  }

  /** poll one LB until ACTIVE; false on ERROR or timeout */
  async waitActive(id: string): Promise<boolean> {
    const deadline = performance.now() + CFG.waitTimeoutS * 1000;
    while (performance.now() < deadline && !stopping) {
      const r = await this.c.req('GET', `${LB_PATH}/${id}`);
      const ps = r.body?.loadbalancer?.provisioning_status;
      if (ps === 'ACTIVE') return true;
      if (ps === 'ERROR' || r.status === 404) return false;
      await sleep(CFG.pollMs);
    }
    return false;
  }

  /** every LB of this run's project (id + provisioning_status), following pages */
  async listAll(): Promise<{ id: string; provisioning_status: string }[]> {
    const out: { id: string; provisioning_status: string }[] = [];
    let marker = '';
    for (let page = 0; page < 100; page++) {
      const q = `?project_id=${encodeURIComponent(this.c.project)}&fields=id&fields=provisioning_status` +
        `&sort=id:asc&limit=${PAGE}${marker ? `&marker=${marker}` : ''}`;
      const r = await this.c.req('GET', LB_PATH + q);
      if (r.status !== 200 || !Array.isArray(r.body?.loadbalancers)) throw new Error(`list: HTTP ${r.status}`);
      const items = r.body.loadbalancers as { id: string; provisioning_status: string }[];
      out.push(...items);
      if (items.length < PAGE) break;
      marker = items[items.length - 1].id;
    }
    return out;
  }

  /** wait until every given LB is ACTIVE (list polling), bounded by deadline */
  async waitAllActive(ids: Set<string>, deadline: number): Promise<number> {
    const pending = new Set(ids);
    while (pending.size > 0 && performance.now() < deadline && !stopping) {
      for (const lb of await this.listAll()) {
        if (lb.provisioning_status === 'ACTIVE' || lb.provisioning_status === 'ERROR') pending.delete(lb.id);
      }
      // a 1000-item list is heavy for Octavia: poll the bulk state once a second, not every POLL_MS
      if (pending.size > 0) await sleep(Math.max(CFG.pollMs, 1000));
    }
    return pending.size;
  }
}

async function runPool(n: number, conc: number, deadline: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n && performance.now() < deadline && !stopping) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(conc, n) }, worker));
}

// ---------------------------------------------------------------- phases

async function phaseSeq(b: Bench, figs: Figure[]): Promise<void> {
  log(`[seq] ${CFG.nSeq} LBs one after another, each polled every ${CFG.pollMs} ms to ACTIVE`);
  const toActive: number[] = [];
  const post: number[] = [];
  let errors = 0;
  const deadline = performance.now() + CFG.phaseTimeoutS * 1000;
  const t0 = performance.now();
  for (let i = 0; i < CFG.nSeq && performance.now() < deadline && !stopping; i++) {
    const ts = performance.now();
    const { id, res } = await b.createLb(`bench-seq-${i}`);
    if (!id) {
      errors++;
      log(`  create ${i}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      continue;
    }
    post.push(res.ms);
    if (await b.waitActive(id)) toActive.push(performance.now() - ts);
    else errors++;
    if ((i + 1) % 25 === 0) log(`  ${i + 1}/${CFG.nSeq}`);
  }
  const total = (performance.now() - t0) / 1000;
  figs.push(figure('seq: create -> ACTIVE', 'LB/s', toActive, total, errors));
  figs.push(figure('seq: POST 201 latency', 'req/s', post, post.reduce((a, x) => a + x, 0) / 1000, 0));
}

async function phaseList(b: Bench, figs: Figure[]): Promise<void> {
  const deadline = performance.now() + CFG.phaseTimeoutS * 1000;
  const have = (await b.listAll()).length;
  const need = Math.max(0, CFG.nList - have);
  log(`[list] ${have} LBs in the project, creating ${need} more (${CFG.conc} concurrent)`);
  let errors = 0;
  const fresh = new Set<string>();
  const tc = performance.now();
  await runPool(need, CFG.conc, deadline, async (i) => {
    const { id, res } = await b.createLb(`bench-fill-${i}`);
    if (id) fresh.add(id);
    else if (errors++ < 5) log(`  create: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  });
  const tPost = (performance.now() - tc) / 1000;
  const left = await b.waitAllActive(fresh, deadline);
  const tAll = (performance.now() - tc) / 1000;
  if (need > 0) {
    log(`  ${fresh.size} POSTs in ${tPost.toFixed(1)} s, all ACTIVE after ${tAll.toFixed(1)} s (not ACTIVE: ${left})`);
    const f = figure(`list fill: ${CFG.conc}-concurrent create -> all ACTIVE`, 'LB/s', [], tAll, errors + left);
    f.n = fresh.size - left;
    f.rate = f.n / tAll;
    figs.push(f);
  }
  const visible = (await b.listAll()).length;
  log(`[list] GET ${LB_PATH}?limit=${PAGE} x ${CFG.listReps} with ${visible} LBs in the project`);
  const lat: number[] = [];
  let lerr = 0;
  const t0 = performance.now();
  for (let i = 0; i < CFG.listReps && !stopping; i++) {
    const r = await b.c.req('GET', `${LB_PATH}?project_id=${encodeURIComponent(b.c.project)}&limit=${PAGE}`);
    if (r.status === 200 && Array.isArray(r.body?.loadbalancers)) lat.push(r.ms);
    else lerr++;
  }
  const total = (performance.now() - t0) / 1000;
  figs.push(figure(`list: GET ?limit=${PAGE} (${visible} LBs)`, 'req/s', lat, total, lerr));
}

async function phaseShow(b: Bench, figs: Figure[]): Promise<void> {
  let id = [...b.created][0];
  if (!id) {
    const { id: nid } = await b.createLb('bench-show');
    if (!nid || !(await b.waitActive(nid))) throw new Error('show: could not create a load balancer');
    id = nid;
  }
  log(`[show] GET ${LB_PATH}/{id} x ${CFG.nShow}`);
  const lat: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  for (let i = 0; i < CFG.nShow && !stopping; i++) {
    const r = await b.c.req('GET', `${LB_PATH}/${id}`);
    if (r.status === 200) lat.push(r.ms);
    else errors++;
  }
  figs.push(figure('show: GET one LB', 'req/s', lat, (performance.now() - t0) / 1000, errors));
}

async function phaseFull(b: Bench, figs: Figure[]): Promise<void> {
  log(`[full] ${CFG.nFull} x fully-populated create (LB + listener + pool + 2 members + HM) to ACTIVE`);
  const lat: number[] = [];
  let errors = 0;
  const deadline = performance.now() + CFG.phaseTimeoutS * 1000;
  const t0 = performance.now();
  for (let i = 0; i < CFG.nFull && performance.now() < deadline && !stopping; i++) {
    const ts = performance.now();
    const { id, res } = await b.createLb(`bench-full-${i}`, {
      listeners: [{
        name: 'l', protocol: 'HTTP', protocol_port: 80,
        default_pool: {
          name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
          members: [{ address: '192.0.2.11', protocol_port: 8080 }, { address: '192.0.2.12', protocol_port: 8080 }],
          healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3, url_path: '/healthz' },
        },
      }],
    });
    if (!id) {
      errors++;
      log(`  create ${i}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      continue;
    }
    if (await b.waitActive(id)) lat.push(performance.now() - ts);
    else errors++;
  }
  figs.push(figure('full: fully-populated create -> ACTIVE', 'LB/s', lat, (performance.now() - t0) / 1000, errors));
}

async function cleanup(b: Bench): Promise<string> {
  const t0 = performance.now();
  const deadline = t0 + CFG.cleanupTimeoutS * 1000;
  let ids: string[];
  try {
    ids = (await b.listAll()).map((x) => x.id);
  } catch {
    ids = [...b.created];
  }
  for (const id of b.created) if (!ids.includes(id)) ids.push(id);
  log(`[cleanup] cascade-deleting ${ids.length} LBs (${CFG.conc} concurrent)`);
  const codes = new Map<number, number>();
  const wasStopping = stopping;
  stopping = false; // cleanup must run even after Ctrl-C
  await runPool(ids.length, CFG.conc, deadline, async (i) => {
    for (let attempt = 0; attempt < 60 && performance.now() < deadline; attempt++) {
      const r = await b.c.req('DELETE', `${LB_PATH}/${ids[i]}?cascade=true`);
      if (r.status !== 409) {
        codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
        return;
      }
      await sleep(500); // still PENDING_*: try again
    }
    codes.set(409, (codes.get(409) ?? 0) + 1);
  });
  let left = ids.length;
  while (performance.now() < deadline) {
    try {
      left = (await b.listAll()).length;
    } catch {
      break;
    }
    if (left === 0) break;
    await sleep(500);
  }
  stopping = wasStopping;
  const codeStr = [...codes].map(([k, v]) => `${k}x${v}`).join(' ');
  return `${ids.length} LBs deleted in ${((performance.now() - t0) / 1000).toFixed(1)} s (DELETE codes ${codeStr || '-'}; left ${left})`;
}

// ---------------------------------------------------------------- output

function fmt(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

function printTable(t: Target, figs: Figure[], cleanupLine: string): void {
  const out: string[] = [];
  out.push(`\n== ${t.name} (${t.url})`);
  out.push(`  ${'figure'.padEnd(52)} ${'n'.padStart(5)} ${'err'.padStart(4)} ${'total s'.padStart(8)} ${'rate'.padStart(9)} ${'unit'.padEnd(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)}`);
  for (const f of figs) {
    out.push(`  ${f.label.padEnd(52)} ${String(f.n).padStart(5)} ${String(f.errors).padStart(4)} ${fmt(f.totalS).padStart(8)} ${fmt(f.rate, 2).padStart(9)} ${f.unit.padEnd(6)} ${fmt(f.p50).padStart(8)} ${fmt(f.p95).padStart(8)}`);
  }
  out.push(`  cleanup: ${cleanupLine}`);
  process.stdout.write(out.join('\n') + '\n');
}

function printRatios(a: Target, fa: Figure[], b: Target, fb: Figure[]): void {
  const out: string[] = [];
  out.push(`\n== ratio ${a.name} / ${b.name}  (throughput: >1 means ${a.name} is faster; latency: <1 means ${a.name} is faster)`);
  out.push(`  ${'figure'.padEnd(52)} ${'throughput'.padStart(11)} ${'p50 latency'.padStart(12)} ${'p95 latency'.padStart(12)}`);
  for (const x of fa) {
    const y = fb.find((f) => f.label.split(' (')[0] === x.label.split(' (')[0]);
    if (!y) continue;
    const r = (p: number, q: number): string => (Number.isFinite(p) && Number.isFinite(q) && q > 0 ? `${fmt(p / q, 2)}x` : '-');
    out.push(`  ${x.label.split(' (')[0].padEnd(52)} ${r(x.rate, y.rate).padStart(11)} ${r(x.p50, y.p50).padStart(12)} ${r(x.p95, y.p95).padStart(12)}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

// ---------------------------------------------------------------- main

async function benchTarget(t: Target): Promise<{ figs: Figure[]; cleanup: string; project: string }> {
  const project = `bench-${t.name.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}-${randomBytes(4).toString('hex')}`;
  const b = new Bench(new Client(t.url, project));
  const probe = await b.c.req('GET', '/');
  if (probe.status >= 500 || probe.status === 0) throw new Error(`${t.url}/ answers HTTP ${probe.status}`);
  log(`target ${t.name} ${t.url}, project ${project}`);
  const figs: Figure[] = [];
  let cleanupLine = 'not run';
  try {
    for (const p of CFG.phases) {
      if (stopping) break;
      if (p === 'seq') await phaseSeq(b, figs);
      else if (p === 'list') await phaseList(b, figs);
      else if (p === 'show') await phaseShow(b, figs);
      else if (p === 'full') await phaseFull(b, figs);
    }
  } catch (e) {
    log(`  phase failed: ${(e as Error).message}`);
  } finally {
    cleanupLine = await cleanup(b);
    log(`  ${cleanupLine}`);
  }
  return { figs, cleanup: cleanupLine, project };
}

async function main(): Promise<void> {
  const targets = parseTargets(process.argv.slice(2));
  process.on('SIGINT', () => {
    if (stopping) process.exit(130);
    stopping = true;
    log('interrupted: finishing the current request, then cleaning up (Ctrl-C again to quit at once)');
  });
  log(`config ${JSON.stringify(CFG)}`);
  const results: { target: Target; figs: Figure[]; cleanup: string; project: string }[] = [];
  for (const t of targets) {
    if (stopping) break;
    const r = await benchTarget(t);
    results.push({ target: t, ...r });
    printTable(t, r.figs, r.cleanup);
  }
  if (results.length >= 2) {
    for (let i = 1; i < results.length; i++) printRatios(results[0].target, results[0].figs, results[i].target, results[i].figs);
  }
  if (process.env.BENCH_JSON) {
    writeFileSync(process.env.BENCH_JSON, JSON.stringify({ config: CFG, results }, null, 1));
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
