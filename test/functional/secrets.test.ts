// The key manager (/v1 secrets and containers, Barbican's wire format) and how listeners and
// pools use its refs: payloads sealed at rest and shown to their owner project only, and a
// bad, foreign or mismatched certificate refused at create with a 400 that says why.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activeLoadBalancer, testApp } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import { ca, crl, encryptedKey, issue, pkcs12 } from '../kit/pki.ts';
import { certContainer, pemSecret, pkcs12Secret } from '../kit/secrets.ts';

const P = 'owner';

describe('key manager and certificate refs', () => {
  let app: TestApp;
  let dataDir: string;
  const root = ca('Test Root CA');
  const inter = ca('Test Intermediate CA', root);
  const leaf = issue({ cn: 'www.example.test', san: ['www.example.test'] }, inter);
  const other = issue({ cn: 'other.example.test' }, root);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fsec-'));
    app = await testApp({ dataDir, databaseUrl: `sqlite:${join(dataDir, 'f.sqlite')}`, checkRefs: true });
  });
  after(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('secrets: store, metadata, payload, list; sealed at rest with a generated 0600 key', async () => {
    const ref = await pemSecret(app, P, leaf.certPem, 'certificate', 'web-cert');
    assert.match(ref, /^http:\/\/[^/]+\/v1\/secrets\/[0-9a-f-]{36}$/);
    const id = ref.split('/').pop()!;
    const meta = await app.req('GET', `/v1/secrets/${id}`, undefined, P);
    assert.equal(meta.status, 200);
    assert.equal(meta.body.secret_ref, ref);
    assert.equal(meta.body.secret_type, 'certificate');
    assert.deepEqual(meta.body.content_types, { default: 'text/plain' });
    assert.equal(meta.body.payload, undefined);
    const payload = await app.runtime.app.inject({ method: 'GET', url: `/v1/secrets/${id}/payload`, headers: { 'x-project-id': P, accept: 'text/plain' } });
    assert.equal(payload.statusCode, 200);
    assert.equal(payload.body, leaf.certPem);
    const list = await app.req('GET', '/v1/secrets?name=web-cert', undefined, P);
    assert.equal(list.body.total, 1);
    assert.equal(list.body.secrets[0].secret_ref, ref);

    // At rest: no PEM text in the row, and the key file was made private.
    const row = await app.runtime.store.get('secret', id);
    assert.ok(row && !row.payload_encrypted.includes('BEGIN') && !Buffer.from(row.payload_encrypted, 'base64').includes('BEGIN'));
    const keyFile = join(dataDir, 'secrets.key');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64').length, 32);

    // Binary (PKCS12) payloads round-trip byte for byte.
    const p12 = pkcs12(leaf, [inter]);
    const binRef = await pkcs12Secret(app, P, leaf, [inter]);
    const bin = await app.runtime.app.inject({
      method: 'GET', url: `/v1/secrets/${binRef.split('/').pop()}/payload`, headers: { 'x-project-id': P, accept: 'application/octet-stream' },
    });
    assert.equal(bin.statusCode, 200);
    assert.equal(bin.rawPayload.length, p12.length);
  });

  test('only the owner project reads a secret or container, administrators of other projects included', async () => {
    const ref = await pemSecret(app, P, leaf.keyPem, 'private');
    const id = ref.split('/').pop()!;
    // noauth makes every caller an admin: the refusal does not depend on roles.
    for (const path of [`/v1/secrets/${id}`, `/v1/secrets/${id}/payload`]) {
      const res = await app.req('GET', path, undefined, 'intruder');
      assert.equal(res.status, 403, path);
      assert.equal(res.body.code, 403);
      assert.match(res.body.description, /not allowed/);
    }
    assert.equal((await app.req('DELETE', `/v1/secrets/${id}`, undefined, 'intruder')).status, 403);
    assert.equal((await app.req('GET', '/v1/secrets', undefined, 'intruder')).body.total, 0);
    const container = await certContainer(app, P, leaf);
    assert.equal((await app.req('GET', `/v1/containers/${container.split('/').pop()}`, undefined, 'intruder')).status, 403);
    assert.equal((await app.req('GET', '/v1/secrets/00000000-0000-4000-8000-000000000000', undefined, P)).status, 404);
  });

  test('containers: certificate type with its parts; refusals in Barbican\'s body', async () => {
    const ref = await certContainer(app, P, leaf, { intermediates: [inter], name: 'web' });
    const got = await app.req('GET', `/v1/containers/${ref.split('/').pop()}`, undefined, P);
    assert.equal(got.status, 200);
    assert.equal(got.body.type, 'certificate');
    assert.deepEqual(got.body.secret_refs.map((r: any) => r.name).sort(), ['certificate', 'intermediates', 'private_key']);
    const cert = await pemSecret(app, P, leaf.certPem);
    const bad = await app.req('POST', '/v1/containers', { type: 'certificate', secret_refs: [{ name: 'key', secret_ref: cert }] }, P);
    assert.equal(bad.status, 400);
    assert.match(bad.body.description, /only certificate, private_key, private_key_passphrase, intermediates/);
    const foreign = await pemSecret(app, 'someone-else', leaf.certPem);
    const stolen = await app.req('POST', '/v1/containers', { type: 'certificate', secret_refs: [{ name: 'certificate', secret_ref: foreign }] }, P);
    assert.equal(stolen.status, 400);
    assert.match(stolen.body.description, /doesn't exist/);
  });

  test('listener refs: containers, PKCS12 and PEM bundles accepted; bad, foreign and mismatched ones refused with the reason', async () => {
    const lb = await activeLoadBalancer(app, {}, P);
    let port = 8000;
    const post = (listener: Record<string, unknown>, project = P) => app.req('POST', '/v2/lbaas/listeners', {
      listener: { loadbalancer_id: lb.id, protocol: 'TERMINATED_HTTPS', protocol_port: port++, ...listener },
    }, project);
    const ok = async (listener: Record<string, unknown>) => {
      const res = await post(listener);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await app.settle();
    };
    await ok({ default_tls_container_ref: await certContainer(app, P, leaf, { intermediates: [inter] }) });
    await ok({ default_tls_container_ref: await pkcs12Secret(app, P, leaf, [inter]) });
    await ok({ default_tls_container_ref: await pemSecret(app, P, leaf.certPem + inter.certPem + leaf.keyPem, 'opaque') });
    await ok({ default_tls_container_ref: await certContainer(app, P, { certPem: leaf.certPem, keyPem: encryptedKey(leaf, 's3cret') }, { passphrase: 's3cret' }) });

    const refused = async (listener: Record<string, unknown>, reason: RegExp) => {
      const res = await post(listener);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.faultstring, reason);
    };
    await refused({ default_tls_container_ref: await certContainer(app, P, { certPem: leaf.certPem, keyPem: other.keyPem }) },
      /^Could not retrieve certificate: \['http.*'\] \(the private key does not match the certificate/);
    await refused({ default_tls_container_ref: await certContainer(app, P, { certPem: leaf.certPem, keyPem: encryptedKey(leaf, 'right') }, { passphrase: 'wrong' }) },
      /could not be decrypted with the private_key_passphrase/);
    await refused({ default_tls_container_ref: await certContainer(app, P, { certPem: leaf.certPem, keyPem: encryptedKey(leaf, 'right') }) },
      /encrypted and no private_key_passphrase/);
    await refused({ default_tls_container_ref: await certContainer(app, P, { certPem: 'not a certificate', keyPem: leaf.keyPem }) },
      /holds no PEM certificate/);
    await refused({ default_tls_container_ref: await pemSecret(app, 'someone-else', leaf.certPem + leaf.keyPem) }, /no such secret in this project/);
    await refused({ default_tls_container_ref: 'http://km.example/v1/containers/00000000-0000-4000-8000-000000000000' }, /no such container/);
    await refused({ default_tls_container_ref: 'not-a-ref' }, /not a secret or container reference/);
    const p12 = await app.req('POST', '/v1/secrets', { payload: Buffer.from('garbage').toString('base64'), payload_content_type: 'application/octet-stream', payload_content_encoding: 'base64' }, P);
    await refused({ default_tls_container_ref: p12.body.secret_ref }, /The PKCS12 bundle is unreadable/);

    // Client authentication: the CA must be a certificate, the CRL signed by that CA.
    const good = await certContainer(app, P, leaf);
    const caRef = await pemSecret(app, P, root.certPem);
    await refused({ default_tls_container_ref: good, client_ca_tls_container_ref: await pemSecret(app, P, 'junk'), client_authentication: 'MANDATORY' },
      /^Validation failure: The client authentication CA certificate is invalid/);
    await refused({ default_tls_container_ref: good, client_ca_tls_container_ref: caRef, client_crl_container_ref: await pemSecret(app, P, crl(inter, [])), client_authentication: 'MANDATORY' },
      /certificate revocation list is not signed by the certificate authority/);
    await ok({ default_tls_container_ref: good, client_ca_tls_container_ref: caRef, client_crl_container_ref: await pemSecret(app, P, crl(root, [other])), client_authentication: 'MANDATORY' });

    // An update is checked as a create is.
    const listenerId = (await app.req('GET', '/v2/lbaas/listeners', undefined, P)).body.listeners[0].id;
    const put = await app.req('PUT', `/v2/lbaas/listeners/${listenerId}`, {
      listener: { sni_container_refs: [await certContainer(app, P, { certPem: other.certPem, keyPem: leaf.keyPem })] },
    }, P);
    assert.equal(put.status, 400);
    assert.match(put.body.faultstring, /private key does not match/);

    // Pools: the same rules for the member-side certificate, CA and CRL.
    const pool = (extra: Record<string, unknown>) => app.req('POST', '/v2/lbaas/pools', {
      pool: { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', tls_enabled: true, ...extra },
    }, P);
    const badPool = await pool({ tls_container_ref: await certContainer(app, P, { certPem: other.certPem, keyPem: leaf.keyPem }) });
    assert.equal(badPool.status, 400);
    assert.match(badPool.body.faultstring, /private key does not match/);
    const badCa = await pool({ ca_tls_container_ref: await pemSecret(app, P, leaf.keyPem) });
    assert.equal(badCa.status, 400);
    assert.match(badCa.body.faultstring, /The pool CA certificate is invalid/);
    const goodPool = await pool({ tls_container_ref: good, ca_tls_container_ref: caRef });
    assert.equal(goodPool.status, 201, JSON.stringify(goodPool.body));
    await app.settle();

    // A secret a live listener or pool names cannot be deleted from under it.
    const del = await app.req('DELETE', `/v1/secrets/${caRef.split('/').pop()}`, undefined, P);
    assert.equal(del.status, 409);
    assert.match(del.body.description, /in use by listener .*pool/);
  });
});
