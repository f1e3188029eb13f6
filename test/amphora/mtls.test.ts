// Mutual TLS between the controller and the agent, and the CA on disk. The agent accepts only
// clientAuth certificates of the Fulcrum CA that are within their validity; the client accepts
// only an agent whose server certificate chains to the same CA.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import {
  agentCredentials, controllerCredentials, createCertificateAuthority, issueCertificate, openCertificateAuthority,
} from '../../src/amphora/pki.ts';
import type { KeyPairPem } from '../../src/amphora/pki.ts';
import { AgentUnreachable } from '../../src/amphora/client.ts';
import { startAgent } from '../../src/amphora/agent/server.ts';
import { startEmbeddedAgent } from '../../src/amphora/embedded.ts';
import type { RunningAgent } from '../../src/amphora/agent/server.ts';
import { clientFor, cleanupStateDir, freePort, makePki, runAgent, tempDir } from './kit.ts';

/** GET /v1/info with the given client certificate (or none); answers the status or the TLS error. */
function getInfo(url: string, ca: string, client?: KeyPairPem): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = request(`${url}/v1/info`, { ca, cert: client?.certPem, key: client?.keyPem, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

describe('agent mutual TLS', { timeout: 60_000 }, () => {
  const pki = makePki();
  const stateDir = tempDir();
  let agent: RunningAgent;

  before(async () => {
    agent = await runAgent(pki, stateDir);
  });
  after(async () => {
    await agent?.close();
    await cleanupStateDir(stateDir);
  });

  it('serves a controller certificate of its CA', async () => {
    assert.deepEqual(await getInfo(agent.url, pki.ca.certPem, pki.controller), { status: 200 });
  });

  it('refuses a client without a certificate', async () => {
    const r = await getInfo(agent.url, pki.ca.certPem);
    assert.equal(r.status, undefined, 'no HTTP answer at all');
    assert.ok(r.error);
  });

  it('refuses a client certificate from another CA', async () => {
    const other = createCertificateAuthority('another CA');
    const stranger = issueCertificate(other, { commonName: 'fulcrum-controller', usage: 'client' });
    const r = await getInfo(agent.url, pki.ca.certPem, stranger);
    assert.equal(r.status, undefined);
    assert.ok(r.error);
  });

  it('refuses an expired client certificate of its own CA', async () => {
    const expired = issueCertificate(pki.ca, {
      commonName: 'fulcrum-controller', usage: 'client',
      notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000),
    });
    const r = await getInfo(agent.url, pki.ca.certPem, expired);
    assert.equal(r.status, undefined);
    assert.ok(r.error);
  });

  it('refuses a certificate not yet valid', async () => {
    const future = issueCertificate(pki.ca, {
      commonName: 'fulcrum-controller', usage: 'client',
      notBefore: new Date(Date.now() + 86_400_000), notAfter: new Date(Date.now() + 10 * 86_400_000),
    });
    assert.equal((await getInfo(agent.url, pki.ca.certPem, future)).status, undefined);
  });

  it("refuses another agent's server certificate used as a client certificate", async () => {
    // TLS itself rejects it (OpenSSL checks the sslclient purpose); the handler would answer 403.
    const r = await getInfo(agent.url, pki.ca.certPem, pki.agent);
    assert.notEqual(r.status, 200);
  });

  it('answers 403 to a certificate of its CA that is not for client use', async () => {
    // No extKeyUsage at all passes TLS's purpose check; the handler wants clientAuth.
    const keys = forge.pki.rsa.generateKeyPair(2048);
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = '0abc';
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 86_400_000);
    cert.setSubject([{ name: 'commonName', value: 'no-eku' }]);
    cert.setIssuer(forge.pki.certificateFromPem(pki.ca.certPem).subject.attributes);
    cert.sign(forge.pki.privateKeyFromPem(pki.ca.keyPem) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
    const noEku = { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
    assert.deepEqual(await getInfo(agent.url, pki.ca.certPem, noEku), { status: 403 });
  });

  it('the client refuses an agent whose certificate is from another CA', async () => {
    const other = createCertificateAuthority('rogue CA');
    const rogueCert = issueCertificate(other, { commonName: 'rogue', usage: 'server', altNames: ['127.0.0.1'] });
    const rogueDir = tempDir();
    const rogue = await startAgent({
      listen: { host: '127.0.0.1', port: 0 }, stateDir: rogueDir,
      tls: { ca: pki.ca.certPem, cert: rogueCert.certPem, key: rogueCert.keyPem },
    });
    const client = clientFor(pki, rogue.url, { retries: 0 });
    try {
      const err = await client.info().catch((e) => e);
      assert.ok(err instanceof AgentUnreachable, String(err));
      assert.match(err.message, /self[- ]signed|unable to verify|certificate/i);
    } finally {
      client.close();
      await rogue.close();
      await cleanupStateDir(rogueDir);
    }
  });

  it('the client retries an unreachable agent with backoff, then gives up', async () => {
    const port = await freePort();
    const client = clientFor(pki, `https://127.0.0.1:${port}`, { retries: 3, backoffMs: 40 });
    const t0 = performance.now();
    const err = await client.info().catch((e) => e);
    const elapsed = performance.now() - t0;
    client.close();
    assert.ok(err instanceof AgentUnreachable);
    assert.equal(err.code, 'ECONNREFUSED');
    // 40 + 80 + 160 ms of backoff, ±25% jitter
    assert.ok(elapsed >= 200, `gave up after ${elapsed.toFixed(0)} ms`);
  });

  it('a handshake that never completes (a dead host, a hung agent) fails at the connect limit, not the request\'s', async () => {
    // Accepts TCP and never answers the TLS hello: as far as the client knows, no agent there.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as AddressInfo;
    const client = clientFor(pki, `https://127.0.0.1:${port}`, { retries: 1, backoffMs: 10, connectTimeoutMs: 150, timeoutMs: 60_000 });
    try {
      const t0 = performance.now();
      const err = await client.remove('x', { retries: 0 }).catch((e) => e);
      const elapsed = performance.now() - t0;
      assert.ok(err instanceof AgentUnreachable, String(err));
      assert.equal(err.code, 'ECONNECTTIMEOUT');
      // One attempt (the call's retries: 0), cut at 150 ms.
      assert.ok(elapsed >= 140 && elapsed < 1000, `gave up after ${elapsed.toFixed(0)} ms`);
    } finally {
      client.close();
      silent.close();
    }
  });
});

describe('the Fulcrum CA on disk', { timeout: 60_000 }, () => {
  const dir = tempDir();
  after(() => cleanupStateDir(dir));

  it('is created on first start with private keys readable by the owner only, and reused after', () => {
    const pkiDir = join(dir, 'pki');
    const creds = controllerCredentials(pkiDir);
    assert.equal(statSync(join(pkiDir, 'ca-key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(join(pkiDir, 'controller-key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(pkiDir).mode & 0o777, 0o700);
    const again = controllerCredentials(pkiDir);
    assert.equal(again.ca, creds.ca);
    assert.equal(again.cert, creds.cert);
    assert.equal(openCertificateAuthority(pkiDir).certPem, readFileSync(join(pkiDir, 'ca.pem'), 'utf8'));

    const ca = new X509Certificate(creds.ca);
    const client = new X509Certificate(creds.cert);
    assert.equal(ca.ca, true);
    assert.ok(client.verify(ca.publicKey), 'signed by the CA');
    assert.ok(client.checkIssued(ca));
    assert.deepEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  });

  it("issues an agent's server certificate for 127.0.0.1 and its host name", () => {
    const pkiDir = join(dir, 'pki');
    const creds = agentCredentials(pkiDir, 'amphora-host-1', ['10.1.2.3']);
    const cert = new X509Certificate(creds.cert);
    assert.ok(cert.checkIP('127.0.0.1'));
    assert.ok(cert.checkIP('10.1.2.3'));
    assert.equal(cert.checkHost('amphora-host-1'), 'amphora-host-1');
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.ok(cert.verify(new X509Certificate(creds.ca).publicKey));
    assert.equal(statSync(join(pkiDir, 'agent-key.pem')).mode & 0o777, 0o600);
  });

  it('refuses to start an agent with neither its certificate nor the CA key', () => {
    assert.throws(() => agentCredentials(join(dir, 'empty'), 'h'), /no agent\.pem/);
  });
});

describe('the embedded agent', { timeout: 60_000 }, () => {
  it('creates the CA, provisions the agent and answers its client', async () => {
    const dataDir = tempDir();
    const embedded = await startEmbeddedAgent({ dataDir });
    try {
      const info = await embedded.client.info();
      assert.equal(info.api_version, 'v1');
      assert.equal(statSync(join(dataDir, 'pki', 'ca-key.pem')).mode & 0o777, 0o600);
      assert.equal(statSync(join(dataDir, 'agent', 'pki', 'agent-key.pem')).mode & 0o777, 0o600);
      assert.throws(() => statSync(join(dataDir, 'agent', 'pki', 'ca-key.pem')), /ENOENT/, 'the agent never holds the CA key');
    } finally {
      await embedded.close();
      await cleanupStateDir(join(dataDir, 'agent', 'state'));
      await cleanupStateDir(dataDir);
    }
  });
});
