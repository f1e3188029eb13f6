// Answers Octavia 11 gives that the side-by-side comparison (tools/sidebyside) recorded and
// that belong to no single resource: version roots, the HTTP layer's own errors (unknown
// paths, wrong methods, pagination parameters), WSME's message shapes, list ordering, and
// what a create answers while a fast worker is already settling it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testApp, activeLoadBalancer, SUBNET } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';

const LBS = '/v2/lbaas/loadbalancers';
const MISSING = '00000000-0000-4000-8000-00000000c0de';

describe('Octavia compatibility', () => {
  let app: TestApp;
  before(async () => {
    app = await testApp();
  });
  after(async () => app.close());

  /** A request with explicit headers (app.req sends no Accept). */
  const raw = (method: string, url: string, headers: Record<string, string> = {}, body?: unknown) =>
    app.runtime.app.inject({
      method: method as any, url, headers: { 'x-project-id': 'p1', ...headers },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  const json = { accept: 'application/json' };

  describe('version roots', () => {
    test('/v2, /v2.0 and their lbaas and octavia roots answer the JSON string "v2"', async () => {
      for (const path of ['/v2', '/v2.0', '/v2/', '/v2/lbaas', '/v2.0/lbaas/', '/v2/octavia']) {
        const res = await raw('GET', path, json);
        assert.equal(res.statusCode, 200, path);
        assert.match(String(res.headers['content-type']), /^application\/json/);
        assert.equal(JSON.parse(res.body), 'v2', path);
      }
    });

    test('the root lists every version, v2.14 dated as Octavia dates it, v2.27 CURRENT', async () => {
      const versions = JSON.parse((await raw('GET', '/', json)).body).versions;
      assert.equal(versions.find((v: any) => v.id === 'v2.14').updated, '2019-11-10T00:00:00Z');
      assert.deepEqual(versions.filter((v: any) => v.status === 'CURRENT').map((v: any) => v.id), ['v2.27']);
    });
  });

  describe('the HTTP layer', () => {
    test('an unknown path is {code, title, description}: "" under /v2, null elsewhere', async () => {
      assert.deepEqual(JSON.parse((await raw('GET', '/v2/lbaas/nothing', json)).body), { code: 404, title: 'Not Found', description: '' });
      const outside = await raw('GET', '/v3', json);
      assert.equal(outside.statusCode, 404);
      assert.deepEqual(JSON.parse(outside.body), { code: 404, title: 'Not Found', description: null });
    });

    test('the media type follows Accept: HTML for */* (and HTML ties), plain text with no Accept', async () => {
      const html = await raw('GET', '/v2/lbaas/nothing', { accept: '*/*' });
      assert.match(String(html.headers['content-type']), /^text\/html/);
      assert.equal(html.body, '<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n'
        + '  The resource could not be found.<br /><br />\n\n\n\n </body>\n</html>');
      const plain = await raw('GET', '/v2/lbaas/nothing');
      assert.match(String(plain.headers['content-type']), /^text\/plain/);
      assert.equal(plain.body, '404 Not Found\n\nThe resource could not be found.\n\n   ');
      assert.match(String((await raw('GET', '/v2/x', { accept: 'application/json;q=0.5, text/html' })).headers['content-type']), /^text\/html/);
      assert.match(String((await raw('GET', '/v2/x', { accept: 'text/html;q=0.1, application/json' })).headers['content-type']), /^application\/json/);
    });

    test('a known path with another method is 405 with Allow; HEAD is not an implicit GET', async () => {
      const patch = await raw('PATCH', LBS, json);
      assert.equal(patch.statusCode, 405);
      assert.deepEqual(JSON.parse(patch.body), { code: 405, title: 'Method Not Allowed', description: '' });
      assert.equal(patch.headers.allow, 'GET, POST');
      assert.equal((await raw('POST', '/v2/lbaas/quotas', json, { quota: {} })).statusCode, 405);
      assert.equal((await raw('PATCH', `/v2/lbaas/listeners/${MISSING}`, json)).statusCode, 405);
      const head = await raw('HEAD', LBS, json);
      assert.equal(head.statusCode, 405);
      assert.equal(head.body, '');
      const html = await raw('PATCH', LBS, { accept: '*/*' });
      assert.match(html.body, /The method PATCH is not allowed for this resource. <br \/><br \/>\n\n <\/body>/);
    });

    test('OPTIONS on a known path is an empty 200', async () => {
      const res = await raw('OPTIONS', LBS, json);
      assert.equal(res.statusCode, 200);
      assert.equal(res.body, '');
    });

    test('PUT or DELETE on a collection misses its id; POST on an item cannot convert the id into a body', async () => {
      for (const method of ['PUT', 'DELETE']) {
        const res = await raw(method, LBS, json);
        assert.equal(res.statusCode, 400, method);
        assert.deepEqual(JSON.parse(res.body), { faultcode: 'Client', faultstring: 'Missing argument: "id"', debuginfo: null });
      }
      const post = await raw('POST', `/v2/lbaas/listeners/${MISSING}`, json, { listener: {} });
      assert.equal(post.statusCode, 400);
      assert.equal(JSON.parse(post.body).faultstring, `Invalid input for field/attribute listener_. Value: '${MISSING}'. `
        + 'unable to convert to ListenerRootPOST. Error: Base.__init__() takes 1 positional argument but 2 were given');
    });

    test('any path under a provider that no route takes is 405, as Octavia\'s provider controller answers', async () => {
      assert.equal((await raw('GET', '/v2/lbaas/providers/amphora', json)).statusCode, 405);
      assert.equal((await raw('POST', '/v2/lbaas/providers', json)).statusCode, 405);
      assert.equal((await raw('GET', '/v2/lbaas/providers/amphora/flavor_capabilities', json)).statusCode, 200);
    });

    test('a bad limit or sort direction is an HTTP-layer 400; a bad sort key or marker is a fault', async () => {
      const limit = await raw('GET', `${LBS}?limit=abc`, json);
      assert.equal(limit.statusCode, 400);
      assert.deepEqual(JSON.parse(limit.body), { code: 400, title: 'Bad Request', description: "Supplied pagination limit 'abc' is not valid." });
      assert.deepEqual(JSON.parse((await raw('GET', `${LBS}?sort=name:sideways`, json)).body).description, "Supplied sort direction 'sideways' is not valid.");
      assert.deepEqual(JSON.parse((await raw('GET', `${LBS}?sort_key=name&sort_dir=up`, json)).body).description, "Supplied sort direction 'up' is not valid.");
      const html = await raw('GET', `${LBS}?limit=abc`, { accept: '*/*' });
      assert.match(html.body, /\nSupplied pagination limit &#x27;abc&#x27; is not valid.\n\n\n <\/body>/);
      const key = await app.req('GET', `${LBS}?project_id=nobody&sort=bogus:asc`, undefined, 'nobody');
      assert.equal(key.status, 400, 'an unknown sort key is refused even when nothing matches');
      assert.equal(key.body.faultstring, "Supplied sort key 'bogus' is not valid.");
    });
  });

  describe('WSME message shapes', () => {
    const post = (body: unknown) => app.req('POST', LBS, body);

    test('unknown attributes name the controller argument and the path to the object', async () => {
      assert.equal((await post({ lb: { vip_subnet_id: SUBNET } })).body.faultstring, 'Unknown attribute for argument load_balancer: lb');
      assert.equal((await post({ loadbalancer: { vip_subnet_id: SUBNET, bogus: 1 } })).body.faultstring,
        'Unknown attribute for argument load_balancer.loadbalancer: bogus');
      const graph = await post({ loadbalancer: { vip_subnet_id: SUBNET, listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'p', bogus: 1 } }] } });
      assert.equal(graph.body.faultstring, 'Unknown attribute for argument load_balancer.loadbalancer.listeners.default_pool: bogus');
      const lb = await activeLoadBalancer(app);
      const rule = await app.req('POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: MISSING, action: 'REJECT', bogus: 1, other: 2 } });
      assert.equal(rule.body.faultstring, 'Unknown attributes for argument l7policy_.l7policy: bogus, other');
      assert.equal((await app.req('PUT', `${LBS}/${lb.id}`, { loadbalancer: { provider: 'x' } })).body.faultstring,
        'Unknown attribute for argument load_balancer.loadbalancer: provider');
    });

    test('field values are shown as Python prints them; UUIDs and strings say what they should be', async () => {
      const msg = async (extra: Record<string, unknown>) => (await post({ loadbalancer: { vip_subnet_id: SUBNET, ...extra } })).body.faultstring;
      assert.equal(await msg({ vip_network_id: '1234' }), "Invalid input for field/attribute vip_network_id. Value: '1234'. Value should be UUID format");
      assert.equal(await msg({ name: 42 }), "Invalid input for field/attribute name. Value: '42'. Value should be string");
      assert.equal(await msg({ tags: [1, 2] }), "Invalid input for field/attribute tags. Value: '[1, 2]'. Value should be string");
      assert.equal((await app.req('POST', '/v2/lbaas/listeners', { listener: { protocol: 'HTTP', protocol_port: 80 } })).body.faultstring,
        "Invalid input for field/attribute loadbalancer_id. Value: 'None'. Mandatory field missing.");
    });

    test('a value that cannot be converted at all is reported against the whole body', async () => {
      const bool = await post({ loadbalancer: { vip_subnet_id: SUBNET, admin_state_up: 'maybe' } });
      assert.equal(bool.body.faultstring, `Invalid input for field/attribute load_balancer. Value: '{'loadbalancer': {'vip_subnet_id': '${SUBNET}', `
        + "'admin_state_up': 'maybe'}}'. Value not an unambiguous boolean: maybe");
      const list = await post({ loadbalancer: { tags: 'blue', vip_subnet_id: SUBNET } });
      assert.equal(list.body.faultstring, `Invalid input for field/attribute load_balancer. Value: '{'loadbalancer': {'tags': 'blue', 'vip_subnet_id': '${SUBNET}'}}'. `
        + 'Value not a valid list: blue');
      const quota = await app.req('PUT', '/v2/lbaas/quotas/pq', { quota: { loadbalancer: 'many' } });
      assert.equal(quota.body.faultstring, "Invalid input for field/attribute quotas. Value: '{'quota': {'loadbalancer': 'many'}}'. "
        + "invalid literal for int() with base 10: 'many'");
    });
  });

  describe('what writes answer', () => {
    test('a create answers PENDING_CREATE even when the worker settles at once', async () => {
      const res = await app.req('POST', LBS, {
        loadbalancer: { vip_subnet_id: SUBNET, listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }] },
      });
      assert.equal(res.status, 201);
      const lb = res.body.loadbalancer;
      assert.deepEqual([lb.provisioning_status, lb.listeners[0].provisioning_status, lb.pools[0].provisioning_status],
        ['PENDING_CREATE', 'PENDING_CREATE', 'PENDING_CREATE']);
      // Octavia's full listener and pool types have no back-references.
      assert.ok(!('loadbalancers' in lb.listeners[0]) && !('loadbalancers' in lb.pools[0]) && !('healthmonitor_id' in lb.pools[0]));
      await app.settle();
    });

    test('PUT admin_state_up: null stores false, as Octavia does', async () => {
      const lb = await activeLoadBalancer(app);
      const res = await app.req('PUT', `${LBS}/${lb.id}`, { loadbalancer: { admin_state_up: null } });
      assert.equal(res.status, 200);
      assert.equal(res.body.loadbalancer.admin_state_up, false);
      await app.settle();
    });

    test('a pool without a monitor has no healthmonitor_id key; status trees show unnamed objects as ""', async () => {
      const lb = await activeLoadBalancer(app);
      const pool = await app.req('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
      assert.ok(!('healthmonitor_id' in pool.body.pool));
      await app.settle();
      await app.req('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, default_pool_id: pool.body.pool.id } });
      await app.settle();
      await app.req('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: pool.body.pool.id, type: 'TCP', delay: 1, timeout: 1, max_retries: 1 } });
      await app.settle();
      const tree = (await app.req('GET', `${LBS}/${lb.id}/status`)).body.statuses.loadbalancer;
      assert.equal(tree.listeners[0].pools[0].name, '');
      assert.equal(tree.listeners[0].pools[0].health_monitor.name, '');
    });
  });

  describe('list order', () => {
    test('sorting ignores case, as Octavia\'s database collation does', async () => {
      for (const name of ['beta', 'Alpha', '^caret']) await app.req('POST', LBS, { loadbalancer: { vip_subnet_id: SUBNET, name } }, 'case');
      await app.settle();
      const res = await app.req('GET', `${LBS}?project_id=case&sort=name:asc&fields=name`, undefined, 'case');
      assert.deepEqual(res.body.loadbalancers.map((l: any) => l.name), ['Alpha', 'beta', '^caret']);
    });

    test('objects created in the same second keep their creation order', async () => {
      const names = Array.from({ length: 8 }, (_, i) => `same-${i}`);
      for (const name of names) await app.req('POST', LBS, { loadbalancer: { vip_subnet_id: SUBNET, name, description: 'x' } }, 'order');
      await app.settle();
      const res = await app.req('GET', `${LBS}?project_id=order&sort=description:asc&fields=name`, undefined, 'order');
      assert.deepEqual(res.body.loadbalancers.map((l: any) => l.name), names);
    });
  });
});

describe('Octavia compatibility with the noop provider as default', () => {
  let app: TestApp;
  before(async () => {
    app = await testApp({ defaultProvider: 'noop' });
  });
  after(async () => app.close());

  test('members may name any subnet, as on Octavia\'s noop network', async () => {
    const lb = await activeLoadBalancer(app, { vip_subnet_id: MISSING });
    assert.equal(lb.provider, 'noop');
    const pool = await app.req('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    await app.settle();
    const member = await app.req('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: '192.0.2.1', protocol_port: 80, subnet_id: MISSING } });
    assert.equal(member.status, 201, JSON.stringify(member.body));
    await app.settle();
  });
});
