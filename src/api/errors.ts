// The one place where errors become HTTP: Octavia's fault body for everything the catalog
// knows, and a logged 500 (never a stack trace to the client) for anything it does not.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FulcrumError } from '../domain/errors.ts';
import { plain, sendPlain } from './plain.ts';

export function faultBody(status: number, message: string) {
  return { faultcode: status >= 500 ? 'Server' : 'Client', faultstring: message, debuginfo: null };
}

/** Keystone's error body, for the built-in identity API (keystoneauth reads it). */
export function keystoneErrorBody(status: number, message: string) {
  const titles: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict' };
  return { error: { code: status, title: titles[status] ?? 'Error', message } };
}

export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply, shape: 'octavia' | 'keystone' = 'octavia') {
  const known = toFulcrumError(err);
  if (known) {
    request.log.info({ event: 'api.refused', status: known.status, kind: known.kind, reason: known.message });
    if (shape === 'keystone') return reply.code(known.status).send(keystoneErrorBody(known.status, known.message));
    if (known.kind === 'BadQuery' || known.kind === 'ParentNotFound') {
      return sendPlain(request, reply, plain.clientError(known.status, known.message));
    }
    return reply.code(known.status).send(faultBody(known.status, known.message));
  }
  request.log.error({ event: 'api.failed', err }, 'unhandled error');
  return reply.code(500).send(faultBody(500, 'An unknown exception occurred.'));
}

/** Fastify's own errors (body parsing, size limits, media type) mapped into the catalog. */
function toFulcrumError(err: unknown): FulcrumError | undefined {
  if (err instanceof FulcrumError) return err;
  const e = err as FastifyError;
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new FulcrumError('TooLarge', 'Request Entity Too Large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new FulcrumError('UnsupportedMedia', 'The request media type is not supported.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new FulcrumError('Validation', 'Request is not in valid JSON format');
  }
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return new FulcrumError(e.statusCode === 413 ? 'TooLarge' : 'Validation', e.message);
  }
  return undefined;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type', 500: 'Internal Server Error',
};

/** The key manager (/v1) answers as Barbican does: {code, title, description}. */
export function sendKeyManagerError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const known = toFulcrumError(err);
  if (known) {
    request.log.info({ event: 'api.refused', status: known.status, kind: known.kind, reason: known.message });
    return reply.code(known.status).send({ code: known.status, title: TITLES[known.status] ?? 'Error', description: known.message });
  }
  request.log.error({ event: 'api.failed', err }, 'unhandled error');
  return reply.code(500).send({ code: 500, title: TITLES[500], description: 'An unknown exception occurred.' });
}
