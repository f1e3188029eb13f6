// A load balancer's life on the data plane: serving soon after one POST, growing listeners
// (a hitless reload), being deleted (HAProxy gone, VIP free again), and surviving a controller
// crash between apply and finalize (the next start finishes the change without touching traffic).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import {
  agentStatus, alive, amphoraOf, api, closeAll, firstServed, freePort, httpBackend, httpGet, portClosed, settled,
  skipWithoutHaproxy, sleep, spread, stack, startFulcrum, Traffic,
} from './kit.ts';
import type { Backend, E2E } from './kit.ts';
import { killHaproxyUnder, SUBNET } from '../kit/app.ts';

const T = { timeout: 60_000 };

describe('load balancer lifecycle on the data plane', { skip: skipWithoutHaproxy, timeout: 300_000 }, () => {
  let f: E2E;
  const backends: Backend[] = [];
  const http = async (name: string) => { const b = await httpBackend(name); backends.push(b); return b; };
  const member = (b: Backend) => ({ address: b.address, protocol_port: b.port, name: b.name });

  const logLines: string[] = [];
  before(async () => { f = await startFulcrum({ logLines }); });
  after(async () => {
    await closeAll(backends);
    await f?.close();
  });

  test('one fully populated POST serves traffic through its VIP shortly after', T, async (t) => {
    const [a, b] = [await http('full-a'), await http('full-b')];
    const port = await freePort();
    const t0 = performance.now();
    const lb = (await api(f.app, 'POST', '/loadbalancers', {
      loadbalancer: {
        vip_subnet_id: SUBNET, name: 'full',
        listeners: [{
          protocol: 'HTTP', protocol_port: port,
          default_pool: { name: 'full-pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [member(a), member(b)] },
        }],
      },
    })).loadbalancer;
    const served = performance.now() - t0 + (await firstServed(lb.vip_address, port, undefined, 10_000));
    t.diagnostic(`POST /loadbalancers (listener, pool, 2 members) → first request through the VIP: ${served.toFixed(0)} ms`);
    assert.ok(served < 5000, `took ${served} ms`);
    await settled(f.app, lb.id);
    assert.deepEqual(await spread(lb.vip_address, port, 4), { 'full-a': 2, 'full-b': 2 });
    const amphora = await amphoraOf(f.app, lb.id);
    assert.equal(amphora.status, 'ALLOCATED');
    assert.equal(amphora.role, 'STANDALONE');
    assert.equal(amphora.ha_ip, lb.vip_address);
    assert.equal(amphora.lb_network_ip, '127.0.0.1');
  });

  test('a listener-less load balancer is ACTIVE; listeners added later are served, the first one without a failed request', T, async () => {
    const [a, b] = [await http('later-a'), await http('later-b')];
    const lb = (await api(f.app, 'POST', '/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } })).loadbalancer;
    await settled(f.app, lb.id);
    assert.equal((await agentStatus(f.app, lb.id)).running, true);
    const first = await freePort();
    const l1 = (await api(f.app, 'POST', '/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: first } })).listener;
    await settled(f.app, lb.id);
    const p1 = (await api(f.app, 'POST', '/pools', { pool: { listener_id: l1.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).pool;
    await settled(f.app, lb.id);
    await api(f.app, 'POST', `/pools/${p1.id}/members`, { member: member(a) });
    await settled(f.app, lb.id);
    assert.deepEqual(await spread(lb.vip_address, first, 3), { 'later-a': 3 });

    const reloadsBefore = (await agentStatus(f.app, lb.id)).reloads;
    const traffic = new Traffic(lb.vip_address, first, 2);
    const second = await freePort();
    try {
      const l2 = (await api(f.app, 'POST', '/listeners', {
        listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: second },
      })).listener;
      await settled(f.app, lb.id);
      const p2 = (await api(f.app, 'POST', '/pools', { pool: { listener_id: l2.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).pool;
      await settled(f.app, lb.id);
      await api(f.app, 'POST', `/pools/${p2.id}/members`, { member: member(b) });
      await settled(f.app, lb.id);
    } finally {
      await traffic.stop();
    }
    assert.ok((await agentStatus(f.app, lb.id)).reloads > reloadsBefore, 'a new listener is a reload');
    assert.deepEqual(await spread(lb.vip_address, second, 3), { 'later-b': 3 });
    assert.deepEqual(traffic.failures(), [], `${traffic.replies.length} requests on the first listener across the reloads`);
  });

  test('deleting the load balancer stops its HAProxy, closes the port and frees the VIP', T, async () => {
    const a = await http('gone');
    const s = await stack(f.app, { members: [member(a)] });
    assert.deepEqual(await spread(s.vip, s.port, 2), { gone: 2 });
    const status = await agentStatus(f.app, s.lb.id);
    const pids = [status.master_pid!, ...status.workers.map((w) => w.pid)];
    assert.ok(pids.every(alive));
    const res = await f.app.req('DELETE', `/v2/lbaas/loadbalancers/${s.lb.id}?cascade=true`, undefined, 'e2e');
    assert.equal(res.status, 204);
    await f.app.settle();
    const shown = await f.app.req('GET', `/v2/lbaas/loadbalancers/${s.lb.id}`, undefined, 'e2e');
    // Shown DELETED, or gone (404), depending on how long deleted rows are kept.
    assert.ok(shown.status === 404 || shown.body.loadbalancer.provisioning_status === 'DELETED', JSON.stringify(shown.body));
    await portClosed(s.vip, s.port);
    assert.deepEqual(pids.filter(alive), [], 'master and workers are gone');
    assert.equal(await amphoraOf(f.app, s.lb.id), undefined);
    // The address is free: a new load balancer may ask for it, and serves on it.
    const again = (await api(f.app, 'POST', '/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, vip_address: s.vip } })).loadbalancer;
    await settled(f.app, again.id);
    assert.equal(again.vip_address, s.vip);
  });

  // Every protocol is served now (SCTP is refused at the API), so the change the data plane
  // cannot apply is a UDP listener whose port someone else holds on the VIP.
  test('a listener the data plane cannot bind: it alone goes ERROR with the reason logged, the last good configuration keeps serving, and deleting it makes the load balancer whole', T, async () => {
    const a = await http('lkg-udp');
    const s = await stack(f.app, { members: [member(a)] });
    const before = await agentStatus(f.app, s.lb.id);
    const port = await freePort();
    const squatter = createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(port, s.vip, () => r()));
    let bad: any;
    try {
      bad = (await api(f.app, 'POST', '/listeners', { listener: { loadbalancer_id: s.lb.id, protocol: 'UDP', protocol_port: port } })).listener;
      await f.app.settle();
      // As Octavia's revert: the failed object is ERROR, what was only locked for it is ACTIVE again.
      assert.equal((await api(f.app, 'GET', `/listeners/${bad.id}`)).listener.provisioning_status, 'ERROR');
      assert.equal((await api(f.app, 'GET', `/loadbalancers/${s.lb.id}`)).loadbalancer.provisioning_status, 'ACTIVE');
      assert.equal((await api(f.app, 'GET', `/listeners/${s.listener.id}`)).listener.provisioning_status, 'ACTIVE');
    } finally {
      squatter.close();
    }
    const failures = logLines.map((l) => JSON.parse(l)).filter((l) => l.load_balancer_id === s.lb.id && /apply_failed/.test(l.event));
    assert.ok(failures.some((l) => l.event === 'worker.apply_failed'), 'the failure is logged with its load balancer');
    assert.match(JSON.stringify(failures), new RegExp(`${port}`), `the logged reason names the port: ${JSON.stringify(failures)}`);
    assert.deepEqual(await spread(s.vip, s.port, 3), { 'lkg-udp': 3 });
    const after = await agentStatus(f.app, s.lb.id);
    assert.deepEqual([after.master_pid, after.reloads, after.sha256], [before.master_pid, before.reloads, before.sha256]);
    // The load balancer is not stuck: the ERROR listener can be deleted and changes apply again.
    await api(f.app, 'DELETE', `/listeners/${bad.id}`);
    await settled(f.app, s.lb.id);
    const b = await http('lkg-udp-b');
    await api(f.app, 'POST', `/pools/${s.pool.id}/members`, { member: member(b) });
    await settled(f.app, s.lb.id);
    assert.deepEqual(await spread(s.vip, s.port, 4), { 'lkg-udp': 2, 'lkg-udp-b': 2 });
  });
});

describe('a controller crash between apply and finalize', { skip: skipWithoutHaproxy, timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fc-'));
  const databaseUrl = `sqlite:${join(dataDir, 'fulcrum.sqlite')}`;
  const started: E2E[] = [];
  const backends: Backend[] = [];
  after(async () => {
    await closeAll(backends);
    for (const e of started.reverse()) await e.close().catch(() => undefined);
    await killHaproxyUnder(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('is repaired on the next start: the change is applied once, traffic never stops', { timeout: 90_000 }, async () => {
    const [a, b] = [await httpBackend('crash-a'), await httpBackend('crash-b')];
    backends.push(a, b);
    const first = await startFulcrum({ dataDir, databaseUrl });
    started.push(first);
    const s = await stack(first.app, { members: [{ address: a.address, protocol_port: a.port }] });
    const before = await agentStatus(first.app, s.lb.id);

    // The API commits a change, the worker applies it on the agent, and the controller dies
    // before finalize: no wake-up reaches the worker, whose apply we run by hand.
    const runtime = first.app.runtime;
    await runtime.reconciler.stop();
    runtime.deps.wake = () => undefined;
    await api(first.app, 'POST', `/pools/${s.pool.id}/members`, { member: { address: b.address, protocol_port: b.port } });
    await runtime.dataPlane!.driver.apply((await runtime.store.graph(s.lb.id))!);
    await firstServed(s.vip, s.port, 'crash-b', 5000);
    await runtime.close(); // the agent's API goes; HAProxy stays, as after a crash
    started.splice(started.indexOf(first), 1);

    const traffic = new Traffic(s.vip, s.port, 2, 15_000);
    let second: E2E;
    try {
      second = await startFulcrum({ dataDir, databaseUrl });
      started.push(second);
      const pending = (await second.app.req('GET', `/v2/lbaas/loadbalancers/${s.lb.id}`, undefined, 'e2e')).body.loadbalancer;
      assert.ok(['PENDING_UPDATE', 'ACTIVE'].includes(pending.provisioning_status));
      // The poll finds the load balancer dirty and applies the same graph again.
      const deadline = Date.now() + 10_000;
      let status = pending.provisioning_status;
      while (status !== 'ACTIVE' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await second.app.req('GET', `/v2/lbaas/loadbalancers/${s.lb.id}`, undefined, 'e2e')).body.loadbalancer.provisioning_status;
      }
      assert.equal(status, 'ACTIVE');
    } finally {
      await traffic.stop();
    }
    const members = (await api(second.app, 'GET', `/pools/${s.pool.id}/members`)).members;
    assert.deepEqual(members.map((m: any) => m.provisioning_status), ['ACTIVE', 'ACTIVE']);
    const after = await agentStatus(second.app, s.lb.id);
    assert.equal(after.master_pid, before.master_pid, 'the new agent adopted the running HAProxy');
    // The member went in at runtime; the repair found the same bundle serving ("unchanged").
    assert.equal(after.reloads, before.reloads, 'no reload, neither for the member nor for the repair');
    assert.deepEqual(traffic.failures(), [], `${traffic.replies.length} requests across the restart`);
    assert.deepEqual(await spread(s.vip, s.port, 4), { 'crash-a': 2, 'crash-b': 2 });
  });
});

describe('a worker stopped mid-change, on a reload and on a delete', { skip: skipWithoutHaproxy, timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fk-'));
  const databaseUrl = `sqlite:${join(dataDir, 'fulcrum.sqlite')}`;
  const started: E2E[] = [];
  const backends: Backend[] = [];
  after(async () => {
    await closeAll(backends);
    for (const e of started.reverse()) await e.close().catch(() => undefined);
    await killHaproxyUnder(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the next run on the same database finishes both: the new listener ACTIVE without another reload, the deleted load balancer DELETED', { timeout: 90_000 }, async () => {
    const [a, c] = [await httpBackend('mid-a'), await httpBackend('mid-c')];
    backends.push(a, c);
    const first = await startFulcrum({ dataDir, databaseUrl });
    started.push(first);
    const kept = await stack(first.app, { members: [{ address: a.address, protocol_port: a.port }] });
    const gone = await stack(first.app, { members: [{ address: c.address, protocol_port: c.port }] });

    // The API commits both changes; the worker applies them on the agent (a reload for the
    // listener, the amphora's removal for the delete) and stops before finalize.
    const runtime = first.app.runtime;
    await runtime.reconciler.stop();
    runtime.deps.wake = () => undefined;
    const port2 = await freePort();
    const listener2 = (await api(first.app, 'POST', '/listeners', {
      listener: { loadbalancer_id: kept.lb.id, protocol: 'HTTP', protocol_port: port2 },
    })).listener;
    assert.equal((await first.app.req('DELETE', `/v2/lbaas/loadbalancers/${gone.lb.id}?cascade=true`, undefined, 'e2e')).status, 204);
    await runtime.dataPlane!.driver.apply((await runtime.store.graph(kept.lb.id))!);
    await runtime.dataPlane!.driver.remove((await runtime.store.graph(gone.lb.id))!);
    // Applied: the new frontend answers (503: no pool yet), the deleted VIP is closed.
    assert.equal((await httpGet(kept.vip, port2)).status, 503);
    await portClosed(gone.vip, gone.port);
    const applied = await agentStatus(first.app, kept.lb.id);
    await runtime.close();
    started.splice(started.indexOf(first), 1);

    const traffic = new Traffic(kept.vip, kept.port, 2, 15_000);
    let second: E2E;
    try {
      second = await startFulcrum({ dataDir, databaseUrl });
      started.push(second);
      const deadline = Date.now() + 10_000;
      const show = async (path: string) => second.app.req('GET', `/v2/lbaas${path}`, undefined, 'e2e');
      let lb = (await show(`/loadbalancers/${kept.lb.id}`)).body.loadbalancer;
      while (lb.provisioning_status !== 'ACTIVE' && Date.now() < deadline) {
        await sleep(50);
        lb = (await show(`/loadbalancers/${kept.lb.id}`)).body.loadbalancer;
      }
      assert.equal(lb.provisioning_status, 'ACTIVE');
      assert.equal((await show(`/listeners/${listener2.id}`)).body.listener.provisioning_status, 'ACTIVE');
      let deleted = await show(`/loadbalancers/${gone.lb.id}`);
      while (deleted.status !== 404 && deleted.body.loadbalancer.provisioning_status !== 'DELETED' && Date.now() < deadline) {
        await sleep(50);
        deleted = await show(`/loadbalancers/${gone.lb.id}`);
      }
      assert.ok(deleted.status === 404 || deleted.body.loadbalancer.provisioning_status === 'DELETED', JSON.stringify(deleted.body));
      assert.equal(await amphoraOf(second.app, gone.lb.id), undefined, 'its amphora row is gone');
    } finally {
      await traffic.stop();
    }
    const repaired = await agentStatus(second!.app, kept.lb.id);
    assert.deepEqual([repaired.master_pid, repaired.reloads, repaired.sha256], [applied.master_pid, applied.reloads, applied.sha256],
      'the repair found the bundle already serving');
    assert.deepEqual(traffic.failures(), [], `${traffic.replies.length} requests across the restart`);
    assert.deepEqual(await spread(kept.vip, kept.port, 2), { 'mid-a': 2 });
    // The freed VIP can be taken again.
    const again = (await api(second!.app, 'POST', '/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, vip_address: gone.vip } })).loadbalancer;
    await settled(second!.app, again.id);
  });
});
