// Barbican's wire format for secrets: the POST body (payload, its content type and encoding)
// and the metadata document. Refs are absolute URLs, as Barbican hands them out; Octavia and
// clients store them verbatim and give them back in *_container_ref fields.
import type { FastifyRequest } from 'fastify';
import { Errors } from '../../domain/errors.ts';
import type { Secret } from '../../domain/entities.ts';
import { SECRET_TYPES } from '../../service/secrets.ts';
import type { SecretCreate } from '../../service/secrets.ts';

/** `http(s)://<host>/v1`: the base of every ref, as the client reached the key manager. */
export function keyManagerBase(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? req.hostname}/v1`;
}

export const secretRef = (req: FastifyRequest, id: string) => `${keyManagerBase(req)}/secrets/${id}`;

/** Barbican keeps microseconds and no zone: 2024-01-31T12:00:00.123000. */
export function barbicanTime(iso: string | null): string | null {
  return iso ? `${iso.slice(0, 19)}.${iso.slice(20, 23).padEnd(6, '0')}` : null;
}

const str = (body: Record<string, unknown>, key: string, max = 255): string | null => {
  const v = body[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > max) throw Errors.secret(`Provided object does not match schema 'Secret': Invalid property: '${key}'`);
  return v;
};

const TEXT = /^text\/plain(\s*;\s*charset=utf-?8)?$/i;

export function parseSecretPost(raw: unknown): SecretCreate {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw Errors.secret("Provided object does not match schema 'Secret': the body must be a JSON object");
  }
  const body = raw as Record<string, unknown>;
  const secretType = str(body, 'secret_type') ?? 'opaque';
  if (!(SECRET_TYPES as readonly string[]).includes(secretType)) {
    throw Errors.secret(`Provided object does not match schema 'Secret': secret_type must be one of ${SECRET_TYPES.join(', ')}`);
  }
  const bitLength = body.bit_length;
  if (bitLength !== undefined && bitLength !== null && (!Number.isInteger(bitLength) || (bitLength as number) < 1)) {
    throw Errors.secret("Provided object does not match schema 'Secret': Invalid property: 'bit_length'");
  }
  const payload = str(body, 'payload', 1_000_000);
  if (payload === null) {
    throw Errors.secret("Provided object does not match schema 'Secret': a 'payload' is required (Fulcrum stores secrets in one step)");
  }
  const contentType = str(body, 'payload_content_type') ?? 'text/plain';
  const encoding = str(body, 'payload_content_encoding');
  let decoded: Buffer;
  if (TEXT.test(contentType)) {
    if (encoding) throw Errors.secret("Invalid payload_content_encoding: text/plain payloads take no encoding");
    decoded = Buffer.from(payload, 'utf8');
  } else if (/^application\/[a-z0-9.+-]+$/i.test(contentType)) {
    if (encoding !== 'base64') throw Errors.secret(`payload_content_encoding must be 'base64' for payload_content_type ${contentType}`);
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(payload)) throw Errors.secret('Invalid payload for payload_content_encoding: not base64');
    decoded = Buffer.from(payload, 'base64');
  } else {
    throw Errors.secret(`Invalid payload_content_type: ${contentType}`);
  }
  return {
    name: str(body, 'name'),
    secret_type: secretType,
    algorithm: str(body, 'algorithm'),
    bit_length: (bitLength as number | null | undefined) ?? null,
    mode: str(body, 'mode'),
    expiration: str(body, 'expiration'),
    payload: decoded,
    content_type: TEXT.test(contentType) ? 'text/plain' : contentType.toLowerCase(),
  };
}

export function secretToWire(req: FastifyRequest, s: Secret) {
  return {
    status: 'ACTIVE',
    created: barbicanTime(s.created_at),
    updated: barbicanTime(s.updated_at ?? s.created_at),
    expiration: s.expiration,
    algorithm: s.algorithm,
    bit_length: s.bit_length,
    mode: s.mode,
    name: s.name,
    secret_ref: secretRef(req, s.id),
    secret_type: s.secret_type,
    content_types: { default: s.content_type },
    creator_id: s.creator_id,
  };
}
