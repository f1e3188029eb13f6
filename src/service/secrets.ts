// The key manager's operations (/v1/secrets, /v1/containers): a Barbican-compatible subset
// that holds the TLS material listeners and pools refer to. Payloads are sealed before they
// reach the store and opened only for their owner project (mayRead in the secrets driver is
// the one ownership rule). Nothing here logs a payload: log lines carry ids only.
import { randomUUID } from 'node:crypto';
import { Errors } from '../domain/errors.ts';
import type { RequestContext } from '../domain/context.ts';
import type { Secret, SecretContainer } from '../domain/entities.ts';
import { mayRead, parseRef } from '../drivers/secrets/secrets.ts';
import type { ServiceDeps } from './deps.ts';
import { now } from './deps.ts';

export const SECRET_TYPES = ['symmetric', 'public', 'private', 'passphrase', 'certificate', 'opaque'] as const;
export const CONTAINER_TYPES = ['generic', 'rsa', 'certificate'] as const;
const CERTIFICATE_PARTS = ['certificate', 'private_key', 'private_key_passphrase', 'intermediates'];
const RSA_PARTS = ['public_key', 'private_key', 'private_key_passphrase'];
/** Barbican's max_allowed_secret_in_bytes default. */
export const MAX_SECRET_BYTES = 20_000;

export interface SecretCreate {
  name: string | null;
  secret_type: string;
  algorithm: string | null;
  bit_length: number | null;
  mode: string | null;
  expiration: string | null;
  /** Already decoded (base64 undone for binary content types). */
  payload: Buffer;
  content_type: string;
}

export interface ContainerCreate {
  name: string | null;
  type: string;
  secret_refs: { name: string; secret_ref: string }[];
}

function owner(ctx: RequestContext): string {
  if (!ctx.projectId) throw Errors.missingProject();
  return ctx.projectId;
}

export async function createSecret(deps: ServiceDeps, ctx: RequestContext, input: SecretCreate): Promise<Secret> {
  const projectId = owner(ctx);
  if (input.payload.length === 0) throw Errors.secret("If 'payload' is specified, it must be non-empty");
  if (input.payload.length > MAX_SECRET_BYTES) throw Errors.tooLarge(MAX_SECRET_BYTES);
  const id = randomUUID();
  const row: Secret = {
    id, project_id: projectId, creator_id: ctx.userId, name: input.name, secret_type: input.secret_type,
    content_type: input.content_type, algorithm: input.algorithm, bit_length: input.bit_length, mode: input.mode,
    expiration: input.expiration, payload_encrypted: deps.secrets.seal(id, input.payload), created_at: now(), updated_at: null,
  };
  await deps.store.insert('secret', row);
  deps.log.info({ event: 'secret.create', secret_id: id, project_id: projectId, secret_type: row.secret_type });
  return row;
}

/** A secret the caller may read: 404 when there is none, 403 when it is another project's (as Barbican). */
export async function getSecret(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<Secret> {
  const row = await deps.store.get('secret', id.toLowerCase());
  if (!row) throw Errors.secretNotFound('Secret');
  if (!mayRead(ctx, row)) throw Errors.secretForbidden('Secret');
  return row;
}

export async function secretPayload(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<{ payload: Buffer; contentType: string }> {
  const row = await getSecret(deps, ctx, id);
  deps.log.info({ event: 'secret.read', secret_id: row.id, project_id: row.project_id });
  return { payload: deps.secrets.payload(row), contentType: row.content_type };
}

export async function listSecrets(deps: ServiceDeps, ctx: RequestContext): Promise<Secret[]> {
  const rows = await deps.store.find('secret', { project_id: owner(ctx) });
  return rows.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}

export async function deleteSecret(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<void> {
  const row = await getSecret(deps, ctx, id);
  await refuseInUse(deps, row.project_id, 'Secret', row.id);
  await deps.store.delete('secret', { id: row.id });
  deps.log.info({ event: 'secret.delete', secret_id: row.id, project_id: row.project_id });
}

export async function createContainer(deps: ServiceDeps, ctx: RequestContext, input: ContainerCreate): Promise<SecretContainer> {
  const projectId = owner(ctx);
  checkContainerParts(input);
  const refs: SecretContainer['secret_refs'] = [];
  for (const r of input.secret_refs) {
    const parsed = parseRef(r.secret_ref);
    if (!parsed || parsed.kind !== 'secret') throw Errors.secret(`Invalid secret reference: ${r.secret_ref}`);
    const secret = await deps.store.get('secret', parsed.id);
    // Another project's secret is as good as absent: a container must not leak its existence.
    if (!secret || !mayRead(ctx, secret)) throw Errors.secret(`Secret provided for '${r.name}' doesn't exist.`);
    refs.push({ name: r.name, secret_id: secret.id });
  }
  const row: SecretContainer = {
    id: randomUUID(), project_id: projectId, creator_id: ctx.userId, name: input.name, type: input.type,
    secret_refs: refs, created_at: now(), updated_at: null,
  };
  await deps.store.insert('secret_container', row);
  deps.log.info({ event: 'container.create', container_id: row.id, project_id: projectId, type: row.type });
  return row;
}

/** Barbican's rules for typed containers: known part names, each once, the certificate present. */
function checkContainerParts(input: ContainerCreate): void {
  const names = input.secret_refs.map((r) => r.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw Errors.secret(`Duplicate reference names are not allowed: ${dup}`);
  const allowed = input.type === 'certificate' ? CERTIFICATE_PARTS : input.type === 'rsa' ? RSA_PARTS : null;
  if (!allowed) return;
  const unknown = names.filter((n) => !allowed.includes(n));
  if (unknown.length > 0) {
    throw Errors.secret(`Provided object does not match schema 'Container': only ${allowed.join(', ')} are allowed in ${input.type} containers, not ${unknown.join(', ')}`);
  }
  if (input.type === 'certificate' && !names.includes('certificate')) {
    throw Errors.secret("Provided object does not match schema 'Container': a certificate container needs a 'certificate' secret");
  }
}

export async function getContainer(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<SecretContainer> {
  const row = await deps.store.get('secret_container', id.toLowerCase());
  if (!row) throw Errors.secretNotFound('Container');
  if (!mayRead(ctx, row)) throw Errors.secretForbidden('Container');
  return row;
}

export async function listContainers(deps: ServiceDeps, ctx: RequestContext): Promise<SecretContainer[]> {
  const rows = await deps.store.find('secret_container', { project_id: owner(ctx) });
  return rows.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}

export async function deleteContainer(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<void> {
  const row = await getContainer(deps, ctx, id);
  await refuseInUse(deps, row.project_id, 'Container', row.id);
  await deps.store.delete('secret_container', { id: row.id });
  deps.log.info({ event: 'container.delete', container_id: row.id, project_id: row.project_id });
}

/**
 * Octavia registers itself as a consumer of the certificates it uses; here the key manager
 * sees the listeners and pools directly and refuses to delete what a live one still names,
 * since the next apply of its load balancer would fail without it.
 */
async function refuseInUse(deps: ServiceDeps, projectId: string, what: 'Secret' | 'Container', id: string): Promise<void> {
  const containers = what === 'Secret'
    ? (await deps.store.find('secret_container', { project_id: projectId })).filter((c) => c.secret_refs.some((r) => r.secret_id === id))
    : [];
  const names = new Set([id, ...containers.map((c) => c.id)]);
  const hits = (refs: (string | null)[]) => refs.some((r) => r !== null && names.has(parseRef(r)?.id ?? ''));
  const users: string[] = containers.map((c) => `container ${c.id}`);
  for (const l of await deps.store.find('listener', { project_id: projectId })) {
    if (l.provisioning_status === 'DELETED') continue;
    if (hits([l.default_tls_container_ref, ...l.sni_container_refs, l.client_ca_tls_container_ref, l.client_crl_container_ref])) {
      users.push(`listener ${l.id}`);
    }
  }
  for (const p of await deps.store.find('pool', { project_id: projectId })) {
    if (p.provisioning_status === 'DELETED') continue;
    if (hits([p.tls_container_ref, p.ca_tls_container_ref, p.crl_container_ref])) users.push(`pool ${p.id}`);
  }
  if (users.length > 0) throw Errors.secretInUse(what, users);
}
