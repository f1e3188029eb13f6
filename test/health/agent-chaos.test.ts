// Chaos: a `fulcrum agent` process sending heartbeats (--health) is killed with SIGKILL under
// client load. HAProxy keeps serving, the heartbeats stop; the restarted agent adopts the same
// HAProxy (same epoch in its heartbeats) and its beats are accepted (seq keeps growing).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { provisionAgent } from '../../src/amphora/pki.ts';
import type { Heartbeat } from '../../src/amphora/heartbeat.ts';
import { HeartbeatReceiver } from '../../src/health/receiver.ts';
import {
  backend, bundleOf, cleanupStateDir, clientFor, freePort, haproxyConfig, makePki, skipWithoutHaproxy, sleep, tempDir, Traffic,
} from '../amphora/kit.ts';
import type { Backend } from '../amphora/kit.ts';

const AMP = 'chaos-amp';
const KEY = 'agent-chaos-heartbeat-key';

describe('chaos: kill -9 of a heartbeating agent', { skip: skipWithoutHaproxy, timeout: 120_000 }, () => {
  const stateDir = tempDir('fhc-');
  const backends: Backend[] = [];
  let proc: ChildProcess | undefined;
  const beats: Heartbeat[] = [];
  const receiver = new HeartbeatReceiver({ listen: { host: '127.0.0.1', port: 0 }, key: KEY, log: pino({ level: 'silent' }) }, (b) => void beats.push(b));

  after(async () => {
    proc?.kill('SIGKILL');
    await receiver.close();
    for (const b of backends) await b.close();
    await cleanupStateDir(stateDir);
  });

  it('traffic keeps flowing, heartbeats stop, and resume from the adopted HAProxy after restart', async (t) => {
    const target = await receiver.start();
    const pki = makePki();
    const pkiDir = join(stateDir, 'pki');
    provisionAgent(pki.ca, pkiDir, 'agent-test', []);
    writeFileSync(join(stateDir, 'hb.key'), KEY, { mode: 0o600 });
    const agentPort = await freePort();
    const start = (): ChildProcess => spawn(process.execPath, [
      '--import', 'tsx', join(import.meta.dirname, '..', 'amphora', 'agent-process.ts'), 'agent',
      '--listen', `127.0.0.1:${agentPort}`, '--state-dir', stateDir, '--pki-dir', pkiDir, '--log-level', 'warn',
      '--health', `${target.host}:${target.port}`, '--heartbeat-key-file', join(stateDir, 'hb.key'), '--heartbeat-interval', '200',
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
    backends.push(await backend('a'));
    const port = await freePort();
    const client = clientFor(pki, `https://127.0.0.1:${agentPort}`, { retries: 30, backoffMs: 100 });
    proc = start();
    try {
      await client.applyConfig(AMP, 1, bundleOf(haproxyConfig({ frontendPort: port, servers: [{ name: 'a', port: backends[0].port }] })));
      const deadline = Date.now() + 10_000;
      while (!beats.some((b) => b.amphora_id === AMP && b.listeners.fe) && Date.now() < deadline) await sleep(50);
      const first = beats.filter((b) => b.amphora_id === AMP && b.listeners.fe).pop();
      assert.ok(first, 'heartbeats with the listener arrive');
      assert.equal(first.haproxy_up, true);
      assert.equal(first.listeners.fe.status, 'OPEN');
      assert.equal(first.pools.be.members.a.split(' ')[0], 'no');

      const traffic = new Traffic(port, 2);
      try {
        await sleep(300);
        proc.kill('SIGKILL');
        await new Promise((r) => proc!.once('exit', r));
        await sleep(300);
        const silentFrom = beats.length;
        await sleep(1000);
        assert.equal(beats.length, silentFrom, 'no heartbeat while the agent is dead');
        proc = start();
        const back = Date.now() + 15_000;
        while (beats.length === silentFrom && Date.now() < back) await sleep(50);
      } finally {
        await traffic.stop();
      }
      const resumed = beats[beats.length - 1];
      assert.ok(resumed, 'heartbeats resume');
      assert.equal(resumed.haproxy_up, true);
      assert.ok(resumed.seq > first.seq);
      assert.equal(resumed.epoch.split('/')[0], first.epoch.split('/')[0], 'the same HAProxy master (adopted)');
      assert.equal(receiver.counters.dropped.replayed, 0);
      t.diagnostic(`${traffic.replies.length} requests while the agent was killed and restarted, ${traffic.failures().length} failed`);
      assert.deepEqual(traffic.failures(), []);
    } finally {
      client.close();
    }
  });
});
