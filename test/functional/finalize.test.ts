// Which objects a failed apply marks ERROR: the ones the change was about, as Octavia's
// revert tasks do; the load balancer and the parents only locked for the change go back to
// ACTIVE, so the tenant can delete or fix the failed object. The driver is held while the
// failure is recorded by hand, so the statuses are the ones finalize chose.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { activeLoadBalancer, SUBNET, testApp } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { finalize } from '../../src/worker/finalize.ts';

describe('a failed apply', () => {
  let app: TestApp;
  before(async () => { app = await testApp(); });
  after(async () => { app.gate.release(); await app.close(); });

  const post = async (path: string, body: unknown) => {
    const res = await app.req('POST', `/v2/lbaas${path}`, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const status = async (path: string, wrapper: string) => (await app.req('GET', `/v2/lbaas${path}`)).body[wrapper].provisioning_status;
  /** Holds the driver, runs `write`, records a failure for the generation it made, and lets the worker go. */
  async function failing(lbId: string, write: () => Promise<void>) {
    app.gate.hold();
    await write();
    const lb = await app.runtime.store.get('load_balancer', lbId);
    assert.equal(await finalize(app.runtime.store, lbId, lb!.generation, false), true);
    app.gate.release();
    await app.settle();
  }

  test('a member create: the member is ERROR; its pool, listener and load balancer ACTIVE', async () => {
    const lb = await activeLoadBalancer(app);
    const listener = (await post('/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } })).listener;
    await app.settle();
    const pool = (await post('/pools', { pool: { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).pool;
    await app.settle();
    let member: any;
    await failing(lb.id, async () => {
      member = (await post(`/pools/${pool.id}/members`, { member: { address: '127.0.0.5', protocol_port: 80 } })).member;
    });
    assert.equal(await status(`/pools/${pool.id}/members/${member.id}`, 'member'), 'ERROR');
    assert.equal(await status(`/pools/${pool.id}`, 'pool'), 'ACTIVE');
    assert.equal(await status(`/listeners/${listener.id}`, 'listener'), 'ACTIVE');
    assert.equal(await status(`/loadbalancers/${lb.id}`, 'loadbalancer'), 'ACTIVE');
  });

  test('a listener create: the listener is ERROR, the load balancer ACTIVE and still open to changes', async () => {
    const lb = await activeLoadBalancer(app);
    let listener: any;
    await failing(lb.id, async () => {
      listener = (await post('/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 81 } })).listener;
    });
    assert.equal(await status(`/listeners/${listener.id}`, 'listener'), 'ERROR');
    assert.equal(await status(`/loadbalancers/${lb.id}`, 'loadbalancer'), 'ACTIVE');
    assert.equal((await app.req('DELETE', `/v2/lbaas/listeners/${listener.id}`)).status, 204);
    await app.settle();
    assert.equal((await app.req('GET', `/v2/lbaas/listeners/${listener.id}`)).status, 404);
  });

  test('a listener update: the listener itself is ERROR; a load balancer update: the load balancer is ERROR', async () => {
    const lb = await activeLoadBalancer(app);
    const listener = (await post('/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 82 } })).listener;
    await app.settle();
    await failing(lb.id, async () => {
      assert.equal((await app.req('PUT', `/v2/lbaas/listeners/${listener.id}`, { listener: { name: 'x' } })).status, 200);
    });
    assert.equal(await status(`/listeners/${listener.id}`, 'listener'), 'ERROR');
    assert.equal(await status(`/loadbalancers/${lb.id}`, 'loadbalancer'), 'ACTIVE');
    await failing(lb.id, async () => {
      assert.equal((await app.req('PUT', `/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: 'y' } })).status, 200);
    });
    assert.equal(await status(`/loadbalancers/${lb.id}`, 'loadbalancer'), 'ERROR');
  });

  test('a load balancer create: the load balancer and everything created with it are ERROR', async () => {
    app.gate.hold();
    const body = await post('/loadbalancers', {
      loadbalancer: {
        vip_subnet_id: SUBNET,
        listeners: [{ protocol: 'HTTP', protocol_port: 83, default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }],
      },
    });
    const lb = await app.runtime.store.get('load_balancer', body.loadbalancer.id);
    await finalize(app.runtime.store, lb!.id, lb!.generation, false);
    app.gate.release();
    await app.settle();
    assert.equal(await status(`/loadbalancers/${lb!.id}`, 'loadbalancer'), 'ERROR');
    assert.equal(await status(`/listeners/${body.loadbalancer.listeners[0].id}`, 'listener'), 'ERROR');
  });
});
