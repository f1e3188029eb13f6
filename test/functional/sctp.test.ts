// SCTP has no data-plane engine on this host (no IPVS; HAProxy and the agent's UDP engine do
// not carry it): the amphora provider refuses SCTP listeners and pools at create with a clear
// 400 and writes nothing, instead of accepting them and going ERROR. noop still takes them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { activeLoadBalancer, testApp } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { assertFault } from './pool-fixtures.ts';

const REFUSED = /^Validation failure: Provider 'amphora' cannot serve SCTP (listener|pool)s on this deployment: no SCTP data-plane engine exists yet/;

describe('SCTP on the amphora provider', () => {
  let app: TestApp;
  before(async () => { app = await testApp(); });
  after(async () => { await app.close(); });

  test('an SCTP listener or pool is a 400, and nothing is written; the load balancer stays ACTIVE', async () => {
    const lb = await activeLoadBalancer(app);
    const listener = await app.req('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'SCTP', protocol_port: 3868 } });
    assertFault(listener, 400, REFUSED);
    assert.match(listener.body.faultstring, /listeners/);
    const pool = await app.req('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb.id, protocol: 'SCTP', lb_algorithm: 'ROUND_ROBIN' } });
    assertFault(pool, 400, REFUSED);
    assert.match(pool.body.faultstring, /pools/);
    assert.equal((await app.req('GET', `/v2/lbaas/listeners?loadbalancer_id=${lb.id}`)).body.listeners.length, 0);
    assert.equal((await app.req('GET', '/v2/lbaas/pools')).body.pools.filter((p: any) => p.loadbalancers[0]?.id === lb.id).length, 0);
    assert.equal((await app.req('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer.provisioning_status, 'ACTIVE');
  });

  test('inside a whole-graph load balancer create too', async () => {
    const res = await app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: {
      vip_subnet_id: (await activeLoadBalancer(app)).vip_subnet_id,
      listeners: [{ protocol: 'SCTP', protocol_port: 3868, default_pool: { name: 'sctp', protocol: 'SCTP', lb_algorithm: 'ROUND_ROBIN' } }],
    } });
    assertFault(res, 400, REFUSED);
  });

  test('UDP listeners and pools are served, so accepted', async () => {
    const lb = await activeLoadBalancer(app);
    const res = await app.req('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'UDP', protocol_port: 53 } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });

  test('the noop provider still takes SCTP, as Octavia\'s noop driver does', async () => {
    const lb = await activeLoadBalancer(app, { provider: 'noop' });
    const res = await app.req('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'SCTP', protocol_port: 3868 } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
});
