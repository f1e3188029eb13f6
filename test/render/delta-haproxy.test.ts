// runtimeDelta against a running HAProxy 2.6: the commands are accepted as they are, and
// afterwards the process holds exactly the servers, weights and maintenance states the new
// configuration file describes. Frontends bind 127.0.0.1 on a free port; members are
// TEST-NET addresses nobody answers (checks fail, which does not matter here).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadBalancerGraph } from '../../src/domain/entities.ts';
import { renderHaproxy, runtimeDelta, toIR } from '../../src/render/index.ts';
import type { HaproxyIR } from '../../src/render/index.ts';
import { amphoraContext, listener, member, monitor, pool, simpleGraph, uuid } from './fixtures.ts';

const HAPROXY = process.env.HAPROXY ?? '/usr/sbin/haproxy';
const skip = !existsSync(HAPROXY) && !process.env.CI ? `HAProxy is not installed at ${HAPROXY}; skipped outside CI` : false;

let dir = '';
let haproxy: ChildProcess | null = null;
let ports: number[] = [];

const context = () => amphoraContext({
  vipAddress: '127.0.0.1',
  paths: { statsSocket: join(dir, 'admin.sock'), serverStateFile: join(dir, 'state'), pidFile: join(dir, 'pid'), certDir: join(dir, 'certs') },
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function command(line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(join(dir, 'admin.sock'));
    let out = '';
    socket.on('data', (c) => { out += c; });
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.end(`${line}\n`);
  });
}

/** Two listeners: a round-robin pool with a TCP monitor, and a SOURCE_IP pool with APP_COOKIE persistence. */
function start(): LoadBalancerGraph {
  const g = simpleGraph(2, { listener: { protocol_port: ports[0] } });
  g.healthMonitors.push(monitor(1, 1, { type: 'TCP', delay: 1, timeout: 1 }));
  g.listeners.push(listener(2, { protocol_port: ports[1], default_pool_id: uuid('pool', 2) }));
  g.pools.push(pool(2, { lb_algorithm: 'SOURCE_IP', session_persistence: { type: 'APP_COOKIE', cookie_name: 'sid', persistence_timeout: null, persistence_granularity: null } }));
  g.members.push(member(20, 2), member(21, 2));
  return g;
}

/** What HAProxy runs now, per backend/server: weight and whether it is in maintenance. */
async function running(): Promise<Map<string, string>> {
  const weights = new Map<string, string>();
  for (const line of (await command('show servers state')).split('\n')) {
    const f = line.split(' ');
    if (f.length > 8 && !line.startsWith('#')) weights.set(`${f[1]}/${f[3]}`, f[7]);
  }
  const state = new Map<string, string>();
  const csv = (await command('show stat')).split('\n');
  const head = csv[0].replace(/^# /, '').split(',');
  for (const line of csv.slice(1)) {
    const row = Object.fromEntries(line.split(',').map((v, i) => [head[i], v]));
    if (!row.svname || row.svname === 'FRONTEND' || row.svname === 'BACKEND') continue;
    const key = `${row.pxname}/${row.svname}`;
    state.set(key, `weight ${weights.get(key)} ${row.status.startsWith('MAINT') ? 'maint' : 'ready'}`);
  }
  return state;
}

function described(ir: HaproxyIR): Map<string, string> {
  return new Map(ir.backends.flatMap((b) => b.servers.map((s) => [`${b.name}/${s.name}`, `weight ${s.weight} ${s.disabled ? 'maint' : 'ready'}`])));
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'fulcrum-delta-'));
  ports = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'haproxy.cfg'), renderHaproxy(toIR(start(), context())));
  haproxy = spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  haproxy.stderr!.on('data', (c) => { stderr += c; });
  for (let i = 0; i < 100 && !existsSync(join(dir, 'admin.sock')); i++) await sleep(50);
  assert.ok(existsSync(join(dir, 'admin.sock')), `haproxy did not start: ${stderr}`);
});

after(() => {
  haproxy?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('member changes applied through the runtime API leave HAProxy as the new file describes', { skip }, async () => {
  const steps: ((g: LoadBalancerGraph) => void)[] = [
    (g) => {
      g.members.push(member(3, 1, { monitor_port: 9000, weight: 4 }), member(22, 2, { backup: true }), member(4, 1, { admin_state_up: false }));
      g.members[0].weight = 0;
      g.members[1].admin_state_up = false;
    },
    (g) => {
      g.members = g.members.filter((m) => m.id !== uuid('member', 1) && m.id !== uuid('member', 3) && m.id !== uuid('member', 20));
      for (const m of g.members) m.admin_state_up = true;
      g.members.find((m) => m.id === uuid('member', 21))!.weight = 9;
    },
    (g) => { g.pools[0].admin_state_up = false; },
  ];
  let graph = start();
  assert.deepEqual(await running(), described(toIR(graph, context())));
  for (const [i, step] of steps.entries()) {
    const next = structuredClone(graph);
    step(next);
    const [before, after] = [toIR(graph, context()), toIR(next, context())];
    const commands = runtimeDelta(before, after);
    assert.ok(commands && commands.length > 0, `step ${i + 1} should be a runtime change`);
    for (const c of commands) {
      const answer = (await command(c)).trim();
      assert.ok(answer === '' || /^(New server registered\.|Server deleted\.)$/.test(answer), `step ${i + 1}: ${c} → ${answer}`);
    }
    assert.deepEqual(await running(), described(after), `step ${i + 1}`);
    // The agent writes the same change into the file; HAProxy must accept that file too.
    writeFileSync(join(dir, 'next.cfg'), renderHaproxy(after));
    const check = spawnSync(HAPROXY, ['-c', '-f', join(dir, 'next.cfg')], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    graph = next;
  }
});
