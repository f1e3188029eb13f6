// Member changes on a serving load balancer: added and removed through HAProxy's runtime API
// (no reload: the master's reload counter and the worker PID stay the same), and a health
// monitor that takes a killed member out without a single failed client request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  agentStatus, api, closeAll, firstServed, httpBackend, serverStatus, settled, skipWithoutHaproxy, sleep, spread,
  stack, startFulcrum, Traffic,
} from './kit.ts';
import type { Backend, E2E } from './kit.ts';

const T = { timeout: 60_000 };

describe('member changes on a serving load balancer', { skip: skipWithoutHaproxy, timeout: 300_000 }, () => {
  let f: E2E;
  const backends: Backend[] = [];
  const http = async (name: string) => { const b = await httpBackend(name); backends.push(b); return b; };
  const member = (b: Backend, extra: Record<string, unknown> = {}) => ({ address: b.address, protocol_port: b.port, name: b.name, ...extra });

  before(async () => { f = await startFulcrum(); });
  after(async () => {
    await closeAll(backends);
    await f?.close();
  });

  test('a member added through the API is served without a reload, within a bound', T, async (t) => {
    const [a, b] = [await http('add-a'), await http('add-b')];
    const s = await stack(f.app, { members: [member(a)] });
    const before = await agentStatus(f.app, s.lb.id);
    const traffic = new Traffic(s.vip, s.port, 2);
    try {
      const t0 = performance.now();
      await api(f.app, 'POST', `/pools/${s.pool.id}/members`, { member: member(b) });
      await firstServed(s.vip, s.port, 'add-b', 5000);
      const served = performance.now() - t0;
      t.diagnostic(`member POST → first request served by it: ${served.toFixed(0)} ms`);
      assert.ok(served < 3000, `took ${served} ms`);
    } finally {
      await traffic.stop();
    }
    await settled(f.app, s.lb.id);
    const now = await agentStatus(f.app, s.lb.id);
    assert.equal(now.reloads, before.reloads, 'no reload');
    assert.equal(now.master_pid, before.master_pid);
    assert.deepEqual(now.workers.filter((w) => !w.old).map((w) => w.pid), before.workers.filter((w) => !w.old).map((w) => w.pid));
    assert.deepEqual(traffic.failures(), [], 'no request failed while the member was added');
    assert.deepEqual(await spread(s.vip, s.port, 6), { 'add-a': 3, 'add-b': 3 });
  });

  test('a deleted member gets no more traffic, without a reload', T, async () => {
    const [a, b] = [await http('del-a'), await http('del-b')];
    const s = await stack(f.app, { members: [member(a), member(b)] });
    assert.deepEqual(await spread(s.vip, s.port, 4), { 'del-a': 2, 'del-b': 2 });
    const before = await agentStatus(f.app, s.lb.id);
    await api(f.app, 'DELETE', `/pools/${s.pool.id}/members/${s.members[1].id}`);
    await settled(f.app, s.lb.id);
    const hits = b.hits;
    assert.deepEqual(await spread(s.vip, s.port, 6), { 'del-a': 6 });
    assert.equal(b.hits, hits);
    assert.equal((await agentStatus(f.app, s.lb.id)).reloads, before.reloads, 'no reload');
    assert.deepEqual((await api(f.app, 'GET', `/pools/${s.pool.id}/members`)).members.map((m: any) => m.id), [s.members[0].id]);
  });

  test('a weight change applies at runtime', T, async () => {
    const [a, b] = [await http('wt-a'), await http('wt-b')];
    const s = await stack(f.app, { members: [member(a), member(b)] });
    const before = await agentStatus(f.app, s.lb.id);
    await api(f.app, 'PUT', `/pools/${s.pool.id}/members/${s.members[0].id}`, { member: { weight: 0 } });
    await settled(f.app, s.lb.id);
    assert.deepEqual(await spread(s.vip, s.port, 6), { 'wt-b': 6 });
    assert.equal((await agentStatus(f.app, s.lb.id)).reloads, before.reloads, 'no reload');
  });

  /** A pool of two members behind an HTTP monitor (1 s, one failure marks down), traffic running, then `kill` on the first. */
  async function killDuringTraffic(t: any, kill: (b: Backend) => Promise<void> | void, keepAlive: boolean) {
    const [a, b] = [await httpBackend('hm-a', undefined, { keepAlive }), await httpBackend('hm-b', undefined, { keepAlive })];
    backends.push(a, b);
    const s = await stack(f.app, {
      monitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1, url_path: '/' },
      members: [member(a), member(b)],
    });
    await serverStatus(f.app, s.lb.id, s.members[0].id, /^UP/);
    await serverStatus(f.app, s.lb.id, s.members[1].id, /^UP/);
    const traffic = new Traffic(s.vip, s.port, 4);
    try {
      await sleep(300);
      await kill(a);
      const down = await serverStatus(f.app, s.lb.id, s.members[0].id, /^DOWN/, 5000);
      t.diagnostic(`killed member marked DOWN after ${down.toFixed(0)} ms`);
      // Keep the clients going a while after the kill: on a loaded machine the window up to
      // DOWN may hold only a few dozen requests.
      const deadline = Date.now() + 10_000;
      await sleep(300);
      while (traffic.replies.length <= 60 && Date.now() < deadline) await sleep(50);
    } finally {
      await traffic.stop();
    }
    t.diagnostic(`${traffic.replies.length} requests during the kill, ${traffic.failures().length} failed`);
    assert.ok(traffic.replies.length > 50, `only ${traffic.replies.length} requests ran`);
    assert.deepEqual(await spread(s.vip, s.port, 4), { 'hm-b': 4 });
    return traffic;
  }

  test('an HTTP health monitor takes a member that stopped listening out, and no client request fails', T, async (t) => {
    // The member refuses new connections (its process is gone from the port) and answers what it had accepted.
    const traffic = await killDuringTraffic(t, (b) => b.stopListening(), false);
    assert.deepEqual(traffic.failures(), []);
  });

  test('a hard-killed member costs at most the requests it had in flight', T, async (t) => {
    // Every connection is cut at once, mid-request too: those requests fail (HAProxy does not
    // resend a request a server already received); every later one is redispatched or goes to the other member.
    const traffic = await killDuringTraffic(t, (b) => b.close(), true);
    assert.ok(traffic.failures().length <= 4, `${traffic.failures().length} failures with 4 client loops`);
  });

});
