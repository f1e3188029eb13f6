// The health role's answer to "HAProxy is dead" depends on the topology: a SINGLE amphora is
// failed over at once (nothing else serves its VIP), while an ACTIVE_STANDBY agent restarts
// HAProxy itself and its peer holds the VIP meanwhile, so such an amphora is replaced only
// when its HAProxy stays dead for heartbeat_timeout. Real store, the role driven by hand (a
// fake clock, heartbeats handed in, a failover that records and marks as replaceAmphora does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { testApp, activeLoadBalancer } from '../kit/app.ts';
import { HealthRole } from '../../src/health/health.ts';
import type { Heartbeat } from '../../src/amphora/heartbeat.ts';
import type { Amphora } from '../../src/domain/entities.ts';
import type { Store } from '../../src/store/store.ts';

const TIMEOUT = 3000;

/** An ALLOCATED amphora row of `role` serving `lbId`. */
async function insertAmphora(store: Store, lbId: string, role: string): Promise<Amphora> {
  const row: Amphora = {
    id: randomUUID(), load_balancer_id: lbId, compute_id: randomUUID(), lb_network_ip: null, vrrp_ip: null, ha_ip: null,
    vrrp_port_id: null, ha_port_id: null, cert_expiration: null, cert_busy: false, role, status: 'ALLOCATED',
    vrrp_interface: null, vrrp_id: null, vrrp_priority: null, cached_zone: null, image_id: null, compute_flavor: null,
    created_at: new Date().toISOString(), updated_at: null,
  };
  await store.insert('amphora', row);
  return row;
}

test('a dead HAProxy: SINGLE fails over at once, ACTIVE_STANDBY only after heartbeat_timeout of staying dead', async () => {
  const app = await testApp();
  try {
    const store = app.runtime.store;
    const amphora = (lbId: string, role: string) => insertAmphora(store, lbId, role);
    const single = await amphora((await activeLoadBalancer(app)).id, 'STANDALONE');
    const pairLb = (await activeLoadBalancer(app)).id;
    const master = await amphora(pairLb, 'MASTER');
    const backup = await amphora(pairLb, 'BACKUP');

    let clock = 1_000_000;
    const failedOver: { id: string; reason: string }[] = [];
    const role = new HealthRole({
      store, log: pino({ level: 'silent' }), listen: { host: '127.0.0.1', port: 0 }, key: 'k'.repeat(32),
      intervalMs: 1000, timeoutMs: TIMEOUT, failoverThreshold: 10, now: () => clock,
      failover: async (id, reason) => {
        failedOver.push({ id, reason });
        await store.update('amphora', id, { status: 'PENDING_DELETE' });
        return true;
      },
    });
    let seq = 0;
    const beat = (a: Amphora, up: boolean) => role.onHeartbeat({
      v: 1, amphora_id: a.id, seq: ++seq, sent_at: clock, generation: 1, haproxy_up: up, epoch: '', listeners: {}, pools: {},
    } as Heartbeat, clock);
    const at = async (t: number, beats: [Amphora, boolean][]) => {
      clock = 1_000_000 + t;
      for (const [a, up] of beats) await beat(a, up);
      await role.check();
    };

    await at(0, [[single, false], [master, false], [backup, true]]);
    assert.deepEqual(failedOver, [{ id: single.id, reason: 'haproxy_down' }], 'SINGLE: at once');
    // The backup's HAProxy dies and its agent restarts it within a heartbeat: never replaced.
    await at(1000, [[master, false], [backup, false]]);
    await at(1500, [[master, false], [backup, true]]);
    await at(2900, [[master, false], [backup, true]]);
    assert.equal(failedOver.length, 1, 'ACTIVE_STANDBY: inside the grace, the agent restarts HAProxy');
    // The master's HAProxy is still dead past heartbeat_timeout: now it is replaced.
    await at(3100, [[master, false], [backup, true]]);
    assert.deepEqual(failedOver.slice(1), [{ id: master.id, reason: 'haproxy_down' }]);
    await at(4200, [[backup, true]]);
    assert.equal(failedOver.length, 2, 'the backup, beating with HAProxy up, is never failed over');
    await role.close();
  } finally {
    await app.close();
  }
});

test('one of a pair reporting a dead HAProxy leaves the load balancer ONLINE while the other serves; both dead is ERROR', async () => {
  const app = await testApp();
  try {
    const store = app.runtime.store;
    const lb = await activeLoadBalancer(app);
    const master = await insertAmphora(store, lb.id, 'MASTER');
    const backup = await insertAmphora(store, lb.id, 'BACKUP');
    await store.update('load_balancer', lb.id, { operating_status: 'ONLINE' });
    let clock = 1_000_000;
    const role = new HealthRole({
      store, log: pino({ level: 'silent' }), listen: { host: '127.0.0.1', port: 0 }, key: 'k'.repeat(32),
      intervalMs: 1000, timeoutMs: TIMEOUT, failoverThreshold: 10, now: () => clock, failover: async () => false,
    });
    let seq = 0;
    const beat = (a: Amphora, up: boolean) => role.onHeartbeat({
      v: 1, amphora_id: a.id, seq: ++seq, sent_at: clock, generation: 1, haproxy_up: up, epoch: '', listeners: {}, pools: {},
    } as Heartbeat, clock);
    const status = async () => (await store.get('load_balancer', lb.id))!.operating_status;
    await beat(backup, true);
    clock += 500;
    await beat(master, false);
    assert.equal(await status(), 'ONLINE', 'the backup serves: no ERROR');
    clock += 4000;
    await beat(master, false);
    assert.equal(await status(), 'ERROR', 'the backup went silent: nothing serves');
    clock += 500;
    await beat(backup, false);
    assert.equal(await status(), 'ERROR');
    await role.close();
  } finally {
    await app.close();
  }
});

test('a health role whose own checks stalled gives every amphora a full timeout of grace, then fails over the silent one', async () => {
  const app = await testApp();
  try {
    const store = app.runtime.store;
    const lbId = (await activeLoadBalancer(app)).id;
    const amphora = await insertAmphora(store, lbId, 'STANDALONE');
    let clock = 1_000_000;
    const failedOver: string[] = [];
    const role = new HealthRole({
      store, log: pino({ level: 'silent' }), listen: { host: '127.0.0.1', port: 0 }, key: 'k'.repeat(32),
      intervalMs: 1000, timeoutMs: TIMEOUT, failoverThreshold: 10, now: () => clock,
      failover: async (id) => { failedOver.push(id); return true; },
    });
    const checkAt = async (t: number) => { clock = 1_000_000 + t; await role.check(); };
    await role.onHeartbeat({
      v: 1, amphora_id: amphora.id, seq: 1, sent_at: clock, generation: 1, haproxy_up: true, epoch: '', listeners: {}, pools: {},
    } as Heartbeat, clock);
    await checkAt(200);
    // The role's event loop stalls for 4 s: nothing was heard, but nothing could have been.
    await checkAt(4200);
    assert.deepEqual(failedOver, [], 'no failover right after the role itself was away');
    for (let t = 4400; t <= 7000; t += 200) await checkAt(t);
    assert.deepEqual(failedOver, [], 'still inside the grace');
    await checkAt(7400);
    assert.deepEqual(failedOver, [amphora.id], 'silent for a whole timeout after the stall: failed over');
    await role.close();
  } finally {
    await app.close();
  }
});
