// RBAC and project isolation with the built-in identity: real tokens from POST
// /identity/v3/auth/tokens, Octavia's default policies at the edge, the services' owner
// checks behind them. One project never lists, shows, changes, deletes or references
// another's objects; observers and readers cannot write; only admins cross projects.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { testApp, SUBNET } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { bootstrapAdmin } from '../../src/identity/directory.ts';

const ADMIN_PASSWORD = 'admin-secret-1';

interface Caller { token: string; projectId: string }

let app: TestApp;
const callers: Record<string, Caller> = {};
const tree: Record<string, string> = {};

async function call(method: string, url: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['x-auth-token'] = token;
  const res = await app.runtime.app.inject({ method: method as any, url, headers, payload: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
}

async function login(user: string, password: string, project: string): Promise<Caller> {
  const res = await call('POST', '/identity/v3/auth/tokens', null, {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } },
      scope: { project: { name: project, domain: { name: 'Default' } } },
    },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { token: String(res.headers['x-subject-token']), projectId: res.body.token.project.id };
}

/** Creates a user with these roles on the project and logs it in. */
async function persona(name: string, project: string, roles: string[]): Promise<Caller> {
  const admin = callers.admin.token;
  let projectId = (await call('GET', `/identity/v3/projects?name=${project}`, admin)).body.projects[0]?.id;
  if (!projectId) projectId = (await call('POST', '/identity/v3/projects', admin, { project: { name: project } })).body.project.id;
  const user = await call('POST', '/identity/v3/users', admin, { user: { name, password: `${name}-pw` } });
  assert.equal(user.status, 201);
  for (const role of roles) {
    assert.equal((await call('PUT', `/identity/v3/projects/${projectId}/users/${user.body.user.id}/roles/${role}`, admin)).status, 204);
  }
  return login(name, `${name}-pw`, project);
}

async function created(who: string, url: string, body: unknown): Promise<any> {
  const res = await call('POST', url, callers[who].token, body);
  assert.equal(res.status, 201, `${url}: ${JSON.stringify(res.body)}`);
  await app.settle();
  return res.body;
}

before(async () => {
  app = await testApp({ auth: 'builtin', checkRefs: true });
  await bootstrapAdmin({ store: app.runtime.store, log: pino({ level: 'silent' }), tokenTtlSeconds: 3600 }, ADMIN_PASSWORD);
  callers.admin = await login('admin', ADMIN_PASSWORD, 'admin');
  callers.alice = await persona('alice', 'blue', ['load-balancer_member', 'member']);
  callers.bob = await persona('bob', 'green', ['load-balancer_member', 'member']);
  callers.olive = await persona('olive', 'blue', ['load-balancer_observer', 'reader']);
  callers.rita = await persona('rita', 'blue', ['reader']);
  callers.gina = await persona('gina', 'green', ['load-balancer_global_observer']);
  callers.quinn = await persona('quinn', 'green', ['load-balancer_quota_admin']);

  // Alice's full tree in project blue.
  tree.lb = (await created('alice', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'blue-lb', vip_subnet_id: SUBNET } })).loadbalancer.id;
  tree.listener = (await created('alice', '/v2/lbaas/listeners', { listener: { loadbalancer_id: tree.lb, protocol: 'HTTP', protocol_port: 80 } })).listener.id;
  tree.pool = (await created('alice', '/v2/lbaas/pools', { pool: { listener_id: tree.listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).pool.id;
  tree.member = (await created('alice', `/v2/lbaas/pools/${tree.pool}/members`, { member: { address: '127.0.0.9', protocol_port: 8080 } })).member.id;
  tree.hm = (await created('alice', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: tree.pool, type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 } })).healthmonitor.id;
  tree.l7policy = (await created('alice', '/v2/lbaas/l7policies', { l7policy: { listener_id: tree.listener, action: 'REJECT' } })).l7policy.id;
  tree.l7rule = (await created('alice', `/v2/lbaas/l7policies/${tree.l7policy}/rules`, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/x' } })).rule.id;

  // Bob's own load balancer and listener in project green, to reference Alice's objects from.
  tree.bobLb = (await created('bob', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'green-lb', vip_subnet_id: SUBNET } })).loadbalancer.id;
  tree.bobListener = (await created('bob', '/v2/lbaas/listeners', { listener: { loadbalancer_id: tree.bobLb, protocol: 'HTTP', protocol_port: 80 } })).listener.id;
});

after(() => app?.close());

const ITEMS = () => [
  ['loadbalancers', tree.lb, 'loadbalancer'],
  ['listeners', tree.listener, 'listener'],
  ['pools', tree.pool, 'pool'],
  [`pools/${tree.pool}/members`, tree.member, 'member'],
  ['healthmonitors', tree.hm, 'healthmonitor'],
  ['l7policies', tree.l7policy, 'l7policy'],
  [`l7policies/${tree.l7policy}/rules`, tree.l7rule, 'rule'],
] as const;

describe('authentication', () => {
  test('every Octavia and Neutron route names a policy action', () => {
    assert.deepEqual(app.runtime.app.unpoliced, []);
  });

  test('no token, an unknown token, and a revoked token are 401; version discovery needs none', async () => {
    assert.equal((await call('GET', '/v2/lbaas/loadbalancers', null)).status, 401);
    assert.equal((await call('GET', '/v2/lbaas/loadbalancers', 'not-a-token')).status, 401);
    assert.equal((await call('GET', '/', null)).status, 200);
    const temp = await login('bob', 'bob-pw', 'green');
    assert.equal((await call('GET', '/v2/lbaas/loadbalancers', temp.token)).status, 200);
    const res = await app.runtime.app.inject({ method: 'DELETE', url: '/identity/v3/auth/tokens', headers: { 'x-auth-token': temp.token, 'x-subject-token': temp.token } });
    assert.equal(res.statusCode, 204);
    assert.equal((await call('GET', '/v2/lbaas/loadbalancers', temp.token)).status, 401);
  });

  test('X-Project-Id means nothing outside noauth', async () => {
    const res = await app.runtime.app.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers', headers: { 'x-project-id': callers.alice.projectId } });
    assert.equal(res.statusCode, 401);
  });
});

describe('project isolation', () => {
  test('another project lists none of them and gets 403 on show, update and delete', async () => {
    const bob = callers.bob.token;
    for (const [path, id, key] of ITEMS()) {
      const list = await call('GET', `/v2/lbaas/${path}`, bob);
      if (list.status === 200) {
        const plural = Object.keys(list.body).find((k) => !k.endsWith('_links'))!;
        assert.ok(!list.body[plural].some((o: { id: string }) => o.id === id), `bob lists ${key}`);
      } else {
        assert.equal(list.status, 403, `bob lists ${path}`);
      }
      assert.equal((await call('GET', `/v2/lbaas/${path}/${id}`, bob)).status, 403, `show ${key}`);
      const change = key === 'rule' ? { value: '/mine' } : { name: 'mine' };
      assert.equal((await call('PUT', `/v2/lbaas/${path}/${id}`, bob, { [key]: change })).status, 403, `update ${key}`);
      assert.equal((await call('DELETE', `/v2/lbaas/${path}/${id}`, bob)).status, 403, `delete ${key}`);
    }
    assert.equal((await call('GET', `/v2/lbaas/loadbalancers?project_id=${callers.alice.projectId}`, bob)).status, 403);
    assert.equal((await call('GET', `/v2/lbaas/loadbalancers?project_id=${callers.bob.projectId}`, bob)).status, 200);
    for (const sub of ['status', 'stats']) assert.equal((await call('GET', `/v2/lbaas/loadbalancers/${tree.lb}/${sub}`, bob)).status, 403);
    assert.equal((await call('GET', `/v2/lbaas/listeners/${tree.listener}/stats`, bob)).status, 403);
    assert.equal((await call('GET', `/v2.0/ports/${(await call('GET', `/v2/lbaas/loadbalancers/${tree.lb}`, callers.alice.token)).body.loadbalancer.vip_port_id}`, bob)).status, 404);
    assert.equal((await call('DELETE', `/v2/lbaas/loadbalancers/${tree.lb}?cascade=true`, bob)).status, 403);
  });

  test('another project cannot hang children under them or point at them', async () => {
    const bob = callers.bob.token;
    const refused = async (url: string, body: unknown, what: string) => {
      const res = await call('POST', url, bob, body);
      assert.ok(res.status === 403 || res.status === 404 || res.status === 400 || res.status === 409, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
    };
    await refused('/v2/lbaas/listeners', { listener: { loadbalancer_id: tree.lb, protocol: 'TCP', protocol_port: 81 } }, 'listener on their LB');
    await refused('/v2/lbaas/pools', { pool: { loadbalancer_id: tree.lb, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }, 'pool on their LB');
    await refused(`/v2/lbaas/pools/${tree.pool}/members`, { member: { address: '127.0.0.10', protocol_port: 80 } }, 'member in their pool');
    await refused('/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: tree.pool, type: 'TCP', delay: 5, timeout: 3, max_retries: 2 } }, 'monitor on their pool');
    await refused('/v2/lbaas/l7policies', { l7policy: { listener_id: tree.listener, action: 'REJECT' } }, 'policy on their listener');
    await refused(`/v2/lbaas/l7policies/${tree.l7policy}/rules`, { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/y' } }, 'rule in their policy');
    await refused('/v2/lbaas/l7policies', { l7policy: { listener_id: tree.bobListener, action: 'REDIRECT_TO_POOL', redirect_pool_id: tree.pool } }, 'redirect to their pool');
    await refused('/v2/lbaas/listeners', { listener: { loadbalancer_id: tree.bobLb, protocol: 'HTTP', protocol_port: 82, default_pool_id: tree.pool } }, 'default pool of theirs');
    await refused('/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, project_id: callers.alice.projectId } }, 'LB in their project');
    const put = await call('PUT', `/v2/lbaas/listeners/${tree.bobListener}`, bob, { listener: { default_pool_id: tree.pool } });
    assert.ok(put.status >= 400 && put.status < 500, `retarget default pool: ${put.status}`);

    // Nothing of Alice's changed.
    const alice = callers.alice.token;
    assert.equal((await call('GET', `/v2/lbaas/pools/${tree.pool}/members`, alice)).body.members.length, 1);
    assert.equal((await call('GET', `/v2/lbaas/listeners?loadbalancer_id=${tree.lb}`, alice)).body.listeners.length, 1);
    assert.equal((await call('GET', `/v2/lbaas/l7policies/${tree.l7policy}/rules`, alice)).body.rules.length, 1);
    assert.equal((await call('GET', `/v2/lbaas/loadbalancers/${tree.lb}`, alice)).body.loadbalancer.provisioning_status, 'ACTIVE');
  });

  test('the owner sees and changes its own objects', async () => {
    const alice = callers.alice.token;
    for (const [path, id, key] of ITEMS()) {
      const res = await call('GET', `/v2/lbaas/${path}/${id}`, alice);
      assert.equal(res.status, 200, `show ${key}`);
    }
    const list = await call('GET', '/v2/lbaas/loadbalancers', alice);
    assert.deepEqual(list.body.loadbalancers.map((l: { id: string }) => l.id), [tree.lb]);
    assert.equal((await call('PUT', `/v2/lbaas/loadbalancers/${tree.lb}`, alice, { loadbalancer: { description: 'mine' } })).status, 200);
    await app.settle();
  });
});

describe('key manager', () => {
  test('secrets are their project\'s own: another project cannot read, list, delete or reference them', async () => {
    const created = await call('POST', '/v1/secrets', callers.alice.token, { name: 's', payload: 'top', payload_content_type: 'text/plain', secret_type: 'opaque' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const ref = created.body.secret_ref as string;
    const id = ref.split('/').pop();
    assert.equal((await call('GET', `/v1/secrets/${id}`, callers.alice.token)).status, 200);
    const bob = callers.bob.token;
    assert.ok([403, 404].includes((await call('GET', `/v1/secrets/${id}`, bob)).status));
    assert.ok([403, 404].includes((await call('GET', `/v1/secrets/${id}/payload`, bob)).status));
    assert.ok([403, 404].includes((await call('DELETE', `/v1/secrets/${id}`, bob)).status));
    assert.equal((await call('GET', '/v1/secrets', bob)).body.secrets.length, 0);
    const listener = await call('POST', '/v2/lbaas/listeners', bob, {
      listener: { loadbalancer_id: tree.bobLb, protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: ref },
    });
    assert.equal(listener.status, 400, JSON.stringify(listener.body));
    assert.match(listener.body.faultstring, /project/);
    assert.equal((await call('GET', '/v1/secrets', null)).status, 401);
  });
});

describe('roles', () => {
  test('an observer reads its project but cannot write; a bare reader has no access', async () => {
    const olive = callers.olive.token;
    assert.equal((await call('GET', `/v2/lbaas/loadbalancers/${tree.lb}`, olive)).status, 200);
    assert.equal((await call('GET', '/v2/lbaas/loadbalancers', olive)).body.loadbalancers.length, 1);
    assert.equal((await call('GET', `/v2/lbaas/loadbalancers/${tree.bobLb}`, olive)).status, 403);
    assert.equal((await call('POST', '/v2/lbaas/loadbalancers', olive, { loadbalancer: { vip_subnet_id: SUBNET } })).status, 403);
    assert.equal((await call('PUT', `/v2/lbaas/pools/${tree.pool}`, olive, { pool: { name: 'x' } })).status, 403);
    assert.equal((await call('DELETE', `/v2/lbaas/pools/${tree.pool}/members/${tree.member}`, olive)).status, 403);
    const rita = callers.rita.token;
    assert.equal((await call('GET', `/v2/lbaas/loadbalancers/${tree.lb}`, rita)).status, 403);
    assert.equal((await call('POST', '/v2/lbaas/loadbalancers', rita, { loadbalancer: { vip_subnet_id: SUBNET } })).status, 403);
  });

  test('a global observer reads every project and writes none', async () => {
    const gina = callers.gina.token;
    const ids = (await call('GET', '/v2/lbaas/loadbalancers', gina)).body.loadbalancers.map((l: { id: string }) => l.id).sort();
    assert.deepEqual(ids, [tree.lb, tree.bobLb].sort());
    assert.equal((await call('GET', `/v2/lbaas/pools/${tree.pool}`, gina)).status, 200);
    assert.equal((await call('PUT', `/v2/lbaas/pools/${tree.pool}`, gina, { pool: { name: 'x' } })).status, 403);
    assert.equal((await call('GET', '/v2/octavia/amphorae', gina)).status, 403);
  });

  test('a quota admin sets any project quota and nothing else', async () => {
    const quinn = callers.quinn.token;
    const res = await call('PUT', `/v2/lbaas/quotas/${callers.alice.projectId}`, quinn, { quota: { pool: 7 } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal((await call('GET', `/v2/lbaas/quotas/${callers.alice.projectId}`, quinn)).body.quota.pool, 7);
    assert.equal((await call('GET', '/v2/lbaas/loadbalancers', quinn)).status, 403);
    // A member reads its own quota but sets none, and cannot read another project's.
    assert.equal((await call('GET', `/v2/lbaas/quotas/${callers.alice.projectId}`, callers.alice.token)).status, 200);
    assert.equal((await call('PUT', `/v2/lbaas/quotas/${callers.alice.projectId}`, callers.alice.token, { quota: { pool: 70 } })).status, 403);
    assert.equal((await call('GET', `/v2/lbaas/quotas/${callers.alice.projectId}`, callers.bob.token)).status, 403);
  });

  test('admin-only actions: amphorae and failover', async () => {
    assert.equal((await call('GET', '/v2/octavia/amphorae', callers.alice.token)).status, 403);
    assert.equal((await call('PUT', `/v2/lbaas/loadbalancers/${tree.lb}/failover`, callers.alice.token)).status, 403);
    assert.equal((await call('GET', '/v2/lbaas/flavorprofiles', callers.alice.token)).status, 403);
    assert.equal((await call('GET', '/v2/lbaas/flavors', callers.alice.token)).status, 200);
    const admin = callers.admin.token;
    assert.equal((await call('GET', `/v2/lbaas/loadbalancers/${tree.lb}`, admin)).status, 200);
    assert.equal((await call('GET', '/v2/lbaas/loadbalancers', admin)).body.loadbalancers.length, 2);
    assert.equal((await call('GET', '/v2/octavia/amphorae', admin)).status, 200);
  });

  test('networks are readable by any authenticated caller and resolve by name', async () => {
    const res = await call('GET', '/v2.0/subnets?name=fulcrum-loopback', callers.rita.token);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.subnets.map((s: { id: string }) => s.id), [SUBNET]);
    assert.equal((await call('GET', '/v2.0/networks', null)).status, 401);
    // As the CLI resolves --vip-network-id / --vip-subnet-id / --vip-port-id: ?id= first, then ?name=.
    const network = (await call('GET', '/v2.0/networks?name=fulcrum-loopback', callers.alice.token)).body.networks;
    assert.equal(network.length, 1);
    assert.equal((await call('GET', `/v2.0/networks?id=${network[0].id}`, callers.alice.token)).body.networks.length, 1);
    assert.equal((await call('GET', `/v2.0/subnets?id=${SUBNET}`, callers.alice.token)).body.subnets.length, 1);
    const port = (await call('GET', `/v2/lbaas/loadbalancers/${tree.lb}`, callers.alice.token)).body.loadbalancer.vip_port_id;
    assert.equal((await call('GET', `/v2.0/ports?id=${port}`, callers.alice.token)).body.ports.length, 1);
    assert.equal((await call('GET', `/v2.0/ports?id=${port}`, callers.bob.token)).body.ports.length, 0, 'another project\'s VIP port');
    assert.equal((await call('GET', `/v2.0/ports?id=${port}`, callers.gina.token)).body.ports.length, 1, 'a global observer');
  });
});
