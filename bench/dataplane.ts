/**
 * Data-plane benchmark: a real `fulcrum up` (spawned, temp data dir, embedded agent, HAProxy
 * amphorae on loopback VIPs) measured from outside, as a tenant sees it.
 *
 *   npm run bench:dataplane            (or: node --import tsx bench/dataplane.ts)
 *
 * Figures, each against its goal (issue 3):
 *   a  fully-populated POST (LB + HTTP listener + pool + 2 members) → first 200 through the VIP, over N_LB LBs
 *   b  member add → first request served by that member (runtime API path), over N_MEMBER adds
 *   c  requests/s through a Fulcrum LB ÷ requests/s through a hand-written HAProxy with the same
 *      frontend/backend, same backends, wrk rounds alternating in one run
 *   d  20 member changes under constant keep-alive load (wrk): client errors and HAProxy reloads
 *   e  N_TOTAL LBs (listener + pool + 2 members each): memory per LB (PSS of every HAProxy + the
 *      Fulcrum process's share)
 *
 * Env: N_LB (50), N_MEMBER (20), N_CHANGES (20), N_TOTAL (200), C_ROUNDS (4), C_SECONDS (5),
 *      C_CONNS (32), D_CONNS (16), CONC (4), PHASES (a,b,c,d,e), BENCH_JSON (file for the results).
 * Every HAProxy it starts is stopped by PID and the temp dir removed, also after Ctrl-C.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, httpBackend, httpGet } from '../test/e2e/kit.ts';
import type { Backend } from '../test/e2e/kit.ts';
import {
  agentTimings, Api, cpuMicros, haveWrk, timingLine, killHaproxyUnder, log, memoryOf, haproxyPidsUnder, pct, referenceConfig, reloads, responderConfig,
  sleep, startFulcrum, startHaproxy, SUBNET, wrk,
} from './dataplane/kit.ts';
import type { Fulcrum, Haproxy, Memory } from './dataplane/kit.ts';

function envInt(name: string, def: number, min = 1, max = 100_000): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? def : Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`bench: ${name}=${raw} must be an integer in [${min}, ${max}]\n`);
    process.exit(2);
  }
  return n;
}

const CFG = {
  nLb: envInt('N_LB', 50),
  nMember: envInt('N_MEMBER', 20),
  nChanges: envInt('N_CHANGES', 20),
  nTotal: envInt('N_TOTAL', 200),
  cRounds: envInt('C_ROUNDS', 4),
  cSeconds: envInt('C_SECONDS', 5),
  cConns: envInt('C_CONNS', 32),
  dConns: envInt('D_CONNS', 16),
  conc: envInt('CONC', 4, 1, 32),
  phases: (process.env.PHASES ?? 'a,b,c,d,e').split(',').map((s) => s.trim()).filter(Boolean),
};

interface Figure {
  key: string;
  what: string;
  value: string;
  goal: string;
  pass: boolean | null;
  detail: string;
}

const figures: Figure[] = [];
const ms = (x: number) => `${x.toFixed(0)} ms`;

// ---------------------------------------------------------------- shared state

interface Env {
  api: Api;
  fulcrum: Fulcrum;
  dir: string;
  port: number;
  backends: Backend[];
  lbs: string[];
  responders: { host: string; ports: number[] };
}

/** A load balancer with an HTTP listener on `port` and a round-robin pool of `members`, in one POST. */
function fullBody(name: string, port: number, members: { address: string; protocol_port: number }[]) {
  return {
    loadbalancer: {
      name, vip_subnet_id: SUBNET,
      listeners: [{
        name: `${name}-l`, protocol: 'HTTP', protocol_port: port,
        default_pool: { name: `${name}-p`, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members },
      }],
    },
  };
}

/** Polls host:port with fresh connections until a 200 (from `backend`, when named); answers ms since t0. */
async function firstServed(host: string, port: number, t0: number, backend?: string, timeoutMs = 20_000): Promise<number> {
  while (performance.now() - t0 < timeoutMs) {
    const r = await httpGet(host, port, { timeoutMs: 1000 });
    if (r.status === 200 && (backend === undefined || r.backend === backend)) return r.at - t0;
    await sleep(1);
  }
  throw new Error(`${host}:${port} not served${backend ? ` by ${backend}` : ''} within ${timeoutMs} ms`);
}

// ---------------------------------------------------------------- a

async function phaseA(env: Env): Promise<void> {
  log(`[a] ${CFG.nLb} fully-populated POSTs, each polled through its VIP to the first 200`);
  const served: number[] = [];
  const active: number[] = [];
  const ids = new Set<string>();
  const [b1, b2] = env.backends;
  for (let i = 0; i < CFG.nLb; i++) {
    const t0 = performance.now();
    const lb = (await env.api.ok('POST', '/v2/lbaas/loadbalancers', fullBody(`a${i}`, env.port, [
      { address: b1.address, protocol_port: b1.port }, { address: b2.address, protocol_port: b2.port },
    ]))).loadbalancer;
    env.lbs.push(lb.id);
    ids.add(lb.id);
    served.push(await firstServed(lb.vip_address, env.port, t0));
    await env.api.active(lb.id);
    active.push(performance.now() - t0);
  }
  const p50 = pct(served, 50);
  figures.push({
    key: 'a', what: 'POST fully-populated LB → first 200 via VIP', value: `p50 ${ms(p50)}, p95 ${ms(pct(served, 95))}`,
    goal: 'p50 ≤ 250 ms', pass: p50 <= 250,
    detail: `n=${served.length}; min ${ms(Math.min(...served))}, max ${ms(Math.max(...served))}; POST → ACTIVE p50 ${ms(pct(active, 50))}, p95 ${ms(pct(active, 95))}; ` +
      `agent p50 ms: ${timingLine(agentTimings(env.fulcrum.dataDir, ids, 'started'))}`,
  });
}

// ---------------------------------------------------------------- b

async function phaseB(env: Env): Promise<void> {
  log(`[b] ${CFG.nMember} member adds, each polled through the VIP until the new member answers`);
  const first = await httpBackend('b-0');
  const lb = (await env.api.ok('POST', '/v2/lbaas/loadbalancers', fullBody('b', env.port, [
    { address: first.address, protocol_port: first.port },
  ]))).loadbalancer;
  env.lbs.push(lb.id);
  await env.api.active(lb.id);
  const poolId = (await env.api.ok('GET', `/v2/lbaas/pools?loadbalancer_id=${lb.id}`)).pools[0].id;
  const sock = await env.api.masterSocket(env.fulcrum.dataDir, lb.id);
  const before = await reloads(sock);
  const served: number[] = [];
  const active: number[] = [];
  let previous = { backend: first, memberId: (await env.api.ok('GET', `/v2/lbaas/pools/${poolId}/members`)).members[0].id };
  for (let i = 1; i <= CFG.nMember; i++) {
    const b = await httpBackend(`b-${i}`);
    env.backends.push(b);
    const t0 = performance.now();
    const m = (await env.api.ok('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: b.address, protocol_port: b.port } })).member;
    served.push(await firstServed(lb.vip_address, env.port, t0, b.name));
    await env.api.active(lb.id);
    active.push(performance.now() - t0);
    // Keep the pool at two members: the next add is measured against the same shape.
    await env.api.ok('DELETE', `/v2/lbaas/pools/${poolId}/members/${previous.memberId}`);
    await env.api.active(lb.id);
    await previous.backend.close();
    previous = { backend: b, memberId: m.id };
  }
  const after = await reloads(sock);
  const p50 = pct(served, 50);
  figures.push({
    key: 'b', what: 'member add → first request served by it', value: `p50 ${ms(p50)}, p95 ${ms(pct(served, 95))}`,
    goal: '≤ 50 ms', pass: p50 <= 50,
    detail: `n=${served.length}; max ${ms(Math.max(...served))}; POST → ACTIVE p50 ${ms(pct(active, 50))}; reloads during ${CFG.nMember} adds + ${CFG.nMember} deletes: ${after.reloads - before.reloads}; ` +
      `agent p50 ms: ${timingLine(agentTimings(env.fulcrum.dataDir, new Set([lb.id]), 'runtime'))}`,
  });
}

// ---------------------------------------------------------------- c

async function phaseC(env: Env, stack: Haproxy[]): Promise<void> {
  if (!haveWrk()) {
    figures.push({ key: 'c', what: 'req/s Fulcrum LB ÷ hand-written HAProxy', value: 'not run', goal: '≥ 0.97', pass: null, detail: 'wrk is not installed (apt-get install -y wrk)' });
    return;
  }
  const { host, ports } = env.responders;
  const members = ports.slice(0, 2).map((p) => ({ address: host, port: p }));
  const lb = (await env.api.ok('POST', '/v2/lbaas/loadbalancers', fullBody('c', env.port,
    members.map((m) => ({ address: m.address, protocol_port: m.port }))))).loadbalancer;
  env.lbs.push(lb.id);
  await env.api.active(lb.id);
  const refHost = '127.43.0.1';
  const ampDir = join(env.fulcrum.dataDir, 'agent', 'state', 'amphorae', await env.api.amphoraId(lb.id));
  // C_REF=rendered: the reference runs Fulcrum's own rendered file (bind moved, no sockets) —
  // tells a cost of the configuration from a cost of how the amphora runs.
  const refCfg = process.env.C_REF === 'rendered'
    ? readFileSync(join(ampDir, 'conf', 'haproxy.cfg'), 'utf8').replace(`bind ${lb.vip_address}:`, `bind ${refHost}:`)
      .replace(/^\s*(stats socket|server-state-file|load-server-state-from-file).*$/gm, '')
      .replace(new RegExp(`^.*(${process.env.C_REF_DROP ?? '$^'}).*$`, 'gm'), '')
    : referenceConfig(refHost, env.port, members);
  stack.push(await startHaproxy(join(env.dir, 'ref'), 'reference', refCfg, { host: refHost, port: env.port }));
  log(`[c] wrk -c${CFG.cConns} ${CFG.cSeconds}s rounds, alternating Fulcrum ${lb.vip_address} and the hand-written HAProxy ${refHost}, ${CFG.cRounds} each`);
  await wrk(lb.vip_address, env.port, { seconds: 1, connections: CFG.cConns }); // warm-up
  await wrk(refHost, env.port, { seconds: 1, connections: CFG.cConns });
  const f: number[] = [];
  const r: number[] = [];
  // CPU per request of the serving processes: a second view, far less sensitive to what else runs.
  const cpu = { f: { us: 0, n: 0 }, r: { us: 0, n: 0 } };
  const fPids = haproxyPidsUnder(ampDir);
  const pidsOf = (who: 'f' | 'r') => (who === 'f' ? fPids : [stack[stack.length - 1].pid]);
  let errors = 0;
  for (let i = 0; i < CFG.cRounds; i++) {
    const order: ('f' | 'r')[] = i % 2 === 0 ? ['f', 'r'] : ['r', 'f'];
    for (const who of order) {
      const c0 = cpuMicros(pidsOf(who));
      const res = await wrk(who === 'f' ? lb.vip_address : refHost, env.port, { seconds: CFG.cSeconds, connections: CFG.cConns });
      cpu[who].us += cpuMicros(pidsOf(who)) - c0;
      cpu[who].n += res.requests;
      (who === 'f' ? f : r).push(res.rps);
      errors += res.errors;
    }
  }
  const perReq = (c: { us: number; n: number }) => c.us / Math.max(1, c.n);
  const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
  const ratio = sum(f) / sum(r);
  figures.push({
    key: 'c', what: 'req/s Fulcrum LB ÷ hand-written HAProxy', value: ratio.toFixed(3), goal: '≥ 0.97', pass: ratio >= 0.97,
    detail: `Fulcrum ${f.map((x) => x.toFixed(0)).join('/')} req/s, reference ${r.map((x) => x.toFixed(0)).join('/')} req/s; ` +
      `per-round ratios ${f.map((x, k) => (x / r[k]).toFixed(2)).join(' ')} (median ${pct(f.map((x, k) => x / r[k]), 50).toFixed(2)}); ` +
      `HAProxy CPU per request: Fulcrum ${perReq(cpu.f).toFixed(1)} µs, reference ${perReq(cpu.r).toFixed(1)} µs ` +
      `(reference ÷ Fulcrum ${(perReq(cpu.r) / perReq(cpu.f)).toFixed(2)}); wrk errors ${errors}`,
  });
}

// ---------------------------------------------------------------- d

async function phaseD(env: Env): Promise<void> {
  if (!haveWrk()) {
    figures.push({ key: 'd', what: 'member changes under keep-alive load', value: 'not run', goal: '0 errors, 0 reloads', pass: null, detail: 'wrk is not installed (apt-get install -y wrk)' });
    return;
  }
  const { host, ports } = env.responders;
  const lb = (await env.api.ok('POST', '/v2/lbaas/loadbalancers', fullBody('d', env.port, [
    { address: host, protocol_port: ports[0] }, { address: host, protocol_port: ports[1] },
  ]))).loadbalancer;
  env.lbs.push(lb.id);
  await env.api.active(lb.id);
  const poolId = (await env.api.ok('GET', `/v2/lbaas/pools?loadbalancer_id=${lb.id}`)).pools[0].id;
  const sock = await env.api.masterSocket(env.fulcrum.dataDir, lb.id);
  const before = await reloads(sock);
  const seconds = Math.max(10, Math.ceil(CFG.nChanges * 0.6) + 4);
  log(`[d] wrk -c${CFG.dConns} keep-alive for ${seconds}s while ${CFG.nChanges} member changes (add, weight, disable, enable, delete) apply`);
  const load = wrk(lb.vip_address, env.port, { seconds, connections: CFG.dConns });
  await sleep(1000);
  const kinds: Record<string, number> = {};
  const extra: string[] = [];
  let spare = 2;
  const t0 = performance.now();
  for (let i = 0; i < CFG.nChanges; i++) {
    const step = i % 5;
    let kind: string;
    if (step === 0 || extra.length === 0) {
      const port = ports[spare++ % ports.length];
      extra.push((await env.api.ok('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: host, protocol_port: port } })).member.id);
      kind = 'add';
    } else if (step === 1) {
      await env.api.ok('PUT', `/v2/lbaas/pools/${poolId}/members/${extra[extra.length - 1]}`, { member: { weight: 5 + i } });
      kind = 'weight';
    } else if (step === 2) {
      await env.api.ok('PUT', `/v2/lbaas/pools/${poolId}/members/${extra[extra.length - 1]}`, { member: { admin_state_up: false } });
      kind = 'disable';
    } else if (step === 3) {
      await env.api.ok('PUT', `/v2/lbaas/pools/${poolId}/members/${extra[extra.length - 1]}`, { member: { admin_state_up: true } });
      kind = 'enable';
    } else {
      await env.api.ok('DELETE', `/v2/lbaas/pools/${poolId}/members/${extra.shift()}`);
      kind = 'delete';
    }
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    await env.api.active(lb.id);
  }
  const changeS = (performance.now() - t0) / 1000;
  const res = await load;
  const after = await reloads(sock);
  const reloadCount = after.reloads - before.reloads;
  figures.push({
    key: 'd', what: `${CFG.nChanges} member changes under keep-alive load`, value: `${res.errors} errors, ${reloadCount} reloads`,
    goal: '0 errors, 0 reloads', pass: res.errors === 0 && reloadCount === 0,
    detail: `${Object.entries(kinds).map(([k, v]) => `${v} ${k}`).join(', ')} in ${changeS.toFixed(1)} s; wrk ${res.requests} requests (${res.rps.toFixed(0)} req/s), ${res.detail}; failed reloads ${after.failed - before.failed}`,
  });
}

// ---------------------------------------------------------------- e

async function phaseE(env: Env): Promise<void> {
  const need = Math.max(0, CFG.nTotal - env.lbs.length);
  log(`[e] ${env.lbs.length} LBs so far; creating ${need} more (${CFG.conc} at a time), then reading /proc`);
  const [b1, b2] = env.backends;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < need) {
      const i = next++;
      const lb = (await env.api.ok('POST', '/v2/lbaas/loadbalancers', fullBody(`e${i}`, env.port, [
        { address: b1.address, protocol_port: b1.port }, { address: b2.address, protocol_port: b2.port },
      ]))).loadbalancer;
      env.lbs.push(lb.id);
      await env.api.active(lb.id, 120_000, 50);
      if ((i + 1) % 50 === 0) log(`  ${i + 1}/${need}`);
    }
  };
  await Promise.all(Array.from({ length: CFG.conc }, worker));
  const createS = (performance.now() - t0) / 1000;
  await sleep(2000); // let old workers of any reload finish
  // Only the amphorae: the bench's own responders and reference HAProxy live elsewhere in the dir.
  const pids = haproxyPidsUnder(join(env.fulcrum.dataDir, 'agent'));
  const mem = pids.map(memoryOf);
  const sum = (f: (m: Memory) => number, ms: Memory[] = mem) => ms.reduce((a, m) => a + f(m), 0);
  const cp = memoryOf(env.fulcrum.pid);
  const n = env.lbs.length;
  const perLbKiB = (sum((m) => m.pss) + cp.pss) / n;
  const mib = (kib: number) => `${(kib / 1024).toFixed(2)} MiB`;
  figures.push({
    key: 'e', what: `memory per LB with ${n} LBs`, value: `${mib(perLbKiB)} PSS`, goal: '≤ 10 MiB', pass: perLbKiB <= 10 * 1024,
    detail: `${pids.length} HAProxy processes (${sum((m) => m.threads)} threads): PSS ${mib(sum((m) => m.pss))} (anon ${mib(sum((m) => m.anon))}), RSS ${mib(sum((m) => m.rss))}; ` +
      `Fulcrum process PSS ${mib(cp.pss)} (${mib(cp.pss / n)} per LB); per LB HAProxy PSS ${mib(sum((m) => m.pss) / n)}, RSS ${mib(sum((m) => m.rss) / n)}; ${need} creates in ${createS.toFixed(1)} s`,
  });
}

// ---------------------------------------------------------------- main

function print(): void {
  const out = ['', `== data plane (${new Date().toISOString()}, ${process.env.BENCH_NOTE ?? 'shared 2-core host'})`];
  out.push(`  ${'fig'.padEnd(3)} ${'what'.padEnd(46)} ${'measured'.padEnd(26)} ${'goal'.padEnd(20)} result`);
  for (const f of figures) {
    const result = f.pass === null ? 'SKIP' : f.pass ? 'PASS' : 'MISS';
    out.push(`  ${f.key.padEnd(3)} ${f.what.padEnd(46)} ${f.value.padEnd(26)} ${f.goal.padEnd(20)} ${result}`);
    out.push(`      ${f.detail}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

async function main(): Promise<void> {
  for (const p of CFG.phases) if (!['a', 'b', 'c', 'd', 'e'].includes(p)) throw new Error(`unknown phase ${p}`);
  // Short: HAProxy's unix sockets live under it (108-byte limit).
  const dir = mkdtempSync(join(tmpdir(), 'fb-'));
  const stack: Haproxy[] = [];
  let fulcrum: Fulcrum | undefined;
  const backends: Backend[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= (async () => {
    await fulcrum?.stop().catch(() => undefined);
    // BENCH_LOG=<file>: keep Fulcrum's log (the agent's timings, any apply it logged) after the dir goes.
    if (process.env.BENCH_LOG) copyFileSync(join(dir, 'fulcrum.log'), process.env.BENCH_LOG);
    for (const h of stack) await h.stop().catch(() => undefined);
    const killed = await killHaproxyUnder(dir);
    await Promise.all(backends.map((b) => b.close()));
    rmSync(dir, { recursive: true, force: true });
    log(`cleanup: Fulcrum stopped, ${killed} amphora HAProxy processes killed by PID, ${stack.length} bench HAProxy stopped, ${dir} removed`);
  })());
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const port = await freePort();
    fulcrum = await startFulcrum(dir, await freePort());
    log(`config ${JSON.stringify(CFG)}; Fulcrum pid ${fulcrum.pid} at ${fulcrum.url}, data dir ${dir}, listeners on port ${port}`);
    backends.push(await httpBackend('a-1'), await httpBackend('a-2'));
    const responders = { host: '127.44.0.1', ports: await Promise.all(Array.from({ length: 8 }, () => freePort())) };
    stack.push(await startHaproxy(join(dir, 'responders'), 'responders', responderConfig(responders.host, responders.ports), { host: responders.host, port: responders.ports[0] }));
    const env: Env = { api: new Api(fulcrum.url), fulcrum, dir, port, backends, lbs: [], responders };
    for (const p of CFG.phases) {
      if (p === 'a') await phaseA(env);
      else if (p === 'b') await phaseB(env);
      else if (p === 'c') await phaseC(env, stack);
      else if (p === 'd') await phaseD(env);
      else if (p === 'e') await phaseE(env);
    }
  } finally {
    print();
    await cleanup();
  }
  if (process.env.BENCH_JSON) {
    mkdirSync(join(process.env.BENCH_JSON, '..'), { recursive: true });
    writeFileSync(process.env.BENCH_JSON, JSON.stringify({ config: CFG, figures }, null, 1));
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
