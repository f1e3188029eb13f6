// --auth keystone against a small fake Keystone (a real HTTP server on a free port): the
// service user authenticates, each X-Auth-Token is validated with GET /v3/auth/tokens,
// project, user, roles and scope come from the answer, and answers are cached (bounded).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { testApp, SUBNET } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { KeystoneValidator } from '../../src/identity/keystone.ts';
import type { KeystoneConfig } from '../../src/identity/keystone.ts';

interface FakeToken { project: string; roles: string[]; expires: number; system?: boolean }

const tokens = new Map<string, FakeToken>();
const calls = { auth: 0, validate: 0 };
/** The one service token the fake accepts; a new service login replaces it. */
let serviceToken = '';
let server: Server;
let keystoneUrl: string;
let app: TestApp;

function fakeKeystone(): Server {
  return createServer((req, res) => {
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (req.url === '/v3/auth/tokens' && req.method === 'POST') {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        calls.auth++;
        const body = JSON.parse(raw);
        const user = body.auth.identity.password.user;
        if (user.name !== 'octavia' || user.password !== 'svc-pw') return send(401, { error: { code: 401 } });
        serviceToken = `service-token-${calls.auth}`;
        send(201, { token: { expires_at: new Date(Date.now() + 3_600_000).toISOString(), user: { id: 'svc' } } }, { 'x-subject-token': serviceToken });
      });
      return;
    }
    if (req.url?.startsWith('/v3/auth/tokens') && req.method === 'GET') {
      calls.validate++;
      if (req.headers['x-auth-token'] !== serviceToken) return send(401, { error: { code: 401 } });
      const subject = String(req.headers['x-subject-token']);
      const t = tokens.get(subject);
      if (!t || t.expires < Date.now()) return send(404, { error: { code: 404, message: 'Could not find token' } });
      return send(200, {
        token: {
          methods: ['password'], expires_at: new Date(t.expires).toISOString(), issued_at: new Date().toISOString(),
          user: { id: `user-of-${subject}`, name: subject, domain: { id: 'default' } },
          ...(t.system ? { system: { all: true } } : { project: { id: t.project, name: t.project, domain: { id: 'default' } } }),
          roles: t.roles.map((name) => ({ id: name, name })),
        },
      }, { 'x-subject-token': subject });
    }
    send(404, { error: { code: 404 } });
  });
}

const config = (over: Partial<KeystoneConfig> = {}): KeystoneConfig => ({
  url: `${keystoneUrl}/v3`, username: 'octavia', password: 'svc-pw', projectName: 'service',
  userDomainName: 'Default', projectDomainName: 'Default', cacheSeconds: 300, cacheSize: 100, timeoutMs: 2000, ...over,
});

async function call(method: string, url: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['x-auth-token'] = token;
  const res = await app.runtime.app.inject({ method: method as any, url, headers, payload: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
}

before(async () => {
  server = fakeKeystone();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  keystoneUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tokens.set('tok-red', { project: 'red', roles: ['load-balancer_member', 'member', 'reader'], expires: Date.now() + 600_000 });
  tokens.set('tok-blue', { project: 'blue', roles: ['load-balancer_member', 'member', 'reader'], expires: Date.now() + 600_000 });
  tokens.set('tok-observer', { project: 'red', roles: ['load-balancer_observer', 'reader'], expires: Date.now() + 600_000 });
  tokens.set('tok-system', { project: '', roles: ['reader'], expires: Date.now() + 600_000, system: true });
  app = await testApp({ auth: 'keystone', identity: { tokenTtlSeconds: 3600, keystone: config() } });
});

after(async () => {
  await app?.close();
  server?.close();
});

test('project, user and roles come from the token Keystone validates', async () => {
  assert.equal((await call('GET', '/v2/lbaas/loadbalancers', null)).status, 401);
  assert.equal((await call('GET', '/v2/lbaas/loadbalancers', 'tok-unknown')).status, 401);
  const created = await call('POST', '/v2/lbaas/loadbalancers', 'tok-red', { loadbalancer: { vip_subnet_id: SUBNET } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.loadbalancer.project_id, 'red');
  await app.settle();
  const id = created.body.loadbalancer.id;
  assert.equal((await call('GET', `/v2/lbaas/loadbalancers/${id}`, 'tok-blue')).status, 403);
  assert.equal((await call('GET', '/v2/lbaas/loadbalancers', 'tok-blue')).body.loadbalancers.length, 0);
  assert.equal((await call('GET', `/v2/lbaas/loadbalancers/${id}`, 'tok-observer')).status, 200);
  assert.equal((await call('DELETE', `/v2/lbaas/loadbalancers/${id}`, 'tok-observer')).status, 403);
  // A system-scoped reader is a global observer.
  assert.equal((await call('GET', '/v2/lbaas/loadbalancers', 'tok-system')).body.loadbalancers.length, 1);
  assert.equal((await call('DELETE', `/v2/lbaas/loadbalancers/${id}`, 'tok-red')).status, 204);
  await app.settle();
});

test('validations are cached: one Keystone call per token per cache period', async () => {
  const validator = new KeystoneValidator(config(), pino({ level: 'silent' }));
  const before = calls.validate;
  for (let i = 0; i < 5; i++) assert.equal((await validator.validate('tok-red'))?.projectId, 'red');
  assert.equal(await validator.validate('nope'), null);
  assert.equal(await validator.validate('nope'), null);
  assert.equal(calls.validate - before, 2, 'one call for tok-red, one for the unknown token');
});

test('the cache is bounded and never outlives the token', async () => {
  const validator = new KeystoneValidator(config({ cacheSize: 3, cacheSeconds: 300 }), pino({ level: 'silent' }));
  for (let i = 0; i < 10; i++) await validator.validate(`missing-${i}`);
  assert.equal(validator.cachedTokens, 3);
  tokens.set('tok-short', { project: 'red', roles: ['load-balancer_member'], expires: Date.now() + 300 });
  assert.ok(await validator.validate('tok-short'));
  await new Promise((r) => setTimeout(r, 350));
  assert.equal(await validator.validate('tok-short'), null, 'expired: asked again, and Keystone no longer knows it');
});

test('a service token Keystone stops accepting is renewed once', async () => {
  const validator = new KeystoneValidator(config({ cacheSeconds: 0 }), pino({ level: 'silent' }));
  assert.ok(await validator.validate('tok-red'));
  const auths = calls.auth;
  serviceToken = 'revoked-by-keystone';
  assert.equal((await validator.validate('tok-blue'))?.projectId, 'blue');
  assert.equal(calls.auth, auths + 1);
});

test('an unreachable Keystone is a 503, not a 500 or a hang', async () => {
  const dead = await testApp({ auth: 'keystone', identity: { tokenTtlSeconds: 3600, keystone: config({ url: 'http://127.0.0.1:1/v3', timeoutMs: 500 }) } });
  try {
    const res = await dead.runtime.app.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers', headers: { 'x-auth-token': 'tok-red' } });
    assert.equal(res.statusCode, 503);
  } finally {
    await dead.close();
  }
});
