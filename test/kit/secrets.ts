// Storing test certificates in Fulcrum's key manager through its /v1 API, as a tenant would
// with the barbican client: answers the refs listeners and pools then name.
import type { TestApp } from './app.ts';
import type { Issued } from './pki.ts';
import { pkcs12 } from './pki.ts';

async function post(app: TestApp, project: string, path: string, body: unknown): Promise<string> {
  const res = await app.req('POST', `/v1/${path}`, body, project);
  if (res.status !== 201) throw new Error(`POST /v1/${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.secret_ref ?? res.body.container_ref;
}

/** A text/plain secret (PEM): CA bundles, CRLs, certificates, keys. */
export const pemSecret = (app: TestApp, project: string, payload: string, secretType = 'certificate', name?: string) =>
  post(app, project, 'secrets', { name, payload, payload_content_type: 'text/plain', secret_type: secretType });

/** A PKCS12 secret, as `openstack secret store -t application/octet-stream -e base64` makes one. */
export const pkcs12Secret = (app: TestApp, project: string, leaf: Issued, chain: Issued[] = []) =>
  post(app, project, 'secrets', {
    payload: pkcs12(leaf, chain).toString('base64'), payload_content_type: 'application/octet-stream',
    payload_content_encoding: 'base64', secret_type: 'opaque',
  });

/** A certificate container (certificate, private_key, intermediates, passphrase secrets). */
export async function certContainer(
  app: TestApp, project: string, leaf: { certPem: string; keyPem: string }, o: { intermediates?: Issued[]; passphrase?: string; name?: string } = {},
): Promise<string> {
  const refs = [
    { name: 'certificate', secret_ref: await pemSecret(app, project, leaf.certPem) },
    { name: 'private_key', secret_ref: await pemSecret(app, project, leaf.keyPem, 'private') },
  ];
  if (o.intermediates?.length) {
    refs.push({ name: 'intermediates', secret_ref: await pemSecret(app, project, o.intermediates.map((i) => i.certPem).join('')) });
  }
  if (o.passphrase) refs.push({ name: 'private_key_passphrase', secret_ref: await pemSecret(app, project, o.passphrase, 'passphrase') });
  return post(app, project, 'containers', { type: 'certificate', name: o.name, secret_refs: refs });
}
