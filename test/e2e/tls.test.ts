// TLS through real amphorae with real TLS clients (node:tls/https, node:http2, curl) and real
// TLS and plain backends. Every CA, certificate, PKCS12 bundle and CRL is made at run time
// (test/kit/pki.ts) and stored through Fulcrum's own key manager (/v1), whose refs the
// listeners and pools name. Checks are grouped per load balancer to keep the run short.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect as http2Connect } from 'node:http2';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, backendAddress, closeAll, freePort, httpBackend, serverStatus, settled, skipWithoutHaproxy, stack, startFulcrum } from './kit.ts';
import type { Backend, E2E } from './kit.ts';
import { ca, crl, issue } from '../kit/pki.ts';
import type { Issued } from '../kit/pki.ts';
import { certContainer, pemSecret, pkcs12Secret } from '../kit/secrets.ts';

const T = { timeout: 90_000 };
const PROJECT = 'e2e';

interface TlsReply {
  status: number;
  body: string;
  headers: IncomingMessage['headers'];
  /** The certificate the server presented: its CN and serial. */
  peer: string;
  serial: string;
  protocol: string | null;
  /** The handshake or request error, when there was one. */
  error: string | null;
}

interface TlsClientOptions {
  servername?: string;
  ca?: string;
  cert?: Issued;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  ciphers?: string;
  /** Verify the server's certificate (default: yes, against `ca`). */
  verify?: boolean;
}

/** One HTTPS request on a fresh connection; a failed handshake answers status 0 and the error. */
function tlsGet(host: string, port: number, o: TlsClientOptions = {}): Promise<TlsReply> {
  return new Promise((resolve) => {
    let peer = '';
    let serial = '';
    let protocol: string | null = null;
    const req = httpsRequest({
      host, port, path: '/', agent: false, servername: o.servername, ca: o.ca, timeout: 4000,
      cert: o.cert?.certPem, key: o.cert?.keyPem, minVersion: o.minVersion, maxVersion: o.maxVersion, ciphers: o.ciphers,
      rejectUnauthorized: o.verify ?? true, headers: { connection: 'close' },
      // The request goes to the VIP's address; the name checked is the SNI one.
      checkServerIdentity: () => undefined,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, peer, serial, protocol, error: null }));
    });
    req.on('socket', (s) => s.on('secureConnect', () => {
      const tls = s as TLSSocket;
      peer = String(tls.getPeerCertificate()?.subject?.CN ?? '');
      serial = String(tls.getPeerCertificate()?.serialNumber ?? '');
      protocol = tls.getProtocol();
    }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, body: '', headers: {}, peer, serial, protocol, error: err.message }));
    req.end();
  });
}

interface TlsMember extends Backend {
  /** What the member saw of the last connection from HAProxy. */
  seen: { clientCn: string | null; protocol: string | null; alpn: string | false | null; cipher?: string };
}

/** An HTTPS member answering its name; it can demand a client certificate signed by `clientCa`. */
async function httpsMember(name: string, cert: Issued, o: { clientCa?: Issued; maxVersion?: 'TLSv1.2'; ciphers?: string; alpn?: string[] } = {}): Promise<TlsMember> {
  const address = backendAddress();
  const m = { name, address, port: 0, hits: 0, lastHeaders: {}, open: 0, seen: { clientCn: null, protocol: null, alpn: null } } as unknown as TlsMember;
  const server = createHttpsServer({
    key: cert.keyPem, cert: cert.certPem, maxVersion: o.maxVersion, ciphers: o.ciphers,
    // A member advertising h2 must speak it: HAProxy then sends HTTP/2. These answer HTTP/1.1.
    ALPNProtocols: o.alpn ?? ['http/1.1'],
    ...(o.clientCa ? { ca: o.clientCa.certPem, requestCert: true, rejectUnauthorized: true } : {}),
  }, (req, res) => {
    const s = req.socket as TLSSocket;
    m.hits++;
    m.lastHeaders = req.headers;
    m.seen = { clientCn: String(s.getPeerCertificate()?.subject?.CN ?? '') || null, protocol: s.getProtocol(), alpn: s.alpnProtocol, cipher: s.getCipher().name };
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }).end(name);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, address, r));
  m.port = (server.address() as AddressInfo).port;
  m.close = () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
  m.stopListening = () => server.close();
  return m;
}

const run = promisify(execFile);

describe('TLS through the VIP', { skip: skipWithoutHaproxy, timeout: 400_000 }, () => {
  let f: E2E;
  const backends: Backend[] = [];
  const root = ca('E2E Root CA');
  const inter = ca('E2E Intermediate CA', root);

  before(async () => { f = await startFulcrum(); });
  after(async () => {
    await closeAll(backends);
    await f?.close();
  });

  test('TERMINATED_HTTPS: default and SNI certificates, TLS versions and ciphers, ALPN h2, HSTS, client auth with CA and CRL, X-SSL headers', T, async () => {
    const app = f.app;
    const www = issue({ cn: 'www.fulcrum.test', san: ['www.fulcrum.test'] }, inter);
    const sni = issue({ cn: 'sni.fulcrum.test', san: ['sni.fulcrum.test'] }, root);
    const clientCa = ca('E2E Client CA');
    const alice = issue({ cn: 'alice', usage: 'client' }, clientCa);
    const mallory = issue({ cn: 'mallory', usage: 'client' }, clientCa);
    const stranger = issue({ cn: 'stranger', usage: 'client' }, ca('Unknown CA'));
    const refs = {
      www: await certContainer(app, PROJECT, www, { intermediates: [inter] }),
      sni: await pkcs12Secret(app, PROJECT, sni),
      clientCa: await pemSecret(app, PROJECT, clientCa.certPem),
      crl: await pemSecret(app, PROJECT, crl(clientCa, [mallory])),
    };
    const backend = await httpBackend('tls-backend');
    backends.push(backend);
    const headers = ['X-Forwarded-Proto', 'X-SSL-Client-Verify', 'X-SSL-Client-Has-Cert', 'X-SSL-Client-DN', 'X-SSL-Client-CN',
      'X-SSL-Issuer', 'X-SSL-Client-SHA1', 'X-SSL-Client-Not-Before', 'X-SSL-Client-Not-After'];
    const s = await stack(app, {
      protocol: 'TERMINATED_HTTPS' as 'HTTP',
      listener: {
        default_tls_container_ref: refs.www, sni_container_refs: [refs.sni], tls_versions: ['TLSv1.3'],
        alpn_protocols: ['h2', 'http/1.1'], hsts_max_age: 3600, hsts_include_subdomains: true, hsts_preload: true,
        client_authentication: 'OPTIONAL', client_ca_tls_container_ref: refs.clientCa, client_crl_container_ref: refs.crl,
        insert_headers: Object.fromEntries(headers.map((h) => [h, 'true'])),
      },
      pool: { protocol: 'HTTP' },
      members: [{ address: backend.address, protocol_port: backend.port }],
    });
    // A second listener on the same load balancer: TLS 1.2 with one cipher, client certificates MANDATORY.
    const strictPort = await freePort();
    await api(app, 'POST', '/listeners', {
      listener: {
        loadbalancer_id: s.lb.id, protocol: 'TERMINATED_HTTPS', protocol_port: strictPort, default_tls_container_ref: refs.www,
        tls_versions: ['TLSv1.2'], tls_ciphers: 'ECDHE-RSA-AES256-GCM-SHA384',
        client_authentication: 'MANDATORY', client_ca_tls_container_ref: refs.clientCa, client_crl_container_ref: refs.crl,
        default_pool_id: s.pool.id,
      },
    });
    await settled(app, s.lb.id);
    const trust = `${root.certPem}`;

    // Default certificate, with its intermediate sent along (the client trusts only the root).
    const plain = await tlsGet(s.vip, s.port, { servername: 'www.fulcrum.test', ca: trust });
    assert.equal(plain.error, null);
    assert.equal(plain.status, 200);
    assert.equal(plain.body, 'tls-backend');
    assert.equal(plain.peer, 'www.fulcrum.test');
    assert.equal(plain.protocol, 'TLSv1.3');
    assert.equal(plain.headers['strict-transport-security'], 'max-age=3600; includeSubDomains; preload');
    assert.equal(backend.lastHeaders['x-forwarded-proto'], 'https');
    assert.equal(backend.lastHeaders['x-ssl-client-has-cert'], '0');

    // SNI picks the certificate; an unknown name gets the default one.
    assert.equal((await tlsGet(s.vip, s.port, { servername: 'sni.fulcrum.test', ca: trust })).peer, 'sni.fulcrum.test');
    assert.equal((await tlsGet(s.vip, s.port, { servername: 'nobody.fulcrum.test', ca: trust })).peer, 'www.fulcrum.test');

    // tls_versions: a client that offers only TLS 1.2 is refused by the TLSv1.3-only listener.
    const old = await tlsGet(s.vip, s.port, { servername: 'www.fulcrum.test', ca: trust, maxVersion: 'TLSv1.2' });
    assert.equal(old.status, 0);
    assert.match(old.error ?? '', /version|alert|handshake/i);

    // OPTIONAL client authentication: a valid certificate is verified and described to the backend.
    const withCert = await tlsGet(s.vip, s.port, { servername: 'www.fulcrum.test', ca: trust, cert: alice });
    assert.equal(withCert.status, 200, withCert.error ?? '');
    const h = backend.lastHeaders;
    assert.equal(h['x-ssl-client-verify'], '0');
    assert.equal(h['x-ssl-client-has-cert'], '1');
    // %{+Q} quotes only in log formats; header values arrive bare.
    assert.equal(String(h['x-ssl-client-cn']).replace(/"/g, ''), 'alice');
    assert.match(String(h['x-ssl-client-dn']), /CN=alice/);
    assert.match(String(h['x-ssl-issuer']), /CN=E2E Client CA/);
    assert.match(String(h['x-ssl-client-sha1']), /^"?[0-9A-F]{40}"?$/);
    assert.match(String(h['x-ssl-client-not-before']), /^"?\d{12}Z"?$/);
    assert.match(String(h['x-ssl-client-not-after']), /^"?\d{12}Z"?$/);
    // A revoked certificate (in the CRL) and one from an unknown CA are refused at the handshake.
    assert.equal((await tlsGet(s.vip, s.port, { servername: 'www.fulcrum.test', ca: trust, cert: mallory })).status, 0);
    assert.equal((await tlsGet(s.vip, s.port, { servername: 'www.fulcrum.test', ca: trust, cert: stranger })).status, 0);

    // MANDATORY: no certificate, no connection; tls_ciphers: a cipher not on the list is refused.
    const strict = (o: TlsClientOptions) => tlsGet(s.vip, strictPort, { servername: 'www.fulcrum.test', ca: trust, ...o });
    assert.equal((await strict({})).status, 0);
    assert.equal((await strict({ cert: mallory })).status, 0);
    const good = await strict({ cert: alice });
    assert.equal(good.status, 200, good.error ?? '');
    assert.equal(good.protocol, 'TLSv1.2');
    assert.equal((await strict({ cert: alice, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' })).status, 0);
    assert.equal((await strict({ cert: alice, ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' })).status, 200);
    assert.equal((await strict({ cert: alice, minVersion: 'TLSv1.3' })).status, 0);

    // ALPN h2: an HTTP/2 client gets HTTP/2 from the listener.
    const h2 = await new Promise<{ alpn: string | false | undefined; status: number; body: string }>((resolve, reject) => {
      const session = http2Connect(`https://${s.vip}:${s.port}`, { servername: 'www.fulcrum.test', ca: trust, checkServerIdentity: () => undefined });
      session.on('error', reject);
      const stream = session.request({ ':path': '/' });
      let body = '';
      let status = 0;
      stream.setEncoding('utf8');
      stream.on('response', (hdrs) => { status = Number(hdrs[':status']); });
      stream.on('data', (d) => (body += d));
      stream.on('end', () => { resolve({ alpn: session.alpnProtocol, status, body }); session.close(); });
      stream.on('error', reject);
    });
    assert.deepEqual(h2, { alpn: 'h2', status: 200, body: 'tls-backend' });

    // curl, the everyday client: verifies the chain against the root, over HTTP/2.
    const caFile = join(f.dataDir, 'client-trust.pem');
    writeFileSync(caFile, trust);
    const { stdout } = await run('curl', [
      '-sS', '--http2', '--cacert', caFile, '--resolve', `www.fulcrum.test:${s.port}:${s.vip}`,
      '-o', '/dev/null', '-w', '%{http_code} %{http_version}', `https://www.fulcrum.test:${s.port}/`,
    ]);
    assert.equal(stdout, '200 2');

    // A new certificate through a listener PUT: only certificate files change, and clients get it.
    const renewed = issue({ cn: 'www.fulcrum.test', san: ['www.fulcrum.test'] }, root);
    await api(app, 'PUT', `/listeners/${s.listener.id}`, { listener: { default_tls_container_ref: await certContainer(app, PROJECT, renewed) } });
    await settled(app, s.lb.id);
    const after = await tlsGet(s.vip, s.port, { servername: 'www.fulcrum.test', ca: trust });
    assert.equal(after.status, 200, after.error ?? '');
    const hex = (serial: string) => serial.toLowerCase().replace(/^0+/, '');
    assert.equal(hex(after.serial), hex(renewed.serial));
    assert.notEqual(hex(after.serial), hex(plain.serial));
  });

  test('HTTPS passthrough: HTTPS pool with a TLS-HELLO monitor; the client sees the member\'s own certificate', T, async () => {
    const memberCa = ca('E2E Member CA');
    const tlsMember = await httpsMember('pass-tls', issue({ cn: 'pass-tls', san: ['127.0.0.1'] }, memberCa));
    const plainMember = await httpBackend('pass-plain');
    backends.push(tlsMember, plainMember);
    const s = await stack(f.app, {
      protocol: 'HTTPS' as 'HTTP',
      monitor: { type: 'TLS-HELLO', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 },
      members: [
        { address: tlsMember.address, protocol_port: tlsMember.port },
        { address: plainMember.address, protocol_port: plainMember.port },
      ],
    });
    // The plain member does not speak TLS: the TLS-HELLO check marks it down.
    await serverStatus(f.app, s.lb.id, s.members[1].id, /DOWN/);
    await serverStatus(f.app, s.lb.id, s.members[0].id, /UP/);
    for (let i = 0; i < 4; i++) {
      const r = await tlsGet(s.vip, s.port, { ca: memberCa.certPem });
      assert.equal(r.error, null);
      assert.equal(r.peer, 'pass-tls');
      assert.equal(r.body, 'pass-tls');
    }
  });

  test('TLS to members: CA verification, client certificate, CRL, tls_versions, tls_ciphers and ALPN; a member failing any is marked down', T, async () => {
    const app = f.app;
    const memberCa = ca('E2E Member CA 2');
    const lbClientCa = ca('E2E LB Client CA');
    const lbClient = issue({ cn: 'fulcrum-lb', usage: 'client' }, lbClientCa);
    const revokedCert = issue({ cn: 'revoked-member', san: ['127.0.0.1'] }, memberCa);
    // It advertises h2 too: the pool's alpn_protocols (http/1.1 only) decide what is negotiated.
    const good = await httpsMember('m-good', issue({ cn: 'good-member' }, memberCa), { clientCa: lbClientCa, alpn: ['h2', 'http/1.1'] });
    const foreign = await httpsMember('m-foreign', issue({ cn: 'foreign-member' }, ca('Rogue CA')), { clientCa: lbClientCa });
    const revoked = await httpsMember('m-revoked', revokedCert, { clientCa: lbClientCa });
    const oldTls = await httpsMember('m-tls12', issue({ cn: 'tls12-member' }, memberCa), { clientCa: lbClientCa, maxVersion: 'TLSv1.2' });
    backends.push(good, foreign, revoked, oldTls);
    const all = [good, foreign, revoked, oldTls];
    const s = await stack(app, {
      pool: {
        tls_enabled: true,
        tls_container_ref: await certContainer(app, PROJECT, lbClient),
        ca_tls_container_ref: await pemSecret(app, PROJECT, memberCa.certPem),
        crl_container_ref: await pemSecret(app, PROJECT, crl(memberCa, [revokedCert])),
        tls_versions: ['TLSv1.3'],
        alpn_protocols: ['http/1.1'],
      },
      monitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 },
      members: all.map((m) => ({ address: m.address, protocol_port: m.port, name: m.name })),
    });
    await serverStatus(app, s.lb.id, s.members[0].id, /UP/);
    for (const i of [1, 2, 3]) await serverStatus(app, s.lb.id, s.members[i].id, /DOWN/);
    const seen: Record<string, number> = {};
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`http://${s.vip}:${s.port}/`, { headers: { connection: 'close' } });
      assert.equal(r.status, 200);
      const body = await r.text();
      seen[body] = (seen[body] ?? 0) + 1;
    }
    assert.deepEqual(seen, { 'm-good': 6 });
    // What the member saw: HAProxy's client certificate, TLS 1.3, ALPN http/1.1.
    assert.deepEqual({ ...good.seen, cipher: undefined }, { clientCn: 'fulcrum-lb', protocol: 'TLSv1.3', alpn: 'http/1.1', cipher: undefined });
    assert.equal(foreign.hits + revoked.hits + oldTls.hits, 0, 'no request reached a member that failed verification');

    // tls_ciphers to members: a TLS 1.2 pool with one cipher; a member that offers only another is marked down.
    const strong = await httpsMember('m-strong', issue({ cn: 'strong-member' }, memberCa), { maxVersion: 'TLSv1.2' });
    const weak = await httpsMember('m-weak', issue({ cn: 'weak-member' }, memberCa), { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
    backends.push(strong, weak);
    const port = await freePort();
    const listener = (await api(app, 'POST', '/listeners', { listener: { loadbalancer_id: s.lb.id, protocol: 'HTTP', protocol_port: port } })).listener;
    await settled(app, s.lb.id);
    const pool = (await api(app, 'POST', '/pools', { pool: {
      listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', tls_enabled: true,
      ca_tls_container_ref: await pemSecret(app, PROJECT, memberCa.certPem), tls_versions: ['TLSv1.2'], tls_ciphers: 'ECDHE-RSA-AES256-GCM-SHA384',
      healthmonitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 },
      members: [strong, weak].map((m) => ({ address: m.address, protocol_port: m.port })),
    } })).pool;
    await settled(app, s.lb.id);
    const members = (await api(app, 'GET', `/pools/${pool.id}/members`)).members;
    const idOf = (m: TlsMember) => members.find((x: any) => x.protocol_port === m.port).id;
    await serverStatus(app, s.lb.id, idOf(strong), /UP/);
    await serverStatus(app, s.lb.id, idOf(weak), /DOWN/);
    const r = await fetch(`http://${s.vip}:${port}/`, { headers: { connection: 'close' } });
    assert.equal(await r.text(), 'm-strong');
    assert.deepEqual([strong.seen.protocol, strong.seen.cipher], ['TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384']);
    assert.equal(weak.hits, 0);
  });
});
