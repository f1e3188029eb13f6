// The health role on the real data plane: signed heartbeats from the embedded agent turn into
// operating status and statistics; a killed HAProxy or a silent amphora is failed over under
// client load (new amphora, same VIP, old one DELETED); the API failover does the same on
// demand; the circuit breaker holds failovers when too many are due.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { api, closeAll, httpBackend, httpGet, settled, skipWithoutHaproxy, sleep, spread, stack, Traffic } from './kit.ts';
import type { Backend, E2E, Reply } from './kit.ts';
import { killHaproxyUnder, testApp } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { defaultConfig } from '../../src/config.ts';
import type { HealthConfig } from '../../src/config.ts';

const T = { timeout: 60_000 };

/** The amphora serving the load balancer now (ALLOCATED), if any. */
export async function servingAmphora(app: TestApp, lbId: string) {
  const rows = await app.runtime.store.find('amphora', { load_balancer_id: lbId });
  return rows.find((a) => a.status === 'ALLOCATED');
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * The outage around `at`: from the last success before the first failure after it to the first
 * success after the last failure (0 when nothing failed), and how many requests failed.
 */
export function outage(replies: Reply[], at: number): { outageMs: number; failed: number; backAtMs: number } {
  const sorted = [...replies].sort((a, b) => a.at - b.at);
  const failures = sorted.filter((r) => r.status !== 200 && r.at >= at);
  if (failures.length === 0) return { outageMs: 0, failed: 0, backAtMs: 0 };
  const lastFail = failures[failures.length - 1].at;
  const before = sorted.filter((r) => r.status === 200 && r.at < failures[0].at).pop()?.at ?? at;
  const back = sorted.find((r) => r.status === 200 && r.at > lastFail)?.at ?? Number.POSITIVE_INFINITY;
  return { outageMs: Math.round(back - before), failed: failures.length, backAtMs: Math.round(back - at) };
}

/** A Fulcrum with the real data plane and these health settings (the defaults otherwise). */
export async function startFulcrum(health: Partial<HealthConfig> = {}, dataDir = mkdtempSync(join(tmpdir(), 'fh-'))): Promise<E2E> {
  const app = await testApp({ dataPlane: true, dataDir, health: { ...defaultConfig().health, ...health, listen: { host: '127.0.0.1', port: 0 } } });
  return {
    app, dataDir,
    async close() {
      try {
        await app.close();
      } finally {
        await killHaproxyUnder(dataDir);
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

const amphoraDir = (f: E2E, id: string) => join(f.dataDir, 'agent', 'state', 'amphorae', id);

describe('health role: status, statistics, failover', { skip: skipWithoutHaproxy, timeout: 180_000 }, () => {
  let f: E2E;
  const backends: Backend[] = [];
  const http = async (name: string) => { const b = await httpBackend(name); backends.push(b); return b; };
  const member = (b: Backend) => ({ address: b.address, protocol_port: b.port, name: b.name });

  before(async () => { f = await startFulcrum(); });
  after(async () => {
    await closeAll(backends);
    await f?.close();
  });

  test('heartbeats bring the tree ONLINE, a dead member shows as ERROR with its pool DEGRADED', T, async () => {
    const [a, b] = [await http('st-a'), await http('st-b')];
    const s = await stack(f.app, { members: [member(a), member(b)], monitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1 } });
    const tree = async () => (await api(f.app, 'GET', `/loadbalancers/${s.lb.id}/status`)).statuses.loadbalancer;
    await until('ONLINE tree', async () => {
      const t = await tree();
      return t.operating_status === 'ONLINE' && t.listeners[0].operating_status === 'ONLINE' &&
        t.listeners[0].pools[0].members.every((m: any) => m.operating_status === 'ONLINE');
    });
    await b.close();
    await until('member ERROR, pool DEGRADED', async () => {
      const t = await tree();
      const pool = t.listeners[0].pools[0];
      const down = pool.members.find((m: any) => m.id === s.members[1].id);
      return down.operating_status === 'ERROR' && pool.operating_status === 'DEGRADED' && t.operating_status === 'DEGRADED';
    });
    assert.equal(f.app.runtime.health!.status().receiver.dropped.bad_signature, 0);
  });

  test('listener and LB statistics count traffic and never go backwards across a reload and a failover', T, async () => {
    const a = await http('stats-a');
    const s = await stack(f.app, { members: [member(a)] });
    await spread(s.vip, s.port, 20);
    const stats = async () => (await api(f.app, 'GET', `/listeners/${s.listener.id}/stats`)).stats;
    const first = await until('20 connections counted', async () => { const st = await stats(); return st.total_connections >= 20 && st; });
    assert.ok(first.bytes_in > 0 && first.bytes_out > 0);
    // A reload: a new worker counts from zero.
    await api(f.app, 'PUT', `/listeners/${s.listener.id}`, { listener: { timeout_client_data: 40_000 } });
    await settled(f.app, s.lb.id);
    await spread(s.vip, s.port, 5);
    await until('25 after the reload', async () => (await stats()).total_connections >= 25);
    // A failover: a new amphora with its own counters.
    const old = (await servingAmphora(f.app, s.lb.id))!;
    const res = await f.app.req('PUT', `/v2/octavia/amphorae/${old.id}/failover`, undefined, 'admin');
    assert.equal(res.status, 202);
    await until('new amphora', async () => { const n = await servingAmphora(f.app, s.lb.id); return n && n.id !== old.id && n; });
    await settled(f.app, s.lb.id);
    await spread(s.vip, s.port, 5);
    const last = await until('30 after the failover', async () => { const st = await stats(); return st.total_connections >= 30 && st; });
    assert.ok(last.bytes_in >= first.bytes_in);
    const lbStats = (await api(f.app, 'GET', `/loadbalancers/${s.lb.id}/stats`)).stats;
    assert.ok(lbStats.total_connections >= 30);
  });

  test('kill -9 of an LB\'s HAProxy under load: failed over to a new amphora on the same VIP', T, async (t) => {
    const a = await http('kill-a');
    const s = await stack(f.app, { members: [member(a)] });
    const old = (await servingAmphora(f.app, s.lb.id))!;
    await until('first heartbeat', async () => (await f.app.runtime.store.find('listener_stats', { amphora_id: old.id })).length > 0);
    const traffic = new Traffic(s.vip, s.port, 2);
    await sleep(300);
    const killedAt = performance.now();
    await killHaproxyUnder(amphoraDir(f, old.id));
    const fresh = await until('new amphora', async () => { const n = await servingAmphora(f.app, s.lb.id); return n && n.id !== old.id && n; });
    const detectedMs = performance.now() - killedAt;
    await settled(f.app, s.lb.id);
    await sleep(500);
    const all = await traffic.stop();
    const o = outage(all, killedAt);
    if (process.env.FULCRUM_TEST_TIMELINE) t.diagnostic(all.map((r) => `${(r.at - killedAt).toFixed(0)}:${r.status}`).join(' '));
    t.diagnostic(`killed HAProxy: failover started after ${detectedMs.toFixed(0)} ms, traffic back ${o.backAtMs} ms after the kill, outage ${o.outageMs} ms, ${o.failed} of ${all.length} requests failed`);
    assert.ok(o.backAtMs < 5000, `traffic back only after ${o.backAtMs} ms`);
    await settled(f.app, s.lb.id);
    const rows = await f.app.runtime.store.find('amphora', { load_balancer_id: s.lb.id });
    assert.equal(rows.find((r) => r.id === old.id)?.status, 'DELETED');
    assert.equal(fresh.ha_ip, s.vip);
    assert.deepEqual(await spread(s.vip, s.port, 3), { 'kill-a': 3 });
    const lb = (await api(f.app, 'GET', `/loadbalancers/${s.lb.id}`)).loadbalancer;
    await until('LB ONLINE again', async () => (await api(f.app, 'GET', `/loadbalancers/${s.lb.id}`)).loadbalancer.operating_status === 'ONLINE');
    assert.equal(lb.provisioning_status, 'ACTIVE');
    // The old amphora is gone from the API, as Octavia hides DELETED ones.
    assert.equal((await f.app.req('GET', `/v2/octavia/amphorae/${old.id}`, undefined, 'admin')).status, 404);
  });

  test('an amphora that falls silent (lost host) is failed over after heartbeat_timeout', T, async (t) => {
    const a = await http('silent-a');
    const s = await stack(f.app, { members: [member(a)] });
    const old = (await servingAmphora(f.app, s.lb.id))!;
    const sender = f.app.runtime.dataPlane!.compute.agent.agent.heartbeats!;
    await until('first heartbeat', async () => (await f.app.runtime.store.find('listener_stats', { amphora_id: old.id })).length > 0);
    const t0 = performance.now();
    sender.silenced.add(old.id);
    await killHaproxyUnder(amphoraDir(f, old.id));
    try {
      await until('new amphora', async () => { const n = await servingAmphora(f.app, s.lb.id); return n && n.id !== old.id && n; });
      const detected = performance.now() - t0;
      await firstOk(s.vip, s.port);
      t.diagnostic(`silent amphora: failover started after ${detected.toFixed(0)} ms, serving after ${(performance.now() - t0).toFixed(0)} ms (timeout ${f.app.runtime.config.health.heartbeatTimeoutMs} ms)`);
      // The last heartbeat may have left up to one interval before the silence began.
      const { heartbeatTimeoutMs, heartbeatIntervalMs } = f.app.runtime.config.health;
      assert.ok(detected >= heartbeatTimeoutMs - heartbeatIntervalMs - 100, `failed over after ${detected} ms, before the timeout`);
    } finally {
      sender.silenced.delete(old.id);
    }
    await settled(f.app, s.lb.id);
  });

  test('on-demand LB failover keeps serving: the new amphora binds the VIP beside the old one', T, async (t) => {
    const a = await http('ondemand-a');
    const s = await stack(f.app, { members: [member(a)] });
    const old = (await servingAmphora(f.app, s.lb.id))!;
    const traffic = new Traffic(s.vip, s.port, 2);
    await sleep(200);
    const res = await f.app.req('PUT', `/v2/lbaas/loadbalancers/${s.lb.id}/failover`, undefined, 'admin');
    assert.equal(res.status, 202);
    await until('new amphora', async () => { const n = await servingAmphora(f.app, s.lb.id); return n && n.id !== old.id && n; });
    await settled(f.app, s.lb.id);
    await sleep(300);
    const all = await traffic.stop();
    const failed = all.filter((r) => r.status !== 200).length;
    t.diagnostic(`on-demand failover: ${failed} of ${all.length} requests failed`);
    assert.ok(failed <= 2, `${failed} requests failed`);
    const rows = await f.app.runtime.store.find('amphora', { load_balancer_id: s.lb.id });
    assert.equal(rows.find((r) => r.id === old.id)?.status, 'DELETED');
  });
});

describe('health role: the circuit breaker', { skip: skipWithoutHaproxy, timeout: 60_000 }, () => {
  let f: E2E;
  const backends: Backend[] = [];
  before(async () => { f = await startFulcrum({ failoverThreshold: 0 }); });
  after(async () => {
    await closeAll(backends);
    await f?.close();
  });

  test('more amphorae due than failover_threshold: none is failed over, and the status says so', T, async () => {
    const a = await httpBackend('cb-a');
    backends.push(a);
    const s = await stack(f.app, { members: [{ address: a.address, protocol_port: a.port }] });
    const old = (await servingAmphora(f.app, s.lb.id))!;
    await until('first heartbeat', async () => (await f.app.runtime.store.find('listener_stats', { amphora_id: old.id })).length > 0);
    await killHaproxyUnder(amphoraDir(f, old.id));
    await until('breaker open', async () => f.app.runtime.health!.status().breaker === 'open');
    await sleep(1500);
    assert.equal((await servingAmphora(f.app, s.lb.id))?.id, old.id);
    assert.equal(f.app.runtime.health!.status().failovers, 0);
    const lb = (await api(f.app, 'GET', `/loadbalancers/${s.lb.id}`)).loadbalancer;
    assert.equal(lb.provisioning_status, 'ACTIVE');
    assert.equal(lb.operating_status, 'ERROR');
    const check = await f.app.runtime.app.inject({ method: 'GET', url: '/healthcheck' });
    assert.equal(check.statusCode, 503);
    assert.match(check.body, /circuit breaker: 1 amphorae are due, failover_threshold is 0/);
  });
});

async function firstOk(host: string, port: number): Promise<void> {
  await until('a 200 through the VIP', async () => (await httpGet(host, port, { timeoutMs: 500 })).status === 200);
}
