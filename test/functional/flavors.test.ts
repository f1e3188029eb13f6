import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, activeLoadBalancer } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import * as flavorProfiles from '../../src/service/flavorprofiles.ts';
import * as flavors from '../../src/service/flavors.ts';

const NIL = '00000000-0000-0000-0000-000000000000';
const member = { projectId: 'p1', userId: null, roles: ['member'], isAdmin: false };

describe('flavor profiles', () => {
  let app: TestApp;
  before(async () => { app = await testApp(); });
  after(async () => { await app.close(); });

  const createProfile = async (extra: Record<string, unknown> = {}) => {
    const res = await app.req('POST', '/v2/lbaas/flavorprofiles', {
      flavorprofile: { name: 'fp', provider_name: 'amphora', flavor_data: '{"loadbalancer_topology": "SINGLE"}', ...extra },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.flavorprofile;
  };

  test('the list starts empty, with Octavia\'s singular links key', async () => {
    const res = await app.req('GET', '/v2/lbaas/flavorprofiles');
    assert.deepEqual(res.body, { flavorprofiles: [], flavorprofile_links: [] });
  });

  test('create answers 201 with the profile, and show and list find it', async () => {
    const data = '{"loadbalancer_topology": "ACTIVE_STANDBY", "compute_flavor": "m1.amphora", "amp_image_tag": "amphora"}';
    const fp = await createProfile({ name: 'ha', flavor_data: data });
    assert.deepEqual(Object.keys(fp).sort(), ['flavor_data', 'id', 'name', 'provider_name']);
    assert.equal(fp.flavor_data, data);
    const shown = await app.req('GET', `/v2/lbaas/flavorprofiles/${fp.id}`);
    assert.deepEqual(shown.body.flavorprofile, fp);
    const list = await app.req('GET', '/v2/lbaas/flavorprofiles?name=ha');
    assert.deepEqual(list.body.flavorprofiles, [fp]);
  });

  test('fields selects attributes on show and list', async () => {
    const fp = await createProfile({ name: 'fields' });
    const shown = await app.req('GET', `/v2/lbaas/flavorprofiles/${fp.id}?fields=id&fields=provider_name`);
    assert.deepEqual(shown.body.flavorprofile, { id: fp.id, provider_name: 'amphora' });
    const list = await app.req('GET', '/v2/lbaas/flavorprofiles?name=fields&fields=name');
    assert.deepEqual(list.body.flavorprofiles, [{ name: 'fields' }]);
  });

  test('empty settings and duplicate names are accepted, as in Octavia', async () => {
    const a = await createProfile({ name: 'twin', flavor_data: '{}' });
    const b = await createProfile({ name: 'twin', flavor_data: '{}' });
    assert.notEqual(a.id, b.id);
  });

  test('missing, too long, or wrongly typed fields are 400', async () => {
    const ok = { name: 'x', provider_name: 'amphora', flavor_data: '{}' };
    const missing = await app.req('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { provider_name: 'amphora', flavor_data: '{}' } });
    assert.equal(missing.status, 400);
    assert.match(missing.body.faultstring, /^Invalid input for field\/attribute name\. .*Mandatory field missing\.$/);
    for (const flavorprofile of [
      { ...ok, provider_name: undefined }, { ...ok, flavor_data: undefined }, { ...ok, name: 'n'.repeat(256) },
      { ...ok, provider_name: 'p'.repeat(256) }, { ...ok, flavor_data: 'd'.repeat(4097) }, { ...ok, flavor_data: { a: 1 } },
      { ...ok, name: 5 }, { ...ok, extra: 1 },
    ]) {
      const res = await app.req('POST', '/v2/lbaas/flavorprofiles', { flavorprofile });
      assert.equal(res.status, 400, JSON.stringify(flavorprofile));
    }
  });

  test('flavor_data that is not JSON is 400 InvalidOption', async () => {
    const res = await app.req('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'x', provider_name: 'amphora', flavor_data: '{hello: "world"}' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.faultstring, '{hello: "world"} is not a valid option for flavor_data');
  });

  test('a provider that is not enabled is 400', async () => {
    const res = await app.req('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'x', provider_name: 'bogus', flavor_data: '{}' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.faultstring, "Provider 'bogus' is not enabled.");
  });

  test('settings the provider does not support are refused with Octavia\'s 501', async () => {
    for (const [data, why] of [
      ['{"bogus": 1}', /Additional properties are not allowed \('bogus' was unexpected\)/],
      ['{"loadbalancer_topology": "TRIPLE"}', /loadbalancer_topology 'TRIPLE' is not one of \['ACTIVE_STANDBY', 'SINGLE'\]/],
      ['{"compute_flavor": 5}', /compute_flavor 5 is not of type 'string'/],
      ['[1, 2]', /is not of type 'object'/],
      ['"SINGLE"', /is not of type 'object'/],
      ['{"compute_zone": "az1"}', /'compute_zone' was unexpected/],
    ] as const) {
      const res = await app.req('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'x', provider_name: 'amphora', flavor_data: data } });
      assert.equal(res.status, 501, data);
      assert.match(res.body.faultstring, /^Provider 'amphora' does not support a requested option: /);
      assert.match(res.body.faultstring, why);
    }
  });

  test('the noop provider accepts any settings object', async () => {
    const fp = await createProfile({ provider_name: 'noop', flavor_data: '{"anything": ["goes"]}' });
    assert.equal(fp.provider_name, 'noop');
  });

  test('update changes name, provider and settings; an empty update changes nothing', async () => {
    const fp = await createProfile({ name: 'before' });
    const put = await app.req('PUT', `/v2/lbaas/flavorprofiles/${fp.id}`, {
      flavorprofile: { name: 'after', provider_name: 'octavia', flavor_data: '{"amp_image_tag": "x"}' },
    });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.flavorprofile, { id: fp.id, name: 'after', provider_name: 'octavia', flavor_data: '{"amp_image_tag": "x"}' });
    const nothing = await app.req('PUT', `/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: {} });
    assert.deepEqual(nothing.body.flavorprofile, put.body.flavorprofile);
  });

  test('update refuses null fields, unsupported settings and unknown ids', async () => {
    const fp = await createProfile();
    for (const field of ['name', 'provider_name', 'flavor_data']) {
      const res = await app.req('PUT', `/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: { [field]: null } });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, `None is not a valid option for ${field}`);
    }
    const bad = await app.req('PUT', `/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: { flavor_data: '{"nope": 1}' } });
    assert.equal(bad.status, 501);
    // A new provider must accept the settings already there.
    const noop = await createProfile({ provider_name: 'noop', flavor_data: '{"custom": 1}' });
    assert.equal((await app.req('PUT', `/v2/lbaas/flavorprofiles/${noop.id}`, { flavorprofile: { provider_name: 'amphora' } })).status, 501);
    assert.equal((await app.req('GET', `/v2/lbaas/flavorprofiles/${fp.id}`)).body.flavorprofile.flavor_data, fp.flavor_data);
    const missing = await app.req('PUT', `/v2/lbaas/flavorprofiles/${NIL}`, { flavorprofile: { name: 'x' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.faultstring, `Flavor Profile ${NIL} not found.`);
  });

  test('a profile in use keeps its provider and settings, but may be renamed, and cannot be deleted', async () => {
    const fp = await createProfile({ name: 'used' });
    assert.equal((await app.req('POST', '/v2/lbaas/flavors', { flavor: { name: 'uses-fp', flavor_profile_id: fp.id } })).status, 201);
    const message = `Flavor profile ${fp.id} is in use and cannot be modified.`;
    for (const flavorprofile of [{ name: 'x', provider_name: 'octavia' }, { flavor_data: '{}' }]) {
      const res = await app.req('PUT', `/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile });
      assert.equal(res.status, 409);
      assert.equal(res.body.faultstring, message);
    }
    const rename = await app.req('PUT', `/v2/lbaas/flavorprofiles/${fp.id}`, { flavorprofile: { name: 'renamed' } });
    assert.equal(rename.status, 200);
    assert.deepEqual(rename.body.flavorprofile, { ...fp, name: 'renamed' });
    const del = await app.req('DELETE', `/v2/lbaas/flavorprofiles/${fp.id}`);
    assert.equal(del.status, 409);
    assert.equal(del.body.faultstring, message);
  });

  test('delete answers 204, then the profile is gone', async () => {
    const fp = await createProfile();
    assert.equal((await app.req('DELETE', `/v2/lbaas/flavorprofiles/${fp.id}`)).status, 204);
    const shown = await app.req('GET', `/v2/lbaas/flavorprofiles/${fp.id}`);
    assert.equal(shown.status, 404);
    assert.equal(shown.body.faultstring, `Flavor Profile ${fp.id} not found.`);
    const again = await app.req('DELETE', '/v2/lbaas/flavorprofiles/bogus_id');
    assert.equal(again.status, 404);
    assert.equal(again.body.faultstring, 'Flavor profile bogus_id not found.');
  });

  test('only admins may see or change flavor profiles', async () => {
    const deps = app.runtime.deps;
    await assert.rejects(flavorProfiles.listFlavorProfiles(deps, member), { status: 403 });
    await assert.rejects(flavorProfiles.getFlavorProfile(deps, member, NIL), { status: 403 });
    await assert.rejects(flavorProfiles.createFlavorProfile(deps, member, { name: 'x', provider_name: 'amphora', flavor_data: '{}' }), { status: 403 });
    await assert.rejects(flavorProfiles.updateFlavorProfile(deps, member, NIL, { name: 'x' }), { status: 403 });
    await assert.rejects(flavorProfiles.deleteFlavorProfile(deps, member, NIL), { status: 403 });
  });
});

describe('flavors', () => {
  let app: TestApp;
  let profileId: string;
  before(async () => {
    app = await testApp();
    const res = await app.req('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'base', provider_name: 'amphora', flavor_data: '{}' } });
    profileId = res.body.flavorprofile.id;
  });
  after(async () => { await app.close(); });

  const createFlavor = async (flavor: Record<string, unknown>) => {
    const res = await app.req('POST', '/v2/lbaas/flavors', { flavor: { flavor_profile_id: profileId, ...flavor } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.flavor;
  };

  test('the list starts empty', async () => {
    assert.deepEqual((await app.req('GET', '/v2/lbaas/flavors')).body, { flavors: [], flavors_links: [] });
  });

  test('create answers 201 with description \'\' and enabled true by default', async () => {
    const flavor = await createFlavor({ name: 'small' });
    assert.deepEqual(Object.keys(flavor).sort(), ['description', 'enabled', 'flavor_profile_id', 'id', 'name']);
    assert.equal(flavor.description, '');
    assert.equal(flavor.enabled, true);
    assert.equal(flavor.flavor_profile_id, profileId);
    assert.deepEqual((await app.req('GET', `/v2/lbaas/flavors/${flavor.id}`)).body.flavor, flavor);
  });

  test('missing, malformed or unknown references are 400', async () => {
    const missing = await app.req('POST', '/v2/lbaas/flavors', { flavor: { name: 'x' } });
    assert.equal(missing.status, 400);
    assert.match(missing.body.faultstring, /^Invalid input for field\/attribute flavor_profile_id\. .*Mandatory field missing\.$/);
    const badUuid = await app.req('POST', '/v2/lbaas/flavors', { flavor: { name: 'x', flavor_profile_id: 'bogus' } });
    assert.equal(badUuid.status, 400);
    assert.match(badUuid.body.faultstring, /flavor_profile_id\. Value: 'bogus'/);
    const unknown = await app.req('POST', '/v2/lbaas/flavors', { flavor: { name: 'x', flavor_profile_id: NIL } });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.faultstring, /flavor_profile_id/);
    for (const flavor of [
      { flavor_profile_id: profileId }, { name: 'n'.repeat(256), flavor_profile_id: profileId },
      { name: 'x', description: 'd'.repeat(256), flavor_profile_id: profileId }, { name: 'x', enabled: 'perhaps', flavor_profile_id: profileId },
      { name: 'x', flavor_profile_id: profileId, id: NIL },
    ]) {
      assert.equal((await app.req('POST', '/v2/lbaas/flavors', { flavor })).status, 400, JSON.stringify(flavor));
    }
  });

  test('names are unique: a second flavor of the same name is 409', async () => {
    await createFlavor({ name: 'dup' });
    const res = await app.req('POST', '/v2/lbaas/flavors', { flavor: { name: 'dup', flavor_profile_id: profileId } });
    assert.equal(res.status, 409);
    assert.equal(res.body.faultstring, 'A flavor of dup already exists.');
  });

  test('the list filters and selects fields', async () => {
    await createFlavor({ name: 'off', enabled: false, description: 'disabled one' });
    const off = await app.req('GET', '/v2/lbaas/flavors?enabled=false');
    assert.deepEqual(off.body.flavors.map((f: any) => f.name), ['off']);
    const fields = await app.req('GET', '/v2/lbaas/flavors?name=off&fields=id&fields=name');
    assert.deepEqual(Object.keys(fields.body.flavors[0]).sort(), ['id', 'name']);
    const one = await app.req('GET', `/v2/lbaas/flavors/${off.body.flavors[0].id}?fields=flavor_profile_id`);
    assert.deepEqual(one.body.flavor, { flavor_profile_id: profileId });
  });

  test('update changes name, description and enabled only', async () => {
    const flavor = await createFlavor({ name: 'fancy', description: 'A great flavor' });
    const put = await app.req('PUT', `/v2/lbaas/flavors/${flavor.id}`, { flavor: { name: 'better', description: 'Even better', enabled: false } });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.flavor, { ...flavor, name: 'better', description: 'Even better', enabled: false });
    const nothing = await app.req('PUT', `/v2/lbaas/flavors/${flavor.id}`, { flavor: {} });
    assert.deepEqual(nothing.body.flavor, put.body.flavor);
    const profile = await app.req('PUT', `/v2/lbaas/flavors/${flavor.id}`, { flavor: { flavor_profile_id: NIL } });
    assert.equal(profile.status, 400);
    assert.equal((await app.req('GET', `/v2/lbaas/flavors/${flavor.id}`)).body.flavor.flavor_profile_id, profileId);
  });

  test('update to a taken name is 409; of an unknown flavor 404', async () => {
    await createFlavor({ name: 'taken' });
    const flavor = await createFlavor({ name: 'mover' });
    const res = await app.req('PUT', `/v2/lbaas/flavors/${flavor.id}`, { flavor: { name: 'taken' } });
    assert.equal(res.status, 409);
    assert.equal(res.body.faultstring, 'A flavor of taken already exists.');
    assert.equal((await app.req('PUT', `/v2/lbaas/flavors/${flavor.id}`, { flavor: { name: 'mover' } })).status, 200);
    const missing = await app.req('PUT', `/v2/lbaas/flavors/${NIL}`, { flavor: { name: 'x' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.faultstring, `Flavor ${NIL} not found.`);
  });

  test('delete answers 204; unknown ids are 404', async () => {
    const flavor = await createFlavor({ name: 'brief' });
    assert.equal((await app.req('DELETE', `/v2/lbaas/flavors/${flavor.id}`)).status, 204);
    assert.equal((await app.req('GET', `/v2/lbaas/flavors/${flavor.id}`)).status, 404);
    const bogus = await app.req('DELETE', '/v2/lbaas/flavors/bogus_id');
    assert.equal(bogus.status, 404);
    assert.equal(bogus.body.faultstring, 'Flavor bogus_id not found.');
  });

  test('a flavor a live load balancer uses cannot be deleted until the load balancer is gone', async () => {
    const flavor = await createFlavor({ name: 'in-use' });
    const lb = await activeLoadBalancer(app, { flavor_id: flavor.id });
    assert.equal(lb.flavor_id, flavor.id);
    const del = await app.req('DELETE', `/v2/lbaas/flavors/${flavor.id}`);
    assert.equal(del.status, 409);
    assert.equal(del.body.faultstring, `Flavor ${flavor.id} is in use and cannot be modified.`);
    assert.equal((await app.req('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).status, 204);
    await app.settle();
    assert.equal((await app.req('DELETE', `/v2/lbaas/flavors/${flavor.id}`)).status, 204);
  });

  test('a disabled flavor cannot be used for a new load balancer', async () => {
    const flavor = await createFlavor({ name: 'retired', enabled: false });
    const res = await app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: NIL, flavor_id: flavor.id } });
    assert.equal(res.status, 400);
  });

  test('everyone reads flavors; only admins change them', async () => {
    const deps = app.runtime.deps;
    const flavor = await createFlavor({ name: 'readable' });
    assert.equal((await flavors.getFlavor(deps, member, flavor.id)).name, 'readable');
    assert.ok((await flavors.listFlavors(deps, member)).length > 0);
    await assert.rejects(flavors.createFlavor(deps, member, { name: 'x', flavor_profile_id: profileId }), { status: 403 });
    await assert.rejects(flavors.updateFlavor(deps, member, flavor.id, { name: 'x' }), { status: 403 });
    await assert.rejects(flavors.deleteFlavor(deps, member, flavor.id), { status: 403 });
  });
});
