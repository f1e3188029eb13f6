// Property: whatever body a client sends to any POST or PUT, Fulcrum answers 2xx or an
// Octavia 4xx fault body — never a 5xx — and a refused request writes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { testApp, activeLoadBalancer, SUBNET } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { TABLES } from '../../src/store/schema.ts';
import type { Kind } from '../../src/store/schema.ts';

let app: TestApp;
const ids: Record<string, string> = {};
const RUNS = Number(process.env.FULCRUM_PROPERTY_RUNS ?? 60);

async function create(path: string, wrapper: string, body: object): Promise<string> {
  const res = await app.req('POST', path, { [wrapper]: body });
  assert.ok(res.status === 201 || res.status === 202, `${path}: ${res.status} ${JSON.stringify(res.body)}`);
  await app.settle();
  return res.body[wrapper].id;
}

before(async () => {
  app = await testApp();
  ids.lb = (await activeLoadBalancer(app)).id;
  ids.listener = await create('/v2/lbaas/listeners', 'listener', { loadbalancer_id: ids.lb, protocol: 'HTTP', protocol_port: 80 });
  ids.pool = await create('/v2/lbaas/pools', 'pool', { listener_id: ids.listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
  ids.member = await create(`/v2/lbaas/pools/${ids.pool}/members`, 'member', { address: '192.0.2.10', protocol_port: 8080 });
  ids.hm = await create('/v2/lbaas/healthmonitors', 'healthmonitor', { pool_id: ids.pool, type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 });
  ids.l7policy = await create('/v2/lbaas/l7policies', 'l7policy', { listener_id: ids.listener, action: 'REJECT' });
  ids.l7rule = await create(`/v2/lbaas/l7policies/${ids.l7policy}/rules`, 'rule', { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' });
});
after(async () => { await app?.close(); });

/** Each write endpoint with a body that is valid on its own: the seed the mutations start from. */
const ENDPOINTS: { name: string; method: 'POST' | 'PUT'; path: () => string; wrapper: string; valid: () => Record<string, unknown> }[] = [
  { name: 'lb create', method: 'POST', path: () => '/v2/lbaas/loadbalancers', wrapper: 'loadbalancer', valid: () => ({ vip_subnet_id: SUBNET, name: 'x' }) },
  { name: 'lb update', method: 'PUT', path: () => `/v2/lbaas/loadbalancers/${ids.lb}`, wrapper: 'loadbalancer', valid: () => ({ name: 'y' }) },
  { name: 'listener create', method: 'POST', path: () => '/v2/lbaas/listeners', wrapper: 'listener', valid: () => ({ loadbalancer_id: ids.lb, protocol: 'TCP', protocol_port: 9000 }) },
  { name: 'listener update', method: 'PUT', path: () => `/v2/lbaas/listeners/${ids.listener}`, wrapper: 'listener', valid: () => ({ connection_limit: 10 }) },
  { name: 'pool create', method: 'POST', path: () => '/v2/lbaas/pools', wrapper: 'pool', valid: () => ({ loadbalancer_id: ids.lb, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' }) },
  { name: 'pool update', method: 'PUT', path: () => `/v2/lbaas/pools/${ids.pool}`, wrapper: 'pool', valid: () => ({ lb_algorithm: 'LEAST_CONNECTIONS' }) },
  { name: 'member create', method: 'POST', path: () => `/v2/lbaas/pools/${ids.pool}/members`, wrapper: 'member', valid: () => ({ address: '192.0.2.11', protocol_port: 80 }) },
  { name: 'member update', method: 'PUT', path: () => `/v2/lbaas/pools/${ids.pool}/members/${ids.member}`, wrapper: 'member', valid: () => ({ weight: 5 }) },
  { name: 'members batch', method: 'PUT', path: () => `/v2/lbaas/pools/${ids.pool}/members`, wrapper: 'members', valid: () => ({}) },
  { name: 'hm update', method: 'PUT', path: () => `/v2/lbaas/healthmonitors/${ids.hm}`, wrapper: 'healthmonitor', valid: () => ({ delay: 6 }) },
  { name: 'hm create', method: 'POST', path: () => '/v2/lbaas/healthmonitors', wrapper: 'healthmonitor', valid: () => ({ pool_id: ids.pool, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 }) },
  { name: 'l7policy create', method: 'POST', path: () => '/v2/lbaas/l7policies', wrapper: 'l7policy', valid: () => ({ listener_id: ids.listener, action: 'REJECT' }) },
  { name: 'l7policy update', method: 'PUT', path: () => `/v2/lbaas/l7policies/${ids.l7policy}`, wrapper: 'l7policy', valid: () => ({ position: 1 }) },
  { name: 'l7rule create', method: 'POST', path: () => `/v2/lbaas/l7policies/${ids.l7policy}/rules`, wrapper: 'rule', valid: () => ({ type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'a.example' }) },
  { name: 'l7rule update', method: 'PUT', path: () => `/v2/lbaas/l7policies/${ids.l7policy}/rules/${ids.l7rule}`, wrapper: 'rule', valid: () => ({ invert: true }) },
  { name: 'quota update', method: 'PUT', path: () => '/v2/lbaas/quotas/fuzz-project', wrapper: 'quota', valid: () => ({ load_balancer: 5 }) },
  { name: 'flavorprofile create', method: 'POST', path: () => '/v2/lbaas/flavorprofiles', wrapper: 'flavorprofile', valid: () => ({ name: 'fp', provider_name: 'amphora', flavor_data: '{}' }) },
  { name: 'azprofile create', method: 'POST', path: () => '/v2/lbaas/availabilityzoneprofiles', wrapper: 'availability_zone_profile', valid: () => ({ name: 'azp', provider_name: 'amphora', availability_zone_data: '{}' }) },
];

/** Hostile values: wrong types, extremes, injection-looking strings, deep nesting. */
const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('', ' ', '\n', '"', "'; drop table load_balancer;--", 'a\nbind :1', '../../etc', '\u0000', 'x'.repeat(300)),
  fc.constantFrom(-1, 0, 65536, 2 ** 31, -(2 ** 53), 1.5, Number.MAX_SAFE_INTEGER, true, false, null),
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'not-a-uuid', '1.2.3.4', '999.1.1.1', 'HTTP', 'ROUND_ROBIN'),
);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.string({ maxLength: 20 }), value: nasty }),
  fc.record({ kind: fc.constant('setKnown' as const), pick: fc.nat(), value: nasty }),
  fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('wrapper' as const), value: nasty }),
  fc.record({ kind: fc.constant('raw' as const), value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string()) }),
);

const KNOWN_FIELDS = [
  'name', 'description', 'admin_state_up', 'protocol', 'protocol_port', 'lb_algorithm', 'address', 'weight', 'delay',
  'timeout', 'max_retries', 'type', 'value', 'compare_type', 'key', 'action', 'position', 'redirect_url', 'tags',
  'session_persistence', 'insert_headers', 'allowed_cidrs', 'default_pool_id', 'listener_id', 'loadbalancer_id', 'pool_id',
  'vip_subnet_id', 'vip_address', 'connection_limit', 'url_path', 'expected_codes', 'http_method', 'monitor_port', 'backup',
  'timeout_client_data', 'tls_versions', 'project_id', 'members', 'provider', 'flavor_data', 'load_balancer', 'redirect_pool_id',
];

function mutate(valid: Record<string, unknown>, wrapper: string, steps: fc.Arbitrary<any>[] | any[]): unknown {
  let inner: Record<string, unknown> = { ...valid };
  let body: unknown = undefined;
  for (const m of steps) {
    if (m.kind === 'set') inner[m.key] = m.value;
    else if (m.kind === 'setKnown') inner[KNOWN_FIELDS[m.pick % KNOWN_FIELDS.length]] = m.value;
    else if (m.kind === 'drop') {
      const keys = Object.keys(inner);
      if (keys.length) delete inner[keys[m.pick % keys.length]];
    } else if (m.kind === 'wrapper') body = { [wrapper]: m.value };
    else if (m.kind === 'raw') body = m.value;
    inner = { ...inner };
  }
  return body === undefined ? { [wrapper]: inner } : body;
}

async function snapshot(): Promise<string> {
  const counts: number[] = [];
  for (const kind of Object.keys(TABLES) as Kind[]) counts.push(await app.runtime.store.count(kind));
  const lb = await app.runtime.store.get('load_balancer', ids.lb);
  return JSON.stringify({ counts, generation: lb?.generation });
}

for (const ep of ENDPOINTS) {
  test(`${ep.name}: any body gets 2xx or an Octavia 4xx, and a 4xx writes nothing`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (steps) => {
        const body = mutate(ep.valid(), ep.wrapper, steps);
        const before = await snapshot();
        const res = await app.req(ep.method, ep.path(), typeof body === 'string' ? JSON.stringify(body) : body);
        assert.ok(res.status < 500, `${ep.method} ${ep.path()} ${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`);
        if (res.status >= 400) {
          assert.deepEqual(Object.keys(res.body ?? {}).sort(), ['debuginfo', 'faultcode', 'faultstring'], JSON.stringify(res.body));
          assert.equal(await snapshot(), before, `refused ${JSON.stringify(body)} but state changed`);
        }
        await app.settle();
      }),
      { numRuns: RUNS },
    );
  });
}
