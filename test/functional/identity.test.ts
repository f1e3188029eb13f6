// The built-in identity (--auth builtin) as keystoneauth and the CLI use it: version
// discovery, password and application-credential tokens, scope, catalog, expiry and
// revocation, the directory API and its admin checks, passwords stored hashed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { testApp } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { bootstrapAdmin } from '../../src/identity/directory.ts';
import { hashSecret, verifySecret } from '../../src/identity/passwords.ts';

let app: TestApp;
let admin = '';
let projectId = '';
let userId = '';

async function call(method: string, url: string, token: string | null, body?: unknown, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
  if (token) headers['x-auth-token'] = token;
  const res = await app.runtime.app.inject({ method: method as any, url, headers, payload: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, token: res.headers['x-subject-token'] as string | undefined };
}

const password = (name: string, secret: string, scope?: unknown) => ({
  auth: { identity: { methods: ['password'], password: { user: { name, domain: { name: 'Default' }, password: secret } } }, ...(scope ? { scope } : {}) },
});

before(async () => {
  app = await testApp({ auth: 'builtin', identity: { tokenTtlSeconds: 3600, publicUrl: 'http://lb.example:9876' } });
  await bootstrapAdmin({ store: app.runtime.store, log: pino({ level: 'silent' }), tokenTtlSeconds: 3600 }, 'admin-pw');
  admin = (await call('POST', '/identity/v3/auth/tokens', null, password('admin', 'admin-pw', { project: { name: 'admin', domain: { id: 'default' } } }))).token!;
  projectId = (await call('POST', '/identity/v3/projects', admin, { project: { name: 'web' } })).body.project.id;
  userId = (await call('POST', '/identity/v3/users', admin, { user: { name: 'dev', password: 'dev-pw', default_project_id: projectId } })).body.user.id;
  await call('PUT', `/identity/v3/projects/${projectId}/users/${userId}/roles/load-balancer_member`, admin);
  await call('PUT', `/identity/v3/projects/${projectId}/users/${userId}/roles/member`, admin);
});

after(() => app?.close());

describe('tokens', () => {
  test('version discovery at /identity and /identity/v3 needs no token', async () => {
    const all = await call('GET', '/identity', null);
    assert.equal(all.status, 300);
    assert.equal(all.body.versions.values[0].id, 'v3.14');
    const v3 = await call('GET', '/identity/v3', null);
    assert.equal(v3.body.version.links[0].href, 'http://lb.example:9876/identity/v3/');
  });

  test('a password token carries user, project, implied roles and a catalog naming Fulcrum', async () => {
    const res = await call('POST', '/identity/v3/auth/tokens', null, password('dev', 'dev-pw', { project: { id: projectId } }));
    assert.equal(res.status, 201);
    assert.ok(res.token && res.token.length >= 40);
    const t = res.body.token;
    assert.equal(t.user.id, userId);
    assert.equal(t.project.id, projectId);
    assert.deepEqual(t.roles.map((r: { name: string }) => r.name).sort(), ['load-balancer_member', 'member', 'reader']);
    assert.ok(Date.parse(t.expires_at) > Date.now() + 3000_000);
    const byType = Object.fromEntries(t.catalog.map((s: any) => [s.type, s.endpoints.find((e: any) => e.interface === 'public').url]));
    assert.deepEqual(byType, {
      identity: 'http://lb.example:9876/identity/v3', 'load-balancer': 'http://lb.example:9876',
      network: 'http://lb.example:9876', 'key-manager': 'http://lb.example:9876',
    });
  });

  test('no scope: the user\'s default project, as Keystone', async () => {
    const res = await call('POST', '/identity/v3/auth/tokens', null, password('dev', 'dev-pw'));
    assert.equal(res.body.token.project.id, projectId);
  });

  test('wrong password, unknown user, project without a role: 401 in Keystone\'s shape', async () => {
    const wrong = await call('POST', '/identity/v3/auth/tokens', null, password('dev', 'nope'));
    assert.equal(wrong.status, 401);
    assert.deepEqual(Object.keys(wrong.body.error).sort(), ['code', 'message', 'title']);
    assert.equal((await call('POST', '/identity/v3/auth/tokens', null, password('ghost', 'x'))).status, 401);
    assert.equal((await call('POST', '/identity/v3/auth/tokens', null, password('dev', 'dev-pw', { project: { name: 'admin', domain: { name: 'Default' } } }))).status, 401);
    assert.equal((await call('POST', '/identity/v3/auth/tokens', null, { auth: {} })).status, 400);
  });

  test('validation: self or admin; revocation is immediate', async () => {
    const mine = (await call('POST', '/identity/v3/auth/tokens', null, password('dev', 'dev-pw'))).token!;
    const other = (await call('POST', '/identity/v3/auth/tokens', null, password('dev', 'dev-pw'))).token!;
    assert.equal((await call('GET', '/identity/v3/auth/tokens', mine, undefined, { 'x-subject-token': mine })).status, 200);
    assert.equal((await call('GET', '/identity/v3/auth/tokens', mine, undefined, { 'x-subject-token': other })).status, 403);
    assert.equal((await call('GET', '/identity/v3/auth/tokens', admin, undefined, { 'x-subject-token': other })).status, 200);
    assert.equal((await call('DELETE', '/identity/v3/auth/tokens', admin, undefined, { 'x-subject-token': other })).status, 204);
    assert.equal((await call('GET', '/identity/v3/auth/tokens', admin, undefined, { 'x-subject-token': other })).status, 404);
    assert.equal((await call('GET', '/v2/lbaas/loadbalancers', other)).status, 401);
    assert.equal((await call('GET', '/v2/lbaas/loadbalancers', mine)).status, 200);
  });

  test('tokens expire', async () => {
    const short = await testApp({ auth: 'builtin', identity: { tokenTtlSeconds: 1 } });
    try {
      await bootstrapAdmin({ store: short.runtime.store, log: pino({ level: 'silent' }), tokenTtlSeconds: 1 }, 'pw');
      const res = await short.runtime.app.inject({ method: 'POST', url: '/identity/v3/auth/tokens', payload: password('admin', 'pw') });
      const token = String(res.headers['x-subject-token']);
      const list = () => short.runtime.app.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers', headers: { 'x-auth-token': token } });
      assert.equal((await list()).statusCode, 200);
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await list()).statusCode, 401);
    } finally {
      await short.close();
    }
  });
});

describe('application credentials', () => {
  test('created by their user, authenticate by id or by name, scoped to their project, revoked with their tokens', async () => {
    const dev = (await call('POST', '/identity/v3/auth/tokens', null, password('dev', 'dev-pw'))).token!;
    const created = await call('POST', `/identity/v3/users/${userId}/application_credentials`, dev, {
      application_credential: { name: 'ci', roles: [{ name: 'load-balancer_member' }] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { id, secret } = created.body.application_credential;
    assert.ok(secret.length >= 32);
    const byId = await call('POST', '/identity/v3/auth/tokens', null, {
      auth: { identity: { methods: ['application_credential'], application_credential: { id, secret } } },
    });
    assert.equal(byId.status, 201);
    assert.equal(byId.body.token.project.id, projectId);
    assert.deepEqual(byId.body.token.roles.map((r: { name: string }) => r.name), ['load-balancer_member']);
    const byName = await call('POST', '/identity/v3/auth/tokens', null, {
      auth: { identity: { methods: ['application_credential'], application_credential: { name: 'ci', user: { name: 'dev', domain: { name: 'Default' } }, secret } } },
    });
    assert.equal(byName.status, 201);
    assert.equal((await call('POST', '/identity/v3/auth/tokens', null, {
      auth: { identity: { methods: ['application_credential'], application_credential: { id, secret: 'wrong' } } },
    })).status, 401);
    // A credential cannot carry a role its user lacks, and another user cannot make one for dev.
    assert.equal((await call('POST', `/identity/v3/users/${userId}/application_credentials`, dev, {
      application_credential: { name: 'too-much', roles: [{ name: 'admin' }] },
    })).status, 403);
    assert.equal((await call('POST', `/identity/v3/users/${userId}/application_credentials`, admin, {
      application_credential: { name: 'not-yours' },
    })).status, 403);
    // The CLI can work with it.
    assert.equal((await call('GET', '/v2/lbaas/loadbalancers', byId.token!)).status, 200);
    assert.equal((await call('DELETE', `/identity/v3/users/${userId}/application_credentials/${id}`, dev)).status, 204);
    assert.equal((await call('GET', '/v2/lbaas/loadbalancers', byId.token!)).status, 401);
  });
});

describe('directory', () => {
  test('only an admin manages projects, users and roles; duplicates are 409', async () => {
    const dev = (await call('POST', '/identity/v3/auth/tokens', null, password('dev', 'dev-pw'))).token!;
    assert.equal((await call('POST', '/identity/v3/projects', dev, { project: { name: 'mine' } })).status, 403);
    assert.equal((await call('POST', '/identity/v3/users', dev, { user: { name: 'x', password: 'y' } })).status, 403);
    assert.equal((await call('PUT', `/identity/v3/projects/${projectId}/users/${userId}/roles/admin`, dev)).status, 403);
    assert.equal((await call('POST', '/identity/v3/projects', admin, { project: { name: 'web' } })).status, 409);
    assert.equal((await call('POST', '/identity/v3/users', admin, { user: { name: 'dev', password: 'z' } })).status, 409);
    assert.equal((await call('PUT', `/identity/v3/projects/${projectId}/users/${userId}/roles/no-such-role`, admin)).status, 404);
    // A user sees its own projects only; the admin sees them all.
    assert.deepEqual((await call('GET', '/identity/v3/projects', dev)).body.projects.map((p: { name: string }) => p.name), ['web']);
    assert.equal((await call('GET', '/identity/v3/projects?name=web', admin)).body.projects.length, 1);
    const roles = (await call('GET', '/identity/v3/roles', admin)).body.roles.map((r: { name: string }) => r.name);
    for (const r of ['admin', 'member', 'reader', 'load-balancer_member', 'load-balancer_observer', 'load-balancer_global_observer', 'load-balancer_quota_admin', 'load-balancer_admin']) {
      assert.ok(roles.includes(r), r);
    }
    const assignments = (await call('GET', `/identity/v3/role_assignments?user.id=${userId}`, admin)).body.role_assignments;
    assert.deepEqual(assignments.map((a: any) => a.role.name).sort(), ['load-balancer_member', 'member']);
  });

  test('passwords are stored as scrypt hashes, never in clear', async () => {
    const row = await app.runtime.store.get('identity_user', userId);
    assert.match(row!.password_hash, /^scrypt\$16384\$8\$1\$/);
    assert.ok(!row!.password_hash.includes('dev-pw'));
    const hash = await hashSecret('s3cret');
    assert.notEqual(hash, await hashSecret('s3cret'), 'salted');
    assert.equal(await verifySecret('s3cret', hash), true);
    assert.equal(await verifySecret('s3creT', hash), false);
    assert.equal(await verifySecret('s3cret', 'plain'), false);
  });
});
