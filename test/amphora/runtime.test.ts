// Member-only changes through the runtime API: add a server, set its weight to 0, drain,
// remove, each checked with real requests while traffic runs, and with no reload (the
// master's reload counter and the worker PID stay the same). A failing command falls back to
// a reload of the new file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentClient } from '../../src/amphora/client.ts';
import { AgentRequestError } from '../../src/amphora/client.ts';
import type { RunningAgent } from '../../src/amphora/agent/server.ts';
import type { ApplyResult } from '../../src/amphora/protocol.ts';
import {
  backend, bundleOf, cleanupStateDir, clientFor, fetchOnce, firstServed, freePort, haproxyConfig, makePki, runAgent,
  skipWithoutHaproxy, tempDir, Traffic,
} from './kit.ts';
import type { Backend, ConfigOptions } from './kit.ts';

const AMP = 'b1e2c3d4-0000-4000-8000-00000000a001';

/** Which backends answered `n` requests. */
async function spread(port: number, n = 12): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await fetchOnce(port);
    assert.equal(r.status, 200);
    seen[r.backend] = (seen[r.backend] ?? 0) + 1;
  }
  return seen;
}

describe('runtime changes without reload', { skip: skipWithoutHaproxy, timeout: 120_000 }, () => {
  const pki = makePki();
  const stateDir = tempDir();
  let agent: RunningAgent;
  let client: AgentClient;
  let a: Backend;
  let b: Backend;
  let port: number;
  let first: ApplyResult;
  let traffic: Traffic;
  const cfg = (servers: ConfigOptions['servers']) => haproxyConfig({ frontendPort: port, servers });

  before(async () => {
    [a, b, port] = await Promise.all([backend('a'), backend('b'), freePort()]);
    agent = await runAgent(pki, stateDir);
    client = clientFor(pki, agent.url);
    first = await client.applyConfig(AMP, 1, bundleOf(cfg([{ name: 's1', port: a.port }])));
    await firstServed(port, 'a');
    traffic = new Traffic(port, 2);
  });
  after(async () => {
    await traffic?.stop();
    client?.close();
    await agent?.close();
    await cleanupStateDir(stateDir);
    await Promise.all([a?.close(), b?.close()]);
  });

  async function assertNoReload(res: ApplyResult): Promise<void> {
    assert.equal(res.reloads, first.reloads, 'the master did not reload');
    assert.equal(res.worker_pid, first.worker_pid, 'the same worker serves');
    const status = await client.status(AMP);
    assert.equal(status.reloads, first.reloads);
    assert.equal(status.generation, res.generation);
  }

  it('adds a server: traffic reaches it at once', async (t) => {
    const t0 = performance.now();
    const res = await client.applyRuntime(AMP, 2, bundleOf(cfg([{ name: 's1', port: a.port }, { name: 's2', port: b.port }])), [
      `add server be/s2 127.0.0.1:${b.port}`,
      'enable server be/s2',
    ]);
    const served = await firstServed(port, 'b');
    t.diagnostic(`runtime add server → first request served by it: ${(performance.now() - t0).toFixed(0)} ms (agent ${res.duration_ms} ms: ${JSON.stringify(res.timings)})`);
    assert.equal(res.action, 'runtime');
    assert.deepEqual(res.runtime?.map((r) => r.ok), [true, true]);
    assert.match(res.runtime?.[0].answer ?? '', /New server registered/);
    assert.ok(served >= 0);
    await assertNoReload(res);
    const seen = await spread(port);
    assert.ok(seen.a > 0 && seen.b > 0, JSON.stringify(seen));
    const file = readFileSync(join(stateDir, 'amphorae', AMP, 'conf', 'haproxy.cfg'), 'utf8');
    assert.match(file, new RegExp(`server s2 127\\.0\\.0\\.1:${b.port}`), 'the file says what runs');
  });

  it('sets a weight to 0: the server gets no new requests', async () => {
    const res = await client.applyRuntime(AMP, 3, bundleOf(cfg([{ name: 's1', port: a.port, weight: 0 }, { name: 's2', port: b.port }])), [
      'set weight be/s1 0',
    ]);
    assert.equal(res.action, 'runtime');
    await assertNoReload(res);
    assert.deepEqual(await spread(port), { b: 12 });
  });

  it('drains a server: the other one takes every request', async () => {
    const res = await client.applyRuntime(AMP, 4, bundleOf(cfg([{ name: 's1', port: a.port }, { name: 's2', port: b.port, weight: 0 }])), [
      'set weight be/s1 1',
      'set server be/s2 state drain',
    ]);
    assert.equal(res.action, 'runtime');
    await assertNoReload(res);
    assert.deepEqual(await spread(port), { a: 12 });
    const s2 = (await client.status(AMP)).stats.find((r) => r.proxy === 'be' && r.name === 's2');
    assert.match(s2?.status ?? '', /DRAIN/);
  });

  it('removes a server (maint, shutdown sessions, del)', async () => {
    const res = await client.applyRuntime(AMP, 5, bundleOf(cfg([{ name: 's1', port: a.port }])), [
      'set server be/s2 state maint',
      'shutdown sessions server be/s2',
      'del server be/s2',
    ]);
    assert.equal(res.action, 'runtime');
    assert.match(res.runtime?.[2].answer ?? '', /Server deleted/);
    await assertNoReload(res);
    assert.deepEqual(await spread(port), { a: 12 });
    const names = (await client.status(AMP)).stats.filter((r) => r.proxy === 'be').map((r) => r.name);
    assert.deepEqual(names.sort(), ['BACKEND', 's1']);
  });

  it('served every request while the runtime changes ran', async () => {
    const replies = await traffic.stop();
    assert.ok(replies.length > 50, `${replies.length} requests`);
    assert.deepEqual(traffic.failures(), []);
  });

  it('falls back to a reload of the new file when a command fails', async () => {
    const res = await client.applyRuntime(AMP, 6, bundleOf(cfg([{ name: 's1', port: a.port }, { name: 's3', port: b.port }])), [
      'set weight be/no-such-server 5',
      `add server be/s3 127.0.0.1:${b.port}`,
    ]);
    assert.equal(res.action, 'runtime-fallback');
    assert.equal(res.runtime?.length, 1, 'stops at the first failure');
    assert.equal(res.runtime?.[0].ok, false);
    assert.match(res.runtime?.[0].answer ?? '', /No such server/);
    assert.equal(res.reloads, first.reloads + 1);
    await firstServed(port, 'b');
    const status = await client.status(AMP);
    assert.equal(status.generation, 6);
    assert.ok(status.stats.some((r) => r.name === 's3'));
  });

  it('refuses a runtime bundle haproxy -c rejects and undoes its commands', async () => {
    // The commands run before the check (they must not wait for it); a refused file puts
    // HAProxy back to the installed file with the servers' state from before the commands.
    const before = await client.status(AMP);
    const broken = cfg([{ name: 's1', port: a.port }]).replace('balance roundrobin', 'balance nonsense');
    const err = await client.applyRuntime(AMP, 7, bundleOf(broken), ['set weight be/s1 0']).catch((e) => e);
    assert.ok(err instanceof AgentRequestError);
    assert.equal(err.status, 422);
    const after = await client.status(AMP);
    assert.equal(after.generation, before.generation);
    assert.equal(after.stats.find((r) => r.name === 's1')?.weight, 1, 'the command was undone');
    assert.doesNotMatch(readFileSync(join(stateDir, 'amphorae', AMP, 'conf', 'haproxy.cfg'), 'utf8'), /nonsense/);
  });

  it('applies the bundle whole when it no longer serves the base the commands were computed from', async () => {
    const before = await client.status(AMP);
    const res = await client.applyRuntime(AMP, 8, bundleOf(cfg([{ name: 's1', port: a.port, weight: 3 }])), ['set weight be/s1 3'], 'ab'.repeat(32));
    assert.equal(res.action, 'reloaded');
    assert.equal(res.runtime, undefined, 'no command ran');
    assert.equal(res.reloads, before.reloads + 1);
    assert.equal((await client.status(AMP)).stats.find((r) => r.name === 's1')?.weight, 3, 'the file says weight 3');
  });

  it('refuses multi-line commands with 400', async () => {
    const err = await client.applyRuntime(AMP, 9, bundleOf(cfg([{ name: 's1', port: a.port }])), ['set weight be/s1 1\nshutdown frontend fe']).catch((e) => e);
    assert.ok(err instanceof AgentRequestError);
    assert.equal(err.status, 400);
  });

  it('starts HAProxy from the bundle when nothing answers on the stats socket any more', async () => {
    const dead = await client.status(AMP);
    for (const pid of [dead.master_pid!, ...dead.workers.map((w) => w.pid)]) process.kill(pid, 'SIGKILL');
    while ((await client.status(AMP)).running) await new Promise((r) => setTimeout(r, 20));
    const res = await client.applyRuntime(AMP, 10, bundleOf(cfg([{ name: 's1', port: a.port }, { name: 's2', port: b.port }])), [
      `add server be/s2 127.0.0.1:${b.port}`,
      'enable server be/s2',
    ], (await client.status(AMP)).sha256);
    assert.equal(res.action, 'started');
    assert.notEqual(res.master_pid, dead.master_pid);
    await firstServed(port, 'b');
  });
});
