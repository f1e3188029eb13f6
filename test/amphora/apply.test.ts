// Applying bundles through the agent with the real HAProxy: first start, hitless reload under
// traffic, a refused config, a reload that fails and is rolled back, stale generations,
// status statistics and delete.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AgentClient } from '../../src/amphora/client.ts';
import { AgentRequestError } from '../../src/amphora/client.ts';
import type { RunningAgent } from '../../src/amphora/agent/server.ts';
import {
  backend, bundleOf, cleanupStateDir, clientFor, fetchOnce, firstServed, freePort, haproxyConfig, haproxyPids, makePki,
  runAgent, skipWithoutHaproxy, tempDir, Traffic,
} from './kit.ts';
import type { Backend } from './kit.ts';

const AMP = '6f3f5b3e-0d1c-4e55-9d7e-0a1b2c3d4e5f';

describe('agent applies bundles to a real HAProxy', { skip: skipWithoutHaproxy, timeout: 120_000 }, () => {
  const pki = makePki();
  const stateDir = tempDir();
  let agent: RunningAgent;
  let client: AgentClient;
  let a: Backend;
  let b: Backend;
  let port: number;

  before(async () => {
    [a, b, port] = await Promise.all([backend('a'), backend('b'), freePort()]);
    agent = await runAgent(pki, stateDir);
    client = clientFor(pki, agent.url);
  });
  after(async () => {
    client?.close();
    await agent?.close();
    await cleanupStateDir(stateDir);
    await Promise.all([a?.close(), b?.close()]);
  });

  it('reports its version, host and maxconn budget', async () => {
    const info = await client.info();
    assert.equal(info.api_version, 'v1');
    assert.match(info.haproxy_version, /^2\./);
    assert.ok(info.fd_limit > 0);
    assert.ok(info.maxconn_budget > 0 && info.maxconn_budget * 2 < info.fd_limit);
  });

  it('starts HAProxy on the first bundle and serves real requests', async (t) => {
    const t0 = performance.now();
    const res = await client.applyConfig(AMP, 1, bundleOf(haproxyConfig({ frontendPort: port, servers: [{ name: 's1', port: a.port }] })));
    const served = await firstServed(port, 'a');
    t.diagnostic(`PUT config → first served request (new HAProxy): ${(performance.now() - t0).toFixed(0)} ms (agent ${res.duration_ms} ms ${JSON.stringify(res.timings)} + ${served.toFixed(0)} ms)`);
    assert.equal(res.action, 'started');
    assert.equal(res.generation, 1);
    assert.ok(res.worker_pid);
    const dir = join(stateDir, 'amphorae', AMP);
    assert.equal(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).generation, 1);
    assert.ok(existsSync(join(dir, 'conf', 'haproxy.sock')), 'the stats socket is created relative to the config directory');
    const list = await client.list();
    assert.deepEqual(list.map((x) => [x.amphora_id, x.running, x.generation]), [[AMP, true, 1]]);
  });

  it('answers the same bundle again as unchanged, without a reload', async () => {
    const before = await client.status(AMP);
    const res = await client.applyConfig(AMP, 2, bundleOf(haproxyConfig({ frontendPort: port, servers: [{ name: 's1', port: a.port }] })));
    assert.equal(res.action, 'unchanged');
    const after = await client.status(AMP);
    assert.equal(after.reloads, before.reloads);
    assert.equal(after.generation, 2);
  });

  it('moves traffic to a new backend by hitless reload with zero failed requests', async (t) => {
    const traffic = new Traffic(port, 4);
    await firstServed(port, 'a');
    const before = await client.status(AMP);
    const res = await client.applyConfig(AMP, 3, bundleOf(haproxyConfig({ frontendPort: port, servers: [{ name: 's1', port: b.port }] })));
    const moved = await firstServed(port, 'b');
    await new Promise((r) => setTimeout(r, 300));
    await traffic.stop();
    t.diagnostic(`reload: agent ${res.duration_ms} ms ${JSON.stringify(res.timings)}; ${traffic.replies.length} requests, longest gap between successes ${traffic.longestGap().toFixed(1)} ms; traffic on b ${moved.toFixed(0)} ms after the answer`);
    assert.equal(res.action, 'reloaded');
    assert.equal(res.reloads, before.reloads + 1);
    assert.notEqual(res.worker_pid, before.workers.find((w) => !w.old)?.pid);
    assert.deepEqual(traffic.failures(), [], 'no request may fail during a reload');
    const last = traffic.replies.slice(-20);
    assert.ok(last.every((r) => r.backend === 'b'), 'after the reload only b serves');
  });

  it('refuses a config haproxy -c rejects with its error text, and keeps serving the old one', async () => {
    const before = await client.status(AMP);
    const broken = haproxyConfig({ frontendPort: port, servers: [{ name: 's1', port: a.port }], backendLines: ['balance no-such-algorithm'] });
    const err = await client.applyConfig(AMP, 4, bundleOf(broken)).catch((e) => e);
    assert.ok(err instanceof AgentRequestError);
    assert.equal(err.status, 422);
    assert.equal(err.body.code, 'config_invalid');
    assert.match(err.body.detail ?? '', /haproxy\.cfg:\d+.*balance/);
    const after = await client.status(AMP);
    assert.equal(after.generation, 3);
    assert.equal(after.reloads, before.reloads);
    assert.equal((await fetchOnce(port)).backend, 'b');
    assert.match(readFileSync(join(stateDir, 'amphorae', AMP, 'conf', 'haproxy.cfg'), 'utf8'), new RegExp(`:${b.port}\\b`));
  });

  it('rolls back to the last-known-good bundle when the reload itself fails', async () => {
    // haproxy -c accepts a second bind on a port someone else holds; the reload cannot bind it.
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const takenPort = (taken.address() as { port: number }).port;
    try {
      const cfg = haproxyConfig({ frontendPort: port, servers: [{ name: 's1', port: a.port }] })
        .replace(`  bind 127.0.0.1:${port}\n`, `  bind 127.0.0.1:${port}\n  bind 127.0.0.1:${takenPort}\n`);
      const err = await client.applyConfig(AMP, 5, bundleOf(cfg)).catch((e) => e);
      assert.ok(err instanceof AgentRequestError, String(err));
      assert.equal(err.status, 500);
      assert.equal(err.body.code, 'apply_failed');
      assert.equal(err.body.rolled_back, true);
      assert.match(err.body.detail ?? '', /Address already in use|cannot bind/);
      const status = await client.status(AMP);
      assert.equal(status.generation, 3);
      assert.equal(status.running, true);
      assert.equal(status.failed_reloads, 0, 'the rollback reload succeeded');
      assert.equal((await fetchOnce(port)).backend, 'b');
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });

  it('refuses an older generation with 409', async () => {
    const err = await client.applyConfig(AMP, 2, bundleOf(haproxyConfig({ frontendPort: port, servers: [{ name: 's1', port: a.port }] }))).catch((e) => e);
    assert.ok(err instanceof AgentRequestError);
    assert.equal(err.status, 409);
    assert.equal(err.body.code, 'stale_generation');
  });

  it('reports show stat rows with counters', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await fetchOnce(port)).status, 200);
    const status = await client.status(AMP);
    const fe = status.stats.find((r) => r.type === 'frontend' && r.proxy === 'fe');
    const srv = status.stats.find((r) => r.type === 'server' && r.proxy === 'be' && r.name === 's1');
    const be = status.stats.find((r) => r.type === 'backend' && r.proxy === 'be');
    assert.ok(fe && srv && be, JSON.stringify(status.stats));
    assert.equal(fe.status, 'OPEN');
    assert.equal(srv.status, 'no check', 'UP without health checks');
    assert.ok(fe.stot >= 5 && fe.bin > 0 && fe.bout > 0);
    assert.ok(srv.stot >= 5);
    assert.equal(typeof srv.check_status, 'string');
  });

  it('writes bundle files with their modes and removes files a later bundle drops', async () => {
    const cfg = haproxyConfig({ frontendPort: port, servers: [{ name: 's1', port: b.port }] });
    await client.applyConfig(AMP, 6, bundleOf(cfg, [{ path: 'certs/secret.pem', content: 'x', mode: 0o600 }]));
    const secret = join(stateDir, 'amphorae', AMP, 'conf', 'certs', 'secret.pem');
    assert.equal(statSync(secret).mode & 0o777, 0o600);
    await client.applyConfig(AMP, 7, bundleOf(cfg));
    assert.equal(existsSync(secret), false);
  });

  it('answers 400 for malformed bodies and 404 for unknown amphorae', async () => {
    const bad = [
      {},
      { generation: -1, bundle: bundleOf('x') },
      { generation: 1, bundle: { files: [], sha256: 'a'.repeat(64) } },
      { generation: 1, bundle: { files: [{ path: '../etc/passwd', content: '' }, { path: 'haproxy.cfg', content: '' }], sha256: 'a'.repeat(64) } },
      { generation: 1, bundle: { files: [{ path: 'x.pem', content: '' }], sha256: 'a'.repeat(64) } },
      { generation: 1, bundle: { files: [{ path: 'haproxy.cfg', content: '' }], sha256: 'nothex' } },
      { generation: 1, bundle: bundleOf('x'), extra: true },
    ];
    for (const body of bad) {
      const err = await (client as any).call('PUT', `/v1/amphorae/${AMP}/config`, body).catch((e: unknown) => e);
      assert.ok(err instanceof AgentRequestError, JSON.stringify(body));
      assert.equal(err.status, 400, JSON.stringify(body));
    }
    const missing = await client.status('0b0b0b0b-0000-4000-8000-000000000000').catch((e) => e);
    assert.equal(missing.status, 404);
    const badId = await client.status('..').catch((e) => e);
    assert.ok([400, 404].includes(badId.status));
  });

  it('DELETE stops HAProxy and removes its files', async () => {
    const pids = haproxyPids(stateDir);
    assert.ok(pids.length >= 2, 'master and worker run');
    await client.remove(AMP);
    assert.deepEqual(haproxyPids(stateDir), []);
    assert.equal(existsSync(join(stateDir, 'amphorae', AMP)), false);
    assert.equal((await fetchOnce(port, 500)).status, 0, 'the frontend is gone');
    assert.deepEqual(await client.list(), []);
    await client.remove(AMP); // idempotent
  });
});
