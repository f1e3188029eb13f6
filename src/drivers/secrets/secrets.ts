// The secrets driver: what Octavia's certificate manager does against Barbican, done against
// Fulcrum's own key manager (the `secret` and `secret_container` tables). It resolves the
// refs listeners and pools name into checked TLS material: for the API at create/update (so a
// bad certificate is a 400 there) and for the worker at render time (the bundle's PEM files).
import type { LoadBalancerGraph, Secret, SecretContainer, TlsCertificate, TlsMaterial } from '../../domain/entities.ts';
import type { Store } from '../../store/store.ts';
import type { SecretBox } from './box.ts';
import { TlsMaterialError, caBundle, certificateFromParts, certificateFromPemBundle, certificateFromPkcs12, crlFor, looksLikePem } from './tls.ts';

export { TlsMaterialError } from './tls.ts';

export interface SecretRef {
  kind: 'secret' | 'container';
  id: string;
}

const REF = /(?:^|\/)(secrets|containers)\/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\/?$/;

/**
 * A Barbican ref (`http(s)://host/v1/secrets/<uuid>` or `/v1/containers/<uuid>`). Only the path
 * matters: the host is however the client reached the key manager, which may differ per client.
 */
export function parseRef(ref: string): SecretRef | null {
  const m = REF.exec(ref.trim());
  return m ? { kind: m[1] === 'secrets' ? 'secret' : 'container', id: m[2].toLowerCase() } : null;
}

/**
 * Who may read a secret or container: its owner project only, administrators of other projects
 * included in the refusal. The one ownership check: the API and ref resolution both ask here.
 */
export function mayRead(reader: { projectId: string | null }, row: { project_id: string }): boolean {
  return reader.projectId !== null && reader.projectId === row.project_id;
}

/** The ref that could not be used and why (Octavia: "Could not retrieve certificate: [refs]"). */
export class RefError extends Error {
  constructor(readonly ref: string, readonly reason: string) {
    super(reason);
  }
}

const CONTAINER_PART = { certificate: 'certificate', private_key: 'private_key', intermediates: 'intermediates', passphrase: 'private_key_passphrase' } as const;

export class Secrets {
  constructor(private readonly store: Store, private readonly box: SecretBox) {}

  /** The same key manager reading through `store` (a transaction: SQLite has one connection). */
  on(store: Store): Secrets {
    return new Secrets(store, this.box);
  }

  seal(secretId: string, payload: Buffer): string {
    return this.box.seal(payload, secretId);
  }

  /** The decrypted payload of a secret row. */
  payload(secret: Secret): Buffer {
    return this.box.open(secret.payload_encrypted, secret.id);
  }

  private async secret(projectId: string, ref: string, id: string): Promise<Secret> {
    const row = await this.store.get('secret', id);
    if (!row || !mayRead({ projectId }, row)) throw new RefError(ref, 'no such secret in this project');
    return row;
  }

  /** A certificate with its key: a container of type certificate, or a PKCS12 / PEM bundle secret. */
  async certificate(projectId: string, ref: string): Promise<TlsCertificate> {
    const parsed = parseRef(ref);
    if (!parsed) throw new RefError(ref, 'not a secret or container reference');
    try {
      if (parsed.kind === 'container') return await this.fromContainer(projectId, ref, parsed.id);
      const payload = this.payload(await this.secret(projectId, ref, parsed.id));
      return looksLikePem(payload) ? certificateFromPemBundle(payload.toString('utf8')) : certificateFromPkcs12(payload);
    } catch (err) {
      if (err instanceof TlsMaterialError) throw new RefError(ref, err.message);
      throw err;
    }
  }

  private async fromContainer(projectId: string, ref: string, id: string): Promise<TlsCertificate> {
    const row: SecretContainer | undefined = await this.store.get('secret_container', id);
    if (!row || !mayRead({ projectId }, row)) throw new RefError(ref, 'no such container in this project');
    if (row.type !== 'certificate') throw new RefError(ref, `the container is of type ${row.type}, not certificate`);
    const part = async (name: string) => {
      const entry = row.secret_refs.find((r) => r.name === name);
      return entry ? this.payload(await this.secret(projectId, ref, entry.secret_id)).toString('utf8') : null;
    };
    const certificate = await part(CONTAINER_PART.certificate);
    if (!certificate) throw new RefError(ref, 'the container has no certificate secret');
    return certificateFromParts(
      certificate, await part(CONTAINER_PART.private_key), await part(CONTAINER_PART.intermediates),
      await part(CONTAINER_PART.passphrase),
    );
  }

  /** A secret holding PEM text (CA bundles and CRLs are secret refs in Octavia). */
  async pem(projectId: string, ref: string): Promise<string> {
    const parsed = parseRef(ref);
    if (!parsed || parsed.kind !== 'secret') throw new RefError(ref, 'not a secret reference');
    return this.payload(await this.secret(projectId, ref, parsed.id)).toString('utf8');
  }

  async ca(projectId: string, ref: string, what: string): Promise<string> {
    const text = await this.pem(projectId, ref);
    try {
      return caBundle(text, what);
    } catch (err) {
      if (err instanceof TlsMaterialError) throw new RefError(ref, err.message);
      throw err;
    }
  }

  async crl(projectId: string, ref: string, caPem: string, what: string): Promise<string> {
    const text = await this.pem(projectId, ref);
    try {
      return crlFor(text, caPem, what);
    } catch (err) {
      if (err instanceof TlsMaterialError) throw new RefError(ref, err.message);
      throw err;
    }
  }

  /** Everything the graph's live listeners and pools refer to, for the renderer. */
  async materialFor(graph: LoadBalancerGraph): Promise<TlsMaterial> {
    const material: TlsMaterial = { certificates: new Map(), pems: new Map() };
    const gone = (s: string) => s === 'PENDING_DELETE' || s === 'DELETED';
    const cert = async (projectId: string, ref: string | null) => {
      if (ref && !material.certificates.has(ref)) material.certificates.set(ref, await this.certificate(projectId, ref));
    };
    const authority = async (projectId: string, caRef: string | null, crlRef: string | null, what: string) => {
      if (!caRef) return;
      const ca = material.pems.get(caRef) ?? (await this.ca(projectId, caRef, `${what} CA certificate`));
      material.pems.set(caRef, ca);
      if (crlRef && !material.pems.has(crlRef)) material.pems.set(crlRef, await this.crl(projectId, crlRef, ca, `${what} CRL`));
    };
    for (const l of graph.listeners.filter((x) => !gone(x.provisioning_status))) {
      if (l.protocol !== 'TERMINATED_HTTPS' && l.protocol !== 'PROMETHEUS') continue;
      await cert(l.project_id, l.default_tls_container_ref);
      for (const ref of l.sni_container_refs) await cert(l.project_id, ref);
      await authority(l.project_id, l.client_ca_tls_container_ref, l.client_crl_container_ref, 'client authentication');
    }
    for (const p of graph.pools.filter((x) => !gone(x.provisioning_status) && x.tls_enabled)) {
      await cert(p.project_id, p.tls_container_ref);
      await authority(p.project_id, p.ca_tls_container_ref, p.crl_container_ref, 'pool');
    }
    return material;
  }
}
