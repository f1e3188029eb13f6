/**
 * What authentication costs per API request: the same GET /v2/lbaas/loadbalancers/{id}
 * answered by in-process Fulcrums (Fastify inject, SQLite in memory, no sockets) under
 * noauth (the reference), builtin (token looked up in the database on every request) and
 * keystone (validated once by a local fake Keystone, then from the cache), alternating
 * rounds so background load hits all three alike.
 *
 *   npx tsx bench/auth.ts            Env: N (2000 requests per round), ROUNDS (5)
 *
 * Prints per mode the median µs per request over the rounds and the ratio to noauth.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { defaultConfig } from '../src/config.ts';
import type { Config } from '../src/config.ts';
import { startRuntime } from '../src/runtime.ts';
import type { Runtime } from '../src/runtime.ts';
import { noopDriver } from '../src/worker/driver.ts';
import { LOOPBACK } from '../src/service/networks.ts';
import { bootstrapAdmin } from '../src/identity/directory.ts';

const N = Number(process.env.N ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const log = pino({ level: 'silent' });

/** A Keystone that knows one token; answers are cached by Fulcrum after the first. */
async function fakeKeystone(): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    res.setHeader('content-type', 'application/json');
    if (req.method === 'POST') {
      req.resume();
      res.writeHead(201, { 'x-subject-token': 'svc' }).end(JSON.stringify({ token: { expires_at: expires, user: { id: 'svc' } } }));
      return;
    }
    res.end(JSON.stringify({ token: {
      expires_at: expires, user: { id: 'u', name: 'u' }, project: { id: 'bench', name: 'bench' },
      roles: [{ name: 'load-balancer_member' }, { name: 'member' }], methods: ['password'],
    } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`, close: () => server.close() };
}

interface Mode { name: string; runtime: Runtime; headers: Record<string, string>; lbId: string }

async function mode(name: string, overrides: Partial<Config>, headersFor: (rt: Runtime) => Promise<Record<string, string>>): Promise<Mode> {
  const config = defaultConfig({ databaseUrl: 'sqlite::memory:', defaultProvider: 'noop', ...overrides });
  const runtime = await startRuntime(config, { log, driver: noopDriver });
  const headers = { 'content-type': 'application/json', ...(await headersFor(runtime)) };
  const res = await runtime.app.inject({
    method: 'POST', url: '/v2/lbaas/loadbalancers', headers,
    payload: JSON.stringify({ loadbalancer: { vip_subnet_id: LOOPBACK.subnetId } }),
  });
  if (res.statusCode !== 201) throw new Error(`${name}: LB create answered ${res.statusCode} ${res.body}`);
  return { name, runtime, headers, lbId: JSON.parse(res.body).loadbalancer.id };
}

async function round(m: Mode): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const res = await m.runtime.app.inject({ method: 'GET', url: `/v2/lbaas/loadbalancers/${m.lbId}`, headers: m.headers });
    if (res.statusCode !== 200) throw new Error(`${m.name}: ${res.statusCode}`);
  }
  return ((performance.now() - t0) * 1000) / N;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const keystone = await fakeKeystone();
  const modes = [
    await mode('noauth', { auth: 'noauth' }, async () => ({ 'x-project-id': 'bench' })),
    await mode('builtin', { auth: 'builtin' }, async (rt) => {
      await bootstrapAdmin({ store: rt.store, log, tokenTtlSeconds: 3600 }, 'pw');
      const res = await rt.app.inject({ method: 'POST', url: '/identity/v3/auth/tokens', payload: {
        auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'pw' } } } },
      } });
      return { 'x-auth-token': String(res.headers['x-subject-token']) };
    }),
    await mode('keystone', {
      auth: 'keystone',
      identity: { tokenTtlSeconds: 3600, keystone: {
        url: keystone.url, username: 'octavia', password: 'pw', projectName: 'service', userDomainName: 'Default',
        projectDomainName: 'Default', cacheSeconds: 300, cacheSize: 1000, timeoutMs: 2000,
      } },
    }, async () => ({ 'x-auth-token': 'user-token' })),
  ];
  const samples: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m.name, []]));
  for (const m of modes) await round(m); // warm-up
  for (let r = 0; r < ROUNDS; r++) for (const m of modes) samples[m.name].push(await round(m));
  const ref = median(samples.noauth);
  process.stdout.write(`GET /v2/lbaas/loadbalancers/{id} through inject, ${N} requests × ${ROUNDS} rounds (median)\n`);
  for (const m of modes) {
    const us = median(samples[m.name]);
    process.stdout.write(`  ${m.name.padEnd(9)} ${us.toFixed(0).padStart(6)} µs/request   ×${(us / ref).toFixed(2)} of noauth\n`);
  }
  for (const m of modes) await m.runtime.close();
  keystone.close();
}

await main();
