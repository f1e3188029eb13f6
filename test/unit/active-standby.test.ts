// The ACTIVE_STANDBY placement rules without namespaces: ids and VRRP fields derived from the
// load balancer, MASTER/BACKUP on two hosts, vrrp_ips from the top of the subnet, the
// per-amphora render context; and the netns module refusing names Fulcrum did not make.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/store/kysely.ts';
import type { LoadBalancer } from '../../src/domain/entities.ts';
import type { AgentClient } from '../../src/amphora/client.ts';
import { amphoraIdFor, ensurePair, pairContext, keepalivedFile, PRIORITY, vrrpIdOf } from '../../src/worker/active-standby.ts';
import type { PluggingCompute } from '../../src/worker/active-standby.ts';
import * as ipcmd from '../../src/drivers/netns/ip.ts';

/** A compute that records placements and plugs, with two hosts and anti-affinity as netns does it. */
class FakeCompute implements PluggingCompute {
  readonly name = 'fake';
  readonly plugged: string[] = [];
  readonly hosts = ['10.0.0.1', '10.0.0.2'];
  private n = 0;
  place(id: string, avoid: string[] = []) {
    const host = this.hosts.filter((h) => !avoid.includes(h))[this.n++ % (this.hosts.length - avoid.length)];
    return { computeId: id, lbNetworkIp: host, certExpiration: null };
  }
  async plug(computeId: string, _networkId: string, cidr: string, ip: string) {
    this.plugged.push(`${computeId}:${cidr}:${ip}`);
  }
  agentFor(): AgentClient {
    throw new Error('not used');
  }
  async info(): Promise<never> {
    throw new Error('not used');
  }
  readonly deleted: string[] = [];
  /** Ids whose removal fails (an amphora that cannot be removed yet). */
  readonly stuck = new Set<string>();
  async delete(computeId: string) {
    if (this.stuck.has(computeId)) throw new Error(`${computeId} cannot be removed now`);
    this.deleted.push(computeId);
  }
}

async function fixture() {
  const store = await openStore('sqlite::memory:');
  const created = new Date().toISOString();
  await store.transaction((tx) => tx.insertNetwork(
    { id: 'net', project_id: '', name: 'n', created_at: created },
    [{ id: 'sub', network_id: 'net', project_id: '', name: 's', cidr: '198.18.0.0/24', ip_version: 4, gateway_ip: '198.18.0.1', created_at: created }],
  ));
  const lb = {
    id: '11111111-2222-4333-8444-555555555555', vip_address: '198.18.0.2', vip_subnet_id: 'sub', vip_network_id: 'net',
    vip_port_id: 'port', additional_vips: [], availability_zone: null, topology: 'ACTIVE_STANDBY',
  } as unknown as LoadBalancer;
  return { store, lb };
}

test('a pair: MASTER and BACKUP on two hosts, derived ids, shared VRRP id, priorities one apart, addresses from the top', async () => {
  const { store, lb } = await fixture();
  const compute = new FakeCompute();
  const pair = await ensurePair(store, compute, lb);
  assert.equal(pair.master.id, amphoraIdFor(lb.id, 'MASTER'));
  assert.equal(pair.backup.id, amphoraIdFor(lb.id, 'BACKUP'));
  assert.notEqual(pair.master.lb_network_ip, pair.backup.lb_network_ip);
  assert.equal(pair.master.vrrp_id, vrrpIdOf(lb.id));
  assert.equal(pair.backup.vrrp_id, pair.master.vrrp_id);
  assert.equal(pair.master.vrrp_priority, PRIORITY.MASTER);
  assert.equal(pair.backup.vrrp_priority, PRIORITY.MASTER - 1);
  assert.deepEqual([pair.master.vrrp_ip, pair.backup.vrrp_ip], ['198.18.0.254', '198.18.0.253']);
  assert.equal(pair.master.ha_ip, lb.vip_address);
  assert.equal(pair.master.vrrp_interface, 'eth0');
  assert.equal(compute.plugged.length, 2);

  // A second apply finds the same rows; a second load balancer gets the next free addresses.
  const again = await ensurePair(store, compute, lb);
  assert.deepEqual([again.master.id, again.backup.id], [pair.master.id, pair.backup.id]);
  const other = await ensurePair(store, compute, { ...lb, id: 'aaaaaaaa-2222-4333-8444-555555555555', vip_address: '198.18.0.3' } as LoadBalancer);
  assert.deepEqual([other.master.vrrp_ip, other.backup.vrrp_ip], ['198.18.0.252', '198.18.0.251']);
  await store.close();
});

test('a replacement is placed in its predecessor\'s stead: the lost one removed first, its vrrp_ip taken over', async () => {
  const { store, lb } = await fixture();
  const compute = new FakeCompute();
  const pair = await ensurePair(store, compute, lb);
  const other = { ...lb, id: 'aaaaaaaa-2222-4333-8444-555555555555', vip_address: '198.18.0.3' } as LoadBalancer;
  const otherPair = await ensurePair(store, compute, other);
  // One host died: both load balancers lose their BACKUP at once (.253 and .251 are free, and
  // "highest free" would hand .253 to whichever is replaced first).
  for (const a of [pair.backup, otherPair.backup]) await store.update('amphora', a.id, { status: 'PENDING_DELETE' });
  const second = await ensurePair(store, compute, other);
  const first = await ensurePair(store, compute, lb);
  assert.notEqual(second.backup.id, otherPair.backup.id);
  assert.deepEqual([first.backup.vrrp_ip, second.backup.vrrp_ip], ['198.18.0.253', '198.18.0.251']);
  assert.deepEqual(compute.deleted.sort(), [pair.backup.id, otherPair.backup.id].sort());
  // The survivor's peers and VRRP peer are exactly what they were: it needs no reload.
  assert.deepEqual(pairContext(first, first.master, lb), pairContext(pair, pair.master, lb));
  await store.close();
});

test('a load balancer failover replaces the two one at a time, BACKUP first, the MASTER standing in meanwhile', async () => {
  const { store, lb } = await fixture();
  const compute = new FakeCompute();
  const pair = await ensurePair(store, compute, lb);
  assert.equal(pair.more, false);
  for (const a of [pair.master, pair.backup]) await store.update('amphora', a.id, { status: 'PENDING_DELETE' });
  const first = await ensurePair(store, compute, lb);
  assert.equal(first.master.id, pair.master.id, 'the old MASTER still serves');
  assert.notEqual(first.backup.id, pair.backup.id);
  assert.equal(first.backup.vrrp_ip, pair.backup.vrrp_ip);
  assert.equal(first.more, true);
  assert.deepEqual(compute.deleted, [pair.backup.id]);
  const second = await ensurePair(store, compute, lb);
  assert.notEqual(second.master.id, pair.master.id);
  assert.equal(second.backup.id, first.backup.id);
  assert.equal(second.master.vrrp_ip, pair.master.vrrp_ip);
  assert.equal(second.more, false);
  assert.deepEqual(compute.deleted, [pair.backup.id, pair.master.id]);
  await store.close();
});

test('a predecessor that cannot be removed yet keeps its address: the replacement takes a free one', async () => {
  const { store, lb } = await fixture();
  const compute = new FakeCompute();
  const pair = await ensurePair(store, compute, lb);
  await store.update('amphora', pair.master.id, { status: 'PENDING_DELETE' });
  compute.stuck.add(pair.master.id);
  const next = await ensurePair(store, compute, lb);
  assert.notEqual(next.master.vrrp_ip, pair.master.vrrp_ip);
  assert.equal(next.master.vrrp_ip, '198.18.0.252');
  await store.close();
});

test('each amphora renders peers of both and a VRRP instance aimed at the other', async () => {
  const { store, lb } = await fixture();
  const pair = await ensurePair(store, new FakeCompute(), lb);
  const ctx = pairContext(pair, pair.backup, lb);
  // Peer names are roles: a replacement (new id, same role and address) changes nothing here.
  assert.equal(ctx.peers.localName, 'backup');
  assert.deepEqual(ctx.peers.peers, [{ name: 'master', address: '198.18.0.254' }, { name: 'backup', address: '198.18.0.253' }]);
  assert.equal(ctx.vrrp.sourceIp, '198.18.0.253');
  assert.deepEqual(ctx.vrrp.peers, ['198.18.0.254']);
  assert.equal(ctx.vrrp.vipPrefix, 24);
  const file = keepalivedFile(lb, ctx.vrrp);
  assert.equal(file.path, 'keepalived.conf');
  assert.match(file.content, /198\.18\.0\.2\/24 dev eth0/);
  assert.match(file.content, /priority 249/);
  await store.close();
});

test('the netns module refuses names without its prefix (cleanup could not find them)', async () => {
  await assert.rejects(ipcmd.addNamespace('mynet'), ipcmd.IpError);
  await assert.rejects(ipcmd.addBridge('fu-x', 'br0'), ipcmd.IpError);
  await assert.rejects(ipcmd.cleanup('dp-'), ipcmd.IpError);
  await assert.rejects(ipcmd.addBridge('fu-x', 'fu-waytoolongbridge'), ipcmd.IpError);
});
