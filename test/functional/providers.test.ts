import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testApp } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';

describe('providers', () => {
  let app: TestApp;
  before(async () => { app = await testApp(); });
  after(async () => { await app.close(); });

  test('the list names every enabled provider with a description', async () => {
    const res = await app.req('GET', '/v2/lbaas/providers');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.providers.map((p: any) => p.name), ['amphora', 'octavia', 'noop']);
    for (const p of res.body.providers) {
      assert.deepEqual(Object.keys(p).sort(), ['description', 'name']);
      assert.ok(p.description.length > 0);
    }
  });

  test('fields selects attributes of the provider list', async () => {
    const res = await app.req('GET', '/v2.0/lbaas/providers?fields=name');
    assert.deepEqual(res.body.providers, [{ name: 'amphora' }, { name: 'octavia' }, { name: 'noop' }]);
  });

  test('the amphora provider lists its flavor capabilities', async () => {
    const res = await app.req('GET', '/v2/lbaas/providers/amphora/flavor_capabilities');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.flavor_capabilities.map((c: any) => c.name), ['loadbalancer_topology', 'compute_flavor', 'amp_image_tag']);
    const topology = res.body.flavor_capabilities[0];
    assert.match(topology.description, /SINGLE/);
    assert.match(topology.description, /ACTIVE_STANDBY/);
  });

  test('the amphora provider lists its availability zone capabilities', async () => {
    const res = await app.req('GET', '/v2/lbaas/providers/amphora/availability_zone_capabilities');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.availability_zone_capabilities.map((c: any) => c.name),
      ['compute_zone', 'management_network', 'valid_vip_networks']);
  });

  test('capabilities filter on exact name and description, and select fields', async () => {
    const byName = await app.req('GET', '/v2/lbaas/providers/amphora/flavor_capabilities?name=compute_flavor');
    assert.deepEqual(byName.body.flavor_capabilities, [{ name: 'compute_flavor', description: 'The compute driver flavor ID.' }]);
    const byDescription = await app.req('GET',
      `/v2/lbaas/providers/amphora/availability_zone_capabilities?description=${encodeURIComponent('The compute availability zone.')}`);
    assert.deepEqual(byDescription.body.availability_zone_capabilities.map((c: any) => c.name), ['compute_zone']);
    const none = await app.req('GET', '/v2/lbaas/providers/amphora/flavor_capabilities?name=compute');
    assert.deepEqual(none.body.flavor_capabilities, []);
    const fields = await app.req('GET', '/v2/lbaas/providers/amphora/flavor_capabilities?fields=name');
    assert.deepEqual(fields.body.flavor_capabilities, [{ name: 'loadbalancer_topology' }, { name: 'compute_flavor' }, { name: 'amp_image_tag' }]);
  });

  test('the octavia alias answers the amphora capabilities; noop answers its own', async () => {
    const amphora = await app.req('GET', '/v2/lbaas/providers/amphora/flavor_capabilities');
    const alias = await app.req('GET', '/v2/lbaas/providers/octavia/flavor_capabilities');
    assert.deepEqual(alias.body, amphora.body);
    const noop = await app.req('GET', '/v2/lbaas/providers/noop/flavor_capabilities');
    assert.deepEqual(noop.body.flavor_capabilities.map((c: any) => c.name), ['amp_image_tag']);
    const noopZone = await app.req('GET', '/v2/lbaas/providers/noop/availability_zone_capabilities');
    assert.deepEqual(noopZone.body.availability_zone_capabilities.map((c: any) => c.name), ['compute_zone']);
  });

  test('an unknown provider is refused as Octavia refuses it', async () => {
    for (const kind of ['flavor_capabilities', 'availability_zone_capabilities']) {
      const res = await app.req('GET', `/v2/lbaas/providers/bogus/${kind}`);
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, "Provider 'bogus' is not enabled.");
    }
  });
});
