import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { testApp, activeLoadBalancer } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { LOOPBACK, ensureLoopbackNetwork } from '../../src/service/networks.ts';
import { allocationPools } from '../../src/api/networks/wire.ts';
import { openStore } from '../../src/store/kysely.ts';
import { testPostgres } from '../kit/postgres.ts';

describe('networks (Neutron read API)', () => {
  let app: TestApp;
  before(async () => { app = await testApp(); });
  after(async () => { await app.close(); });

  test('a fresh deployment has the loopback network, in Neutron\'s format', async () => {
    const res = await app.req('GET', '/v2.0/networks');
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body), ['networks']);
    assert.equal(res.body.networks.length, 1);
    const net = res.body.networks[0];
    assert.equal(net.id, LOOPBACK.networkId);
    assert.equal(net.name, 'fulcrum-loopback');
    assert.deepEqual(net.subnets, [LOOPBACK.subnetId]);
    assert.equal(net.status, 'ACTIVE');
    assert.equal(net.admin_state_up, true);
    assert.equal(net.shared, true);
    assert.equal(net['router:external'], false);
    assert.equal(net.tenant_id, net.project_id);
    assert.match(net.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test('networks filter by name and id, and select fields', async () => {
    const byName = await app.req('GET', '/v2.0/networks?name=fulcrum-loopback');
    assert.deepEqual(byName.body.networks.map((n: any) => n.id), [LOOPBACK.networkId]);
    assert.deepEqual((await app.req('GET', '/v2.0/networks?name=nope')).body, { networks: [] });
    const byId = await app.req('GET', `/v2.0/networks?id=${LOOPBACK.networkId}&fields=id&fields=name`);
    assert.deepEqual(byId.body.networks, [{ id: LOOPBACK.networkId, name: 'fulcrum-loopback' }]);
    const external = await app.req('GET', '/v2.0/networks?router:external=false&shared=true');
    assert.equal(external.body.networks.length, 1);
  });

  test('a page request answers networks_links', async () => {
    const res = await app.req('GET', '/v2.0/networks?limit=1');
    assert.equal(res.body.networks.length, 1);
    assert.deepEqual(res.body.networks_links.map((l: any) => l.rel), ['next']);
  });

  test('show answers one network; an unknown id is 404', async () => {
    const res = await app.req('GET', `/v2.0/networks/${LOOPBACK.networkId}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.network.name, 'fulcrum-loopback');
    const fields = await app.req('GET', `/v2.0/networks/${LOOPBACK.networkId}?fields=subnets`);
    assert.deepEqual(fields.body.network, { subnets: [LOOPBACK.subnetId] });
    const missing = await app.req('GET', '/v2.0/networks/00000000-0000-0000-0000-000000000000');
    assert.equal(missing.status, 404);
    assert.match(missing.body.faultstring, /Network 00000000-0000-0000-0000-000000000000 not found/);
  });

  test('the loopback subnet carries its CIDR, gateway and allocation pool', async () => {
    const res = await app.req('GET', '/v2.0/subnets');
    assert.equal(res.status, 200);
    assert.equal(res.body.subnets.length, 1);
    const subnet = res.body.subnets[0];
    assert.equal(subnet.id, LOOPBACK.subnetId);
    assert.equal(subnet.network_id, LOOPBACK.networkId);
    assert.equal(subnet.cidr, '127.42.0.0/16');
    assert.equal(subnet.ip_version, 4);
    assert.equal(subnet.gateway_ip, '127.42.0.1');
    assert.deepEqual(subnet.allocation_pools, [{ start: '127.42.0.2', end: '127.42.255.254' }]);
    assert.deepEqual([subnet.dns_nameservers, subnet.host_routes], [[], []]);
  });

  test('subnets filter by network, name and ip_version; show and 404', async () => {
    const ids = async (q: string) => (await app.req('GET', `/v2.0/subnets?${q}`)).body.subnets.map((s: any) => s.id);
    assert.deepEqual(await ids(`network_id=${LOOPBACK.networkId}`), [LOOPBACK.subnetId]);
    assert.deepEqual(await ids('name=fulcrum-loopback&ip_version=4'), [LOOPBACK.subnetId]);
    assert.deepEqual(await ids('ip_version=6'), []);
    assert.deepEqual(await ids('network_id=00000000-0000-0000-0000-000000000000'), []);
    const one = await app.req('GET', `/v2.0/subnets/${LOOPBACK.subnetId}?fields=cidr`);
    assert.deepEqual(one.body, { subnet: { cidr: '127.42.0.0/16' } });
    assert.equal((await app.req('GET', '/v2.0/subnets/bogus')).status, 404);
  });

  test('unknown filters are 400, as Neutron validates them', async () => {
    assert.equal((await app.req('GET', '/v2.0/networks?colour=blue')).status, 400);
  });

  test('the Neutron API is served at /v2.0 only', async () => {
    assert.equal((await app.req('GET', '/v2/networks')).status, 404);
    assert.equal((await app.req('GET', '/v2.0/lbaas/networks')).status, 404);
  });

  test('a load balancer\'s VIP port answers as a Neutron port owned by Octavia', async () => {
    const lb = await activeLoadBalancer(app, {
      vip_subnet_id: LOOPBACK.subnetId, vip_network_id: LOOPBACK.networkId, vip_address: '127.42.0.10',
    }, 'net-project');
    const list = await app.req('GET', `/v2.0/ports?device_id=lb-${lb.id}`, undefined, 'net-project');
    assert.equal(list.status, 200);
    assert.equal(list.body.ports.length, 1);
    const port = list.body.ports[0];
    assert.equal(port.id, lb.vip_port_id);
    assert.equal(port.network_id, LOOPBACK.networkId);
    assert.equal(port.device_owner, 'Octavia');
    assert.equal(port.project_id, 'net-project');
    assert.deepEqual(port.fixed_ips, [{ subnet_id: LOOPBACK.subnetId, ip_address: '127.42.0.10' }]);
    assert.match(port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    const shown = await app.req('GET', `/v2.0/ports/${lb.vip_port_id}`, undefined, 'net-project');
    assert.deepEqual(shown.body.port, port);
    assert.equal((await app.req('GET', '/v2.0/ports/00000000-0000-0000-0000-000000000000')).status, 404);
  });

  test('a deleted load balancer\'s port is gone', async () => {
    const lb = await activeLoadBalancer(app, {}, 'net-gone');
    assert.equal((await app.req('GET', `/v2.0/ports/${lb.vip_port_id}`)).status, 200);
    await app.req('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`, undefined, 'net-gone');
    await app.settle();
    assert.equal((await app.req('GET', `/v2.0/ports/${lb.vip_port_id}`)).status, 404);
    assert.deepEqual((await app.req('GET', `/v2.0/ports?device_id=lb-${lb.id}`)).body.ports, []);
  });

  test('the loopback network is created once, across restarts and racing starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulcrum-net-'));
    try {
      const config = { dataDir: dir, databaseUrl: `sqlite:${join(dir, 'db.sqlite')}` };
      // Two starts racing on an empty database: both see no network, one insert loses on the key.
      const store = await openStore(config.databaseUrl);
      const log = pino({ level: 'silent' });
      await Promise.all([ensureLoopbackNetwork(store, log), ensureLoopbackNetwork(store, log)]);
      assert.equal((await store.networks()).length, 1);
      await store.close();
      const first = await testApp(config);
      await first.close();
      const second = await testApp(config);
      try {
        const res = await second.req('GET', '/v2.0/networks');
        assert.deepEqual(res.body.networks.map((n: any) => n.id), [LOOPBACK.networkId]);
        assert.equal((await second.req('GET', '/v2.0/subnets')).body.subnets.length, 1);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('allocation pools', () => {
  test('IPv4: the gateway at the start, in the middle, or outside the range', () => {
    assert.deepEqual(allocationPools('10.0.0.0/24', '10.0.0.1'), [{ start: '10.0.0.2', end: '10.0.0.254' }]);
    assert.deepEqual(allocationPools('10.0.0.0/24', '10.0.0.100'),
      [{ start: '10.0.0.1', end: '10.0.0.99' }, { start: '10.0.0.101', end: '10.0.0.254' }]);
    assert.deepEqual(allocationPools('10.0.0.0/24', '10.0.0.254'), [{ start: '10.0.0.1', end: '10.0.0.253' }]);
    assert.deepEqual(allocationPools('10.0.0.0/24', null), [{ start: '10.0.0.1', end: '10.0.0.254' }]);
    assert.deepEqual(allocationPools('10.0.0.5/30', null), [{ start: '10.0.0.5', end: '10.0.0.6' }]);
    assert.deepEqual(allocationPools('10.0.0.8/31', null), [{ start: '10.0.0.8', end: '10.0.0.9' }]);
  });

  test('IPv6: every address after the subnet-router anycast one, less the gateway', () => {
    assert.deepEqual(allocationPools('2001:db8::/64', '2001:db8::1'),
      [{ start: '2001:db8::2', end: '2001:db8::ffff:ffff:ffff:ffff' }]);
    assert.deepEqual(allocationPools('fd00:1:2:3::/120', null), [{ start: 'fd00:1:2:3::1', end: 'fd00:1:2:3::ff' }]);
  });
});

describe('networks on PostgreSQL', async () => {
  const pg = await testPostgres();
  after(async () => { if (!pg.skip) await pg.dropAll(); });

  test('racing starts create the loopback network once', { skip: pg.skip }, async () => {
    const url = await pg.fresh();
    const stores = await Promise.all([openStore(url), openStore(url)]);
    try {
      const log = pino({ level: 'silent' });
      await Promise.all(stores.map((store) => ensureLoopbackNetwork(store, log)));
      assert.deepEqual((await stores[0].networks()).map((n) => n.id), [LOOPBACK.networkId]);
      assert.deepEqual((await stores[1].subnets()).map((s) => s.cidr), [LOOPBACK.cidr]);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
