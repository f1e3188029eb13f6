// UDP listeners on ACTIVE_STANDBY amphorae in network namespaces: the agent serves them with
// its UDP engine in a child process inside each amphora's namespace (udp-process.ts). Real UDP
// members in member namespaces, a real client namespace sending to the VIP: both members
// answer, the counters move, a killed engine process is started again and serves, and when
// the VIP holder's HAProxy dies the VIP moves and the peer's engine (bound beforehand, with
// ip_nonlocal_bind) answers. Root only: elsewhere it skips and says why (in CI it must run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as ipcmd from '../../src/drivers/netns/ip.ts';
import { netnsSkip, startLab, vipHolders, waitFor } from './lab.ts';
import type { Lab } from './lab.ts';
import { activeStandbyFlavor, fail } from './failover.ts';

const skip = netnsSkip();
const ROOT = join(import.meta.dirname, '../..');
const PORT = 5353;
const MEMBERS = [{ name: 'u1', address: '198.18.0.52' }, { name: 'u2', address: '198.18.0.53' }];
const CLIENT = '198.18.0.64';

async function udpMember(lab: Lab, name: string, address: string): Promise<void> {
  const ns = `${lab.prefix}-${name}`;
  await ipcmd.addNamespace(ns);
  await lab.network.plug(ns, lab.networkId, 'eth0', address);
  lab.spawnIn(ns, name, [process.execPath, '--import', 'tsx', 'test/netns/udp-peer.ts', 'serve', name, address, String(PORT)]);
  await waitFor(() => readFileSync(join(lab.dir, `${name}.log`), 'utf8').includes('listening'), 10_000, `UDP member ${name}`);
}

/** `count` datagrams to the VIP from the client namespace, each from its own socket: the replies. */
async function ask(lab: Lab, vip: string, count: number, timeoutMs = 1000): Promise<(string | null)[]> {
  const { stdout } = await promisify(execFile)('ip', [
    'netns', 'exec', `${lab.prefix}-c`, process.execPath, '--import', 'tsx', 'test/netns/udp-peer.ts', 'ask', vip, String(PORT), String(count), String(timeoutMs),
  ], { cwd: ROOT });
  return JSON.parse(stdout) as (string | null)[];
}

const answeredBy = (replies: (string | null)[]) => new Set(replies.filter((r): r is string => r !== null).map((r) => r.split(':')[0]));

async function api(lab: Lab, method: string, path: string, body?: unknown): Promise<any> {
  const res = await lab.app.req(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** PIDs of the UDP engine processes in the amphora's namespace. */
async function enginePids(lab: Lab, computeId: string): Promise<number[]> {
  const pids = await ipcmd.namespacePids(lab.compute.namespaceOf(computeId));
  return pids.filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('udp-child');
    } catch {
      return false;
    }
  });
}

/** An ACTIVE_STANDBY load balancer with a UDP listener → ROUND_ROBIN pool on both members; ACTIVE. */
async function udpStack(lab: Lab, flavorId: string): Promise<{ lb: any; ids: string[] }> {
  const created = (await api(lab, 'POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: {
      vip_subnet_id: lab.subnetId, flavor_id: flavorId,
      listeners: [{
        protocol: 'UDP', protocol_port: PORT,
        default_pool: {
          name: 'udp-pool', protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN',
          members: MEMBERS.map((m) => ({ address: m.address, protocol_port: PORT, subnet_id: lab.subnetId })),
        },
      }],
    },
  })).loadbalancer;
  await lab.app.settle();
  const lb = (await api(lab, 'GET', `/v2/lbaas/loadbalancers/${created.id}`)).loadbalancer;
  assert.equal(lb.provisioning_status, 'ACTIVE', `load balancer is ${lb.provisioning_status}`);
  const ids: string[] = (await api(lab, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).amphorae.map((a: any) => a.compute_id as string);
  assert.equal(ids.length, 2);
  return { lb, ids };
}

test('ACTIVE_STANDBY on netns: UDP listeners served by an engine process in each amphora namespace', { skip, timeout: 180_000 }, async (t) => {
  let lab: Lab | undefined;
  try {
    lab = await startLab({ hosts: 2 });
    for (const m of MEMBERS) await udpMember(lab, m.name, m.address);
    await lab.client([CLIENT]);
    const flavorId = await activeStandbyFlavor(lab);
    const { lb, ids } = await udpStack(lab, flavorId);
    const listenerId = lb.listeners[0].id as string;
    const listener = (await api(lab, 'GET', `/v2/lbaas/listeners/${listenerId}`)).listener;
    assert.equal(listener.provisioning_status, 'ACTIVE');
    const holder = (await waitFor(async () => {
      const h = await vipHolders(lab!, ids, lb.vip_address);
      return h.length === 1 ? h : undefined;
    }, 10_000, 'one amphora holding the VIP') as string[])[0];
    const peer = ids.find((id) => id !== holder)!;
    for (const id of ids) assert.equal((await enginePids(lab, id)).length, 1, `one UDP engine process in ${id}'s namespace`);

    await t.test('datagrams to the VIP are answered by both members, round robin', async () => {
      const replies = await ask(lab!, lb.vip_address, 8);
      assert.equal(replies.filter((r) => r === null).length, 0, `unanswered: ${JSON.stringify(replies)}`);
      assert.deepEqual([...answeredBy(replies)].sort(), ['u1', 'u2']);
      assert.ok(replies.every((r, i) => r!.endsWith(`:ping${i}`)), 'each flow gets its own reply');
    });

    await t.test('the counters move: agent status rows and the listener statistics from heartbeats', async () => {
      // The agent answers the rows its engine process last sent (every 250 ms).
      const status = await waitFor(async () => {
        const s = await lab!.compute.agentFor(holder).status(holder);
        const f = s.stats.find((r) => r.type === 'frontend' && r.proxy === listenerId);
        return f && f.stot >= 8 && f.bin > 0 && f.bout > 0 ? s : undefined;
      }, 5000, 'the FRONTEND row of the UDP listener counting the 8 flows');
      const members = status!.stats.filter((s) => s.type === 'server');
      assert.equal(members.length, 2);
      assert.ok(members.every((m) => m.stot > 0), JSON.stringify(members));
      const stats = await waitFor(async () => {
        const s = (await api(lab!, 'GET', `/v2/lbaas/listeners/${listenerId}/stats`)).stats;
        return s.total_connections > 0 && s.bytes_in > 0 ? s : undefined;
      }, 10_000, 'listener statistics from heartbeats');
      t.diagnostic(`listener stats: ${JSON.stringify(stats)}`);
    });

    await t.test('a killed engine process is started again by the agent and serves', async () => {
      const [pid] = await enginePids(lab!, holder);
      process.kill(pid, 'SIGKILL');
      const t0 = Date.now();
      const next = await waitFor(async () => {
        const pids = await enginePids(lab!, holder);
        return pids.length === 1 && pids[0] !== pid ? pids[0] : undefined;
      }, 10_000, 'a new UDP engine process');
      const replies = await waitFor(async () => {
        const r = await ask(lab!, lb.vip_address, 4, 500);
        return r.every((x) => x !== null) ? r : undefined;
      }, 10_000, 'UDP answered after the restart') as (string | null)[];
      t.diagnostic(`engine ${pid} killed, ${next} serving after ${Date.now() - t0} ms`);
      assert.equal(answeredBy(replies).size, 2);
      const log = readFileSync(join(lab!.dir, `agent-h${lab!.hosts.findIndex((h) => h.managementIp === lab!.compute.hostOf(holder).managementIp) + 1}.log`), 'utf8');
      assert.match(log, /agent\.udp\.process_exited/);
      assert.match(log, /agent\.udp\.process_restarted/);
    });

    await t.test("the VIP holder's HAProxy dies: the VIP moves and the peer's engine answers", async () => {
      await fail(lab!, 'haproxy', holder);
      const t0 = Date.now();
      await waitFor(async () => (await vipHolders(lab!, ids, lb.vip_address)).join() === peer, 10_000, 'the VIP on the peer');
      const replies = await waitFor(async () => {
        const r = await ask(lab!, lb.vip_address, 8, 500);
        return r.every((x) => x !== null) ? r : undefined;
      }, 10_000, 'UDP answered through the peer') as (string | null)[];
      t.diagnostic(`UDP answered through the peer ${Date.now() - t0} ms after the HAProxy kill`);
      assert.deepEqual([...answeredBy(replies)].sort(), ['u1', 'u2']);
      await waitFor(async () => {
        const s = await lab!.compute.agentFor(peer).status(peer);
        const f = s.stats.find((r) => r.type === 'frontend' && r.proxy === listenerId);
        return f && f.stot >= 8;
      }, 5000, "the peer's engine counting the flows it carried");
    });

    await t.test('deleting the load balancer ends both engine processes', async () => {
      await api(lab!, 'DELETE', `/v2/lbaas/loadbalancers/${lb.id}?cascade=true`);
      await lab!.app.settle();
      for (const id of ids) assert.deepEqual(await enginePids(lab!, id), []);
    });

    await t.test('an agent killed with SIGKILL leaves no engine process behind (its IPC channel closes)', async () => {
      const second = await udpStack(lab!, flavorId);
      const host = lab!.hosts[0];
      const mine = second.ids.find((id) => lab!.compute.hostOf(id).managementIp === host.managementIp)!;
      assert.equal((await enginePids(lab!, mine)).length, 1);
      process.kill(host.agent.pid!, 'SIGKILL');
      await waitFor(async () => (await enginePids(lab!, mine)).length === 0, 5000, 'the engine process exiting with its agent');
    });
  } finally {
    await lab?.close();
  }
});
