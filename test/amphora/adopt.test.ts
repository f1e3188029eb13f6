// Re-adoption: HAProxy runs detached from the agent, so closing the agent (or killing its
// process) leaves traffic flowing, and the next agent on the same state dir adopts the running
// master without restarting it. An amphora whose HAProxy died is started again from its
// last-known-good bundle.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { provisionAgent } from '../../src/amphora/pki.ts';
import type { RunningAgent } from '../../src/amphora/agent/server.ts';
import {
  backend, bundleOf, cleanupStateDir, clientFor, firstServed, freePort, haproxyConfig, haproxyPids, makePki, runAgent,
  skipWithoutHaproxy, sleep, tempDir, Traffic,
} from './kit.ts';
import type { Backend } from './kit.ts';

const AMP = 'c0ffee00-0000-4000-8000-0000000000ad';

describe('the agent re-adopts running HAProxy processes', { skip: skipWithoutHaproxy, timeout: 120_000 }, () => {
  const pki = makePki();
  const stateDir = tempDir();
  let a: Backend;
  let b: Backend;
  let port: number;
  let agent: RunningAgent | undefined;

  before(async () => {
    [a, b, port] = await Promise.all([backend('a'), backend('b'), freePort()]);
  });
  after(async () => {
    await agent?.close();
    await cleanupStateDir(stateDir);
    await Promise.all([a?.close(), b?.close()]);
  });

  it('closing the agent leaves HAProxy serving; a new agent adopts it and can reload it', async () => {
    agent = await runAgent(pki, stateDir);
    let client = clientFor(pki, agent.url);
    const first = await client.applyConfig(AMP, 1, bundleOf(haproxyConfig({ frontendPort: port, servers: [{ name: 's1', port: a.port }] })));
    await firstServed(port, 'a');
    const traffic = new Traffic(port, 2);
    try {
      client.close();
      await agent.close();
      agent = undefined;
      await sleep(300);
      assert.ok(haproxyPids(stateDir).includes(first.master_pid), 'the master outlives the agent');

      agent = await runAgent(pki, stateDir);
      client = clientFor(pki, agent.url);
      const status = await client.status(AMP);
      assert.equal(status.running, true);
      assert.equal(status.master_pid, first.master_pid, 'adopted, not restarted');
      assert.equal(status.reloads, first.reloads);
      assert.equal(status.generation, 1);

      const res = await client.applyConfig(AMP, 2, bundleOf(haproxyConfig({ frontendPort: port, servers: [{ name: 's1', port: b.port }] })));
      assert.equal(res.action, 'reloaded');
      assert.equal(res.master_pid, first.master_pid);
      await firstServed(port, 'b');
    } finally {
      await traffic.stop();
      client.close();
    }
    assert.ok(traffic.replies.length > 20);
    assert.deepEqual(traffic.failures(), [], 'traffic never stopped');
  });

  it('an agent whose HAProxy died starts it again from the last-known-good bundle', async () => {
    await agent?.close();
    agent = undefined;
    for (const pid of haproxyPids(stateDir)) process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && haproxyPids(stateDir).length; i++) await sleep(20);
    assert.deepEqual(haproxyPids(stateDir), []);

    agent = await runAgent(pki, stateDir);
    const client = clientFor(pki, agent.url);
    try {
      const status = await client.status(AMP);
      assert.equal(status.running, true);
      assert.equal(status.generation, 2);
      await firstServed(port, 'b');
    } finally {
      client.close();
    }
  });

  it('a `fulcrum agent` process killed with SIGKILL leaves HAProxy serving; the next one adopts it', async () => {
    await agent?.close();
    agent = undefined;
    const pkiDir = join(stateDir, 'pki');
    provisionAgent(pki.ca, pkiDir, 'agent-test', []);
    const agentPort = await freePort();
    const startProcess = (): ChildProcess => spawn(process.execPath, [
      '--import', 'tsx', join(import.meta.dirname, 'agent-process.ts'), 'agent',
      '--listen', `127.0.0.1:${agentPort}`, '--state-dir', stateDir, '--pki-dir', pkiDir, '--log-level', 'warn',
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
    const client = clientFor(pki, `https://127.0.0.1:${agentPort}`, { retries: 12, backoffMs: 100 });
    let proc = startProcess();
    const traffic = new Traffic(port, 2);
    try {
      const before = await client.status(AMP);
      assert.equal(before.running, true);
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
      await sleep(300);
      assert.ok(haproxyPids(stateDir).includes(before.master_pid!), 'HAProxy survives the agent process');
      proc = startProcess();
      const after = await client.status(AMP);
      assert.equal(after.master_pid, before.master_pid);
      assert.equal(after.reloads, before.reloads);
    } finally {
      await traffic.stop();
      client.close();
      proc.kill('SIGKILL');
    }
    assert.ok(traffic.replies.length > 10);
    assert.deepEqual(traffic.failures(), []);
  });
});
