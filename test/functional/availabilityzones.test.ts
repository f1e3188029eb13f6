import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, activeLoadBalancer } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import * as azProfiles from '../../src/service/availabilityzoneprofiles.ts';
import * as zones from '../../src/service/availabilityzones.ts';

const NIL = '00000000-0000-0000-0000-000000000000';
const member = { projectId: 'p1', userId: null, roles: ['member'], isAdmin: false };
const PROFILES = '/v2/lbaas/availabilityzoneprofiles';
const ZONES = '/v2/lbaas/availabilityzones';

describe('availability zone profiles', () => {
  let app: TestApp;
  before(async () => { app = await testApp(); });
  after(async () => { await app.close(); });

  const createProfile = async (extra: Record<string, unknown> = {}) => {
    const res = await app.req('POST', PROFILES, {
      availability_zone_profile: { name: 'azp', provider_name: 'amphora', availability_zone_data: '{"compute_zone": "nova"}', ...extra },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.availability_zone_profile;
  };

  test('the list starts empty, with Octavia\'s singular links key', async () => {
    assert.deepEqual((await app.req('GET', PROFILES)).body, { availability_zone_profiles: [], availability_zone_profile_links: [] });
  });

  test('create answers 201, and show, list and fields find it', async () => {
    const data = '{"compute_zone": "az1", "management_network": "lb-mgmt", "valid_vip_networks": ["a", "b"]}';
    const azp = await createProfile({ name: 'full', availability_zone_data: data });
    assert.deepEqual(Object.keys(azp).sort(), ['availability_zone_data', 'id', 'name', 'provider_name']);
    assert.deepEqual((await app.req('GET', `${PROFILES}/${azp.id}`)).body.availability_zone_profile, azp);
    assert.deepEqual((await app.req('GET', `${PROFILES}?name=full`)).body.availability_zone_profiles, [azp]);
    const fields = await app.req('GET', `${PROFILES}/${azp.id}?fields=name`);
    assert.deepEqual(fields.body.availability_zone_profile, { name: 'full' });
  });

  test('malformed bodies are 400; data that is not JSON is InvalidOption', async () => {
    const ok = { name: 'x', provider_name: 'amphora', availability_zone_data: '{}' };
    for (const availability_zone_profile of [
      { ...ok, name: undefined }, { ...ok, provider_name: undefined }, { ...ok, availability_zone_data: undefined },
      { ...ok, name: 'n'.repeat(256) }, { ...ok, availability_zone_data: 'd'.repeat(4097) }, { ...ok, flavor_data: '{}' },
    ]) {
      assert.equal((await app.req('POST', PROFILES, { availability_zone_profile })).status, 400, JSON.stringify(availability_zone_profile));
    }
    const json = await app.req('POST', PROFILES, { availability_zone_profile: { ...ok, availability_zone_data: 'not json' } });
    assert.equal(json.status, 400);
    assert.equal(json.body.faultstring, 'not json is not a valid option for availability_zone_data');
    const provider = await app.req('POST', PROFILES, { availability_zone_profile: { ...ok, provider_name: 'bogus' } });
    assert.equal(provider.status, 400);
    assert.equal(provider.body.faultstring, "Provider 'bogus' is not enabled.");
  });

  test('settings the provider does not support are 501', async () => {
    for (const data of ['{"loadbalancer_topology": "SINGLE"}', '{"valid_vip_networks": "a"}', '{"compute_zone": 1}', '[]']) {
      const res = await app.req('POST', PROFILES, { availability_zone_profile: { name: 'x', provider_name: 'amphora', availability_zone_data: data } });
      assert.equal(res.status, 501, data);
      assert.match(res.body.faultstring, /^Provider 'amphora' does not support a requested option: /);
    }
  });

  test('update, nulls, unknown ids', async () => {
    const azp = await createProfile();
    const put = await app.req('PUT', `${PROFILES}/${azp.id}`, { availability_zone_profile: { name: 'renamed', availability_zone_data: '{}' } });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.availability_zone_profile, { ...azp, name: 'renamed', availability_zone_data: '{}' });
    for (const field of ['name', 'provider_name', 'availability_zone_data']) {
      const res = await app.req('PUT', `${PROFILES}/${azp.id}`, { availability_zone_profile: { [field]: null } });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, `None is not a valid option for ${field}`);
    }
    const missing = await app.req('PUT', `${PROFILES}/${NIL}`, { availability_zone_profile: { name: 'x' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.faultstring, `Availability Zone Profile ${NIL} not found.`);
  });

  test('a profile in use keeps provider and settings and cannot be deleted; unused ones delete', async () => {
    const azp = await createProfile();
    assert.equal((await app.req('POST', ZONES, { availability_zone: { name: 'holder', availability_zone_profile_id: azp.id } })).status, 201);
    const message = `Availability Zone Profile ${azp.id} is in use and cannot be modified.`;
    const put = await app.req('PUT', `${PROFILES}/${azp.id}`, { availability_zone_profile: { provider_name: 'noop' } });
    assert.equal(put.status, 409);
    assert.equal(put.body.faultstring, message);
    assert.equal((await app.req('PUT', `${PROFILES}/${azp.id}`, { availability_zone_profile: { name: 'ok' } })).status, 200);
    assert.equal((await app.req('DELETE', `${PROFILES}/${azp.id}`)).status, 409);
    assert.equal((await app.req('DELETE', `${ZONES}/holder`)).status, 204);
    assert.equal((await app.req('DELETE', `${PROFILES}/${azp.id}`)).status, 204);
    assert.equal((await app.req('GET', `${PROFILES}/${azp.id}`)).status, 404);
    assert.equal((await app.req('DELETE', `${PROFILES}/${azp.id}`)).status, 404);
  });

  test('only admins may see or change availability zone profiles', async () => {
    const deps = app.runtime.deps;
    await assert.rejects(azProfiles.listAvailabilityZoneProfiles(deps, member), { status: 403 });
    await assert.rejects(azProfiles.getAvailabilityZoneProfile(deps, member, NIL), { status: 403 });
    await assert.rejects(azProfiles.createAvailabilityZoneProfile(deps, member, { name: 'x', provider_name: 'amphora', availability_zone_data: '{}' }), { status: 403 });
    await assert.rejects(azProfiles.updateAvailabilityZoneProfile(deps, member, NIL, { name: 'x' }), { status: 403 });
    await assert.rejects(azProfiles.deleteAvailabilityZoneProfile(deps, member, NIL), { status: 403 });
  });
});

describe('availability zones', () => {
  let app: TestApp;
  let profileId: string;
  before(async () => {
    app = await testApp();
    const res = await app.req('POST', PROFILES, { availability_zone_profile: { name: 'base', provider_name: 'amphora', availability_zone_data: '{}' } });
    profileId = res.body.availability_zone_profile.id;
  });
  after(async () => { await app.close(); });

  const createZone = async (zone: Record<string, unknown>) => {
    const res = await app.req('POST', ZONES, { availability_zone: { availability_zone_profile_id: profileId, ...zone } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.availability_zone;
  };

  test('the list starts empty', async () => {
    assert.deepEqual((await app.req('GET', ZONES)).body, { availability_zones: [], availability_zones_links: [] });
  });

  test('create answers 201 keyed by name, with description \'\' and enabled true by default', async () => {
    const zone = await createZone({ name: 'az-one' });
    assert.deepEqual(zone, { name: 'az-one', description: '', enabled: true, availability_zone_profile_id: profileId });
    assert.deepEqual((await app.req('GET', `${ZONES}/az-one`)).body.availability_zone, zone);
  });

  test('malformed bodies and unknown profiles are 400', async () => {
    for (const availability_zone of [
      { availability_zone_profile_id: profileId }, { name: 'x' }, { name: 'x', availability_zone_profile_id: 'bogus' },
      { name: 'n'.repeat(256), availability_zone_profile_id: profileId }, { name: 'x', enabled: 'sometimes', availability_zone_profile_id: profileId },
      { name: 'x', id: NIL, availability_zone_profile_id: profileId },
    ]) {
      assert.equal((await app.req('POST', ZONES, { availability_zone })).status, 400, JSON.stringify(availability_zone));
    }
    const unknown = await app.req('POST', ZONES, { availability_zone: { name: 'x', availability_zone_profile_id: NIL } });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.faultstring, /availability_zone_profile_id/);
  });

  test('a second zone of the same name is 409', async () => {
    await createZone({ name: 'az-dup' });
    const res = await app.req('POST', ZONES, { availability_zone: { name: 'az-dup', availability_zone_profile_id: profileId } });
    assert.equal(res.status, 409);
    assert.equal(res.body.faultstring, 'A availability zone of az-dup already exists.');
  });

  test('the list filters, sorts, pages by name and selects fields', async () => {
    for (const name of ['page-c', 'page-a', 'page-b']) await createZone({ name, description: 'paged' });
    const page = await app.req('GET', `${ZONES}?description=paged&sort=name:asc&limit=2`);
    assert.deepEqual(page.body.availability_zones.map((z: any) => z.name), ['page-a', 'page-b']);
    assert.ok(!('id' in page.body.availability_zones[0]));
    const next = page.body.availability_zones_links.find((l: any) => l.rel === 'next');
    const rest = await app.req('GET', `${ZONES}?description=paged&sort=name:asc&limit=2&marker=${new URL(next.href).searchParams.get('marker')}`);
    assert.deepEqual(rest.body.availability_zones.map((z: any) => z.name), ['page-c']);
    const fields = await app.req('GET', `${ZONES}?description=paged&fields=name&sort=name:desc`);
    assert.deepEqual(fields.body.availability_zones, [{ name: 'page-c' }, { name: 'page-b' }, { name: 'page-a' }]);
  });

  test('update changes description and enabled only', async () => {
    await createZone({ name: 'az-up', description: 'before' });
    const put = await app.req('PUT', `${ZONES}/az-up`, { availability_zone: { description: 'after', enabled: false } });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.availability_zone, { name: 'az-up', description: 'after', enabled: false, availability_zone_profile_id: profileId });
    for (const availability_zone of [{ name: 'other' }, { availability_zone_profile_id: profileId }]) {
      assert.equal((await app.req('PUT', `${ZONES}/az-up`, { availability_zone })).status, 400);
    }
    const missing = await app.req('PUT', `${ZONES}/nowhere`, { availability_zone: { description: 'x' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.faultstring, 'Availability Zone nowhere not found.');
  });

  test('a zone a live load balancer uses cannot be deleted; a disabled zone takes no new ones', async () => {
    await createZone({ name: 'az-busy' });
    const lb = await activeLoadBalancer(app, { availability_zone: 'az-busy' });
    assert.equal(lb.availability_zone, 'az-busy');
    const del = await app.req('DELETE', `${ZONES}/az-busy`);
    assert.equal(del.status, 409);
    assert.equal(del.body.faultstring, 'Availability Zone az-busy is in use and cannot be modified.');
    await app.req('PUT', `${ZONES}/az-busy`, { availability_zone: { enabled: false } });
    const refused = await app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: NIL, availability_zone: 'az-busy' } });
    assert.equal(refused.status, 400);
    assert.equal((await app.req('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).status, 204);
    await app.settle();
    assert.equal((await app.req('DELETE', `${ZONES}/az-busy`)).status, 204);
    assert.equal((await app.req('GET', `${ZONES}/az-busy`)).status, 404);
    assert.equal((await app.req('DELETE', `${ZONES}/az-busy`)).status, 404);
  });

  test('everyone reads zones; only admins change them', async () => {
    const deps = app.runtime.deps;
    await createZone({ name: 'az-read' });
    assert.equal((await zones.getAvailabilityZone(deps, member, 'az-read')).name, 'az-read');
    await assert.rejects(zones.createAvailabilityZone(deps, member, { name: 'x', availability_zone_profile_id: profileId }), { status: 403 });
    await assert.rejects(zones.updateAvailabilityZone(deps, member, 'az-read', { enabled: false }), { status: 403 });
    await assert.rejects(zones.deleteAvailabilityZone(deps, member, 'az-read'), { status: 403 });
  });
});
