// The bundle's certificate files: exactly the paths the configuration names, filled from the
// resolved material, keys private (0600), PEM in HAProxy's order; a path without material is
// a render error rather than a reload that fails on a missing file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TlsCertificate, TlsMaterial } from '../../src/domain/entities.ts';
import { certificateFiles, pemFile, RenderError, toIR } from '../../src/render/index.ts';
import { amphoraContext, graph, listener, member, pool, uuid } from './fixtures.ts';

const cert = (name: string): TlsCertificate => ({
  certificate: `CERT ${name}\n`, intermediates: [`INTER ${name}\n`], privateKey: `KEY ${name}\n`,
});

function tlsGraph() {
  return graph({
    listeners: [listener(1, {
      protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_pool_id: uuid('pool', 1),
      default_tls_container_ref: 'ref-default', sni_container_refs: ['ref-sni-a', 'ref-sni-b'],
      client_ca_tls_container_ref: 'ref-ca', client_crl_container_ref: 'ref-crl', client_authentication: 'OPTIONAL',
    })],
    pools: [pool(1, {
      listener_id: uuid('listener', 1), tls_enabled: true, tls_container_ref: 'ref-client',
      ca_tls_container_ref: 'ref-pool-ca', crl_container_ref: 'ref-pool-crl',
    })],
    members: [member(1, 1)],
  });
}

const material = (): TlsMaterial => ({
  certificates: new Map(['ref-default', 'ref-sni-a', 'ref-sni-b', 'ref-client'].map((r) => [r, cert(r)])),
  pems: new Map(['ref-ca', 'ref-crl', 'ref-pool-ca', 'ref-pool-crl'].map((r) => [r, `PEM ${r}\n`])),
});

const ctx = amphoraContext({ paths: { statsSocket: 'unix@s', serverStateFile: 'state', certDir: 'certs' } });

test('every path the configuration names gets its file, private, with the right content', () => {
  const g = tlsGraph();
  const ir = toIR(g, ctx);
  const files = certificateFiles(g, ir, material(), 'certs');
  const L = uuid('listener', 1);
  const P = uuid('pool', 1);
  const byPath = new Map(files.map((f) => [f.path, f]));
  assert.deepEqual([...byPath.keys()].sort(), [
    `certs/${L}-client-ca.pem`, `certs/${L}-client-crl.pem`, `certs/${L}-sni-0.pem`, `certs/${L}-sni-1.pem`, `certs/${L}.pem`,
    `certs/${P}-ca.pem`, `certs/${P}-client.pem`, `certs/${P}-crl.pem`,
  ].sort());
  assert.ok(files.every((f) => f.mode === 0o600));
  assert.equal(byPath.get(`certs/${L}.pem`)!.content, 'CERT ref-default\nINTER ref-default\nKEY ref-default\n');
  assert.equal(byPath.get(`certs/${L}-sni-1.pem`)!.content, pemFile(cert('ref-sni-b')));
  assert.equal(byPath.get(`certs/${P}-crl.pem`)!.content, 'PEM ref-pool-crl\n');
  // And the configuration names those same paths.
  const bind = ir.frontends[0].binds[0].tls!;
  assert.deepEqual(bind.certificates, [`certs/${L}.pem`, `certs/${L}-sni-0.pem`, `certs/${L}-sni-1.pem`]);
  assert.equal(ir.backends[0].servers[0].tls!.clientCert, `certs/${P}-client.pem`);
});

test('no files for what the configuration does not use: a NONE client auth, a pool without TLS, a listener being deleted', () => {
  const g = tlsGraph();
  g.listeners[0].client_authentication = 'NONE';
  g.pools[0].tls_enabled = false;
  const files = certificateFiles(g, toIR(g, ctx), material(), 'certs');
  assert.equal(files.length, 3, files.map((f) => f.path).join(' '));
  g.listeners[0].provisioning_status = 'PENDING_DELETE';
  assert.deepEqual(certificateFiles(g, toIR(g, ctx), material(), 'certs'), []);
});

test('a named path without resolved material is a render error', () => {
  const g = tlsGraph();
  const m = material();
  m.certificates.delete('ref-sni-b');
  assert.throws(() => certificateFiles(g, toIR(g, ctx), m, 'certs'), (err) => err instanceof RenderError && /sni-1\.pem/.test(err.message));
});
