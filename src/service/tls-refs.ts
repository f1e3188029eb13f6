// The certificate refs of listeners and pools, checked against the key manager when they are
// written (as Octavia's API does against Barbican): each ref must resolve in the object's own
// project to readable material, a certificate's key must match it, and a CRL must be signed
// by the CA given with it. A refusal is a 400 that says which ref and what is wrong.
import { Errors } from '../domain/errors.ts';
import type { Listener, Pool } from '../domain/entities.ts';
import { RefError } from '../drivers/secrets/secrets.ts';
import type { Secrets } from '../drivers/secrets/secrets.ts';

/** Certificates first (all bad ones reported together, as Octavia), then the CA and CRL. */
async function checkRefs(
  secrets: Secrets, projectId: string, certs: string[], ca: string | null, crl: string | null, what: string,
): Promise<void> {
  const bad: { ref: string; reason: string }[] = [];
  for (const ref of certs) {
    try {
      await secrets.certificate(projectId, ref);
    } catch (err) {
      if (!(err instanceof RefError)) throw err;
      bad.push({ ref, reason: err.reason });
    }
  }
  if (bad.length > 0) throw Errors.certificateRefs(bad);
  if (!ca) return;
  let caPem: string;
  try {
    caPem = await secrets.ca(projectId, ca, `${what} CA certificate`);
  } catch (err) {
    if (!(err instanceof RefError)) throw err;
    throw readable(err) ? Errors.validation(err.reason) : Errors.certificateRefs([{ ref: ca, reason: err.reason }]);
  }
  if (!crl) return;
  try {
    await secrets.crl(projectId, crl, caPem, `${what} certificate revocation list`);
  } catch (err) {
    if (!(err instanceof RefError)) throw err;
    throw readable(err) ? Errors.validation(err.reason) : Errors.certificateRefs([{ ref: crl, reason: err.reason }]);
  }
}

/** A ref that was found but holds the wrong thing (Octavia: a ValidationException, not a retrieval failure). */
const readable = (err: RefError) => /^The /.test(err.reason);

export async function checkListenerRefs(secrets: Secrets, l: Listener): Promise<void> {
  const certs = [l.default_tls_container_ref, ...l.sni_container_refs].filter((r): r is string => Boolean(r));
  await checkRefs(secrets, l.project_id, certs, l.client_ca_tls_container_ref, l.client_crl_container_ref, 'client authentication');
}

export async function checkPoolRefs(secrets: Secrets, p: Pool): Promise<void> {
  const certs = p.tls_container_ref ? [p.tls_container_ref] : [];
  await checkRefs(secrets, p.project_id, certs, p.ca_tls_container_ref, p.crl_container_ref, 'pool');
}
