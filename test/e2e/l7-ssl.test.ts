// The SSL_* L7 rules with real client certificates through a TERMINATED_HTTPS listener that
// asks for them (client_authentication OPTIONAL): SSL_CONN_HAS_CERT, SSL_VERIFY_RESULT and
// SSL_DN_FIELD with every compare type, plain and inverted, and a REDIRECT_TO_POOL chosen by
// the certificate's CN. Every CA and certificate is made at run time and stored through /v1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { api, closeAll, httpBackend, settled, skipWithoutHaproxy, stack, startFulcrum } from './kit.ts';
import type { Backend, E2E, Stack } from './kit.ts';
import { ca, issue } from '../kit/pki.ts';
import type { Issued } from '../kit/pki.ts';
import { certContainer, pemSecret } from '../kit/secrets.ts';

const PROJECT = 'e2e';

interface Answer { status: number; location: string | null; body: string; error: string | null }

function get(host: string, port: number, path: string, trust: string, cert?: Issued): Promise<Answer> {
  return new Promise((resolve) => {
    const req = httpsRequest({
      host, port, path, agent: false, servername: 'l7.fulcrum.test', ca: trust, cert: cert?.certPem, key: cert?.keyPem,
      timeout: 4000, headers: { connection: 'close' }, checkServerIdentity: () => undefined,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? null, body, error: null }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, location: null, body: '', error: err.message }));
    req.end();
  });
}

describe('SSL_* L7 rules with real client certificates', { skip: skipWithoutHaproxy, timeout: 300_000 }, () => {
  let f: E2E;
  let s: Stack;
  const backends: Backend[] = [];
  const root = ca('L7 Server CA');
  const clientCa = ca('L7 Client CA');
  const alice = issue({ cn: 'alice', usage: 'client' }, clientCa);
  const bob = issue({ cn: 'bob', usage: 'client' }, clientCa);

  before(async () => {
    f = await startFulcrum();
    const server = issue({ cn: 'l7.fulcrum.test', san: ['l7.fulcrum.test'] }, root);
    const [d, c] = [await httpBackend('default-pool'), await httpBackend('cert-pool')];
    backends.push(d, c);
    s = await stack(f.app, {
      protocol: 'TERMINATED_HTTPS' as 'HTTP',
      listener: {
        default_tls_container_ref: await certContainer(f.app, PROJECT, server),
        client_authentication: 'OPTIONAL', client_ca_tls_container_ref: await pemSecret(f.app, PROJECT, clientCa.certPem),
      },
      pool: { protocol: 'HTTP' },
      members: [{ address: d.address, protocol_port: d.port }],
    });
    const certPool = (await api(f.app, 'POST', '/pools', { pool: { loadbalancer_id: s.lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).pool;
    await settled(f.app, s.lb.id);
    await api(f.app, 'POST', `/pools/${certPool.id}/members`, { member: { address: c.address, protocol_port: c.port } });
    await settled(f.app, s.lb.id);
    const policy = async (body: Record<string, unknown>) => {
      await api(f.app, 'POST', '/l7policies', { l7policy: { listener_id: s.listener.id, ...body } });
      await settled(f.app, s.lb.id);
    };
    const onPath = (path: string, rule: Record<string, unknown>) => policy({
      action: 'REDIRECT_TO_URL', redirect_url: `http://matched.test${path}`,
      rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: path }, rule],
    });
    await onPath('/has', { type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'True' });
    await onPath('/has-inv', { type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'True', invert: true });
    await onPath('/verify-0', { type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0' });
    await onPath('/verify-20', { type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '20' });
    const dn = (compare: string, value: string, invert = false) => ({ type: 'SSL_DN_FIELD', key: 'CN', compare_type: compare, value, invert });
    await onPath('/dn-eq', dn('EQUAL_TO', 'alice'));
    await onPath('/dn-sw', dn('STARTS_WITH', 'ali'));
    await onPath('/dn-ew', dn('ENDS_WITH', 'ice'));
    await onPath('/dn-ct', dn('CONTAINS', 'lic'));
    await onPath('/dn-rx', dn('REGEX', '^a[a-z]+e$'));
    await onPath('/dn-inv', dn('EQUAL_TO', 'alice', true));
    // Pool policies come after every redirect: bob's other requests go to the cert pool.
    await policy({ action: 'REDIRECT_TO_POOL', redirect_pool_id: certPool.id, rules: [dn('EQUAL_TO', 'bob')] });
  });
  after(async () => {
    await closeAll(backends);
    await f?.close();
  });

  test('each SSL rule matches the connections it names, and no others', { timeout: 60_000 }, async () => {
    const trust = root.certPem;
    const who = { none: undefined, alice, bob };
    // path → the clients whose request it redirects (the others reach a pool).
    const table: Record<string, (keyof typeof who)[]> = {
      '/has': ['alice', 'bob'],
      '/has-inv': ['none'],
      // Verification failures are refused at the handshake (verify optional, no ignore-err), so
      // every connection that gets this far verified: 0; with no certificate too.
      '/verify-0': ['none', 'alice', 'bob'],
      '/verify-20': [],
      '/dn-eq': ['alice'],
      '/dn-sw': ['alice'],
      '/dn-ew': ['alice'],
      '/dn-ct': ['alice'],
      '/dn-rx': ['alice'],
      // Inverted: every connection whose CN is not alice, including those without a certificate.
      '/dn-inv': ['none', 'bob'],
    };
    const failures: string[] = [];
    for (const [path, matched] of Object.entries(table)) {
      for (const [name, cert] of Object.entries(who)) {
        const r = await get(s.vip, s.port, path, trust, cert);
        const redirected = r.status === 302 && r.location === `http://matched.test${path}`;
        const want = matched.includes(name as keyof typeof who);
        if (r.error) failures.push(`${path} as ${name}: ${r.error}`);
        else if (redirected !== want) failures.push(`${path} as ${name}: answered ${r.status} ${r.location ?? r.body}, wanted ${want ? 'the redirect' : 'a pool'}`);
      }
    }
    assert.deepEqual(failures, []);
    // REDIRECT_TO_POOL by certificate: bob reaches the cert pool, alice and anonymous the default.
    assert.equal((await get(s.vip, s.port, '/', trust, bob)).body, 'cert-pool');
    assert.equal((await get(s.vip, s.port, '/', trust, alice)).body, 'default-pool');
    assert.equal((await get(s.vip, s.port, '/', trust)).body, 'default-pool');
  });
});
