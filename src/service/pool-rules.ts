// Octavia's rules for a pool's session persistence and TLS settings (common/validate.py and
// the pool controller), kept apart from the write path so they read as one list.
import { Errors } from '../domain/errors.ts';
import { TLS_VERSIONS } from '../domain/enums.ts';
import type { PoolProtocol } from '../domain/enums.ts';
import type { Pool } from '../domain/entities.ts';
import type { PoolFields, SessionPersistenceInput } from './pools.ts';

/** Octavia's api_settings defaults for new TLS-enabled pools (the OWASP suite B). */
export const POOL_TLS_DEFAULTS = {
  tls_ciphers: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:'
    + 'DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:'
    + 'ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA256:DHE-RSA-AES128-SHA256:'
    + 'ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256',
  tls_versions: ['TLSv1.2', 'TLSv1.3'],
  alpn_protocols: ['h2', 'http/1.1', 'http/1.0'],
} as const;

const LVS = 'UDP/SCTP';
// Octavia's list: controls, space and the separators RFC 6265 keeps out of cookie names.
// eslint-disable-next-line no-control-regex
const BAD_COOKIE_CHARS = /[\x00-\x20\x22\x28-\x29\x2c\x2f\x3a-\x40\x5b-\x5d\x7b\x7d\x7f]/;
const VALID_CIPHERS = /^[A-Za-z0-9\-+!:@=_.]+$/;

/**
 * Session persistence against the pool protocol: UDP and SCTP pools take SOURCE_IP with a
 * timeout and granularity only; other pools take no timeout or granularity; a cookie name
 * belongs to APP_COOKIE, which needs one.
 */
export function checkSessionPersistence(
  protocol: PoolProtocol, sp: SessionPersistenceInput | null | undefined, op: 'create' | 'update',
): void {
  if (!sp) return;
  if (protocol === 'UDP' || protocol === 'SCTP') {
    if (sp.type === 'SOURCE_IP' && sp.cookie_name) {
      throw Errors.validation('session_persistence SOURCE_IP type for UDP and SCTP protocols only accepts: '
        + 'type, persistence_timeout, persistence_granularity.');
    }
    if (sp.cookie_name) throw Errors.validation(`Cookie names are not supported for ${LVS} pools.`);
    if (sp.type === 'HTTP_COOKIE' || sp.type === 'APP_COOKIE') {
      throw Errors.validation(`Session persistence of type ${sp.type} is not supported for ${LVS} protocol pools.`);
    }
  } else if (sp.persistence_timeout || sp.persistence_granularity) {
    // Octavia words the update's refusal with UDP only.
    const which = op === 'create' ? 'UDP and SCTP' : 'UDP';
    throw Errors.validation(`persistence_timeout and persistence_granularity is only for ${which} protocol pools.`);
  }
  if (sp.cookie_name) {
    if (sp.type !== 'APP_COOKIE') {
      throw Errors.validation('Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".');
    }
    if (BAD_COOKIE_CHARS.test(sp.cookie_name) || ![...sp.cookie_name].some((c) => c.codePointAt(0)! <= 0xff)) {
      throw Errors.validation('Supplied "cookie_name" is invalid.');
    }
  }
  if (sp.type === 'APP_COOKIE' && !sp.cookie_name) {
    throw Errors.validation('Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.');
  }
  if (!sp.type) throw Errors.validation('Invalid session_persistence provided.');
}

/** TLS settings of a new pool, after its defaults were filled in. */
export function checkPoolTlsOnCreate(pool: PoolFields): void {
  if (pool.crl_container_ref && !pool.ca_tls_container_ref) {
    throw Errors.validation('A CA certificate reference is required to specify a revocation list.');
  }
  if (pool.tls_ciphers) checkCiphers(pool.tls_ciphers);
  if (pool.tls_enabled) {
    checkTlsVersions(pool.tls_versions ?? []);
    checkAlpnProtocols(pool.alpn_protocols ?? []);
  }
}

/**
 * TLS settings of a PUT against the pool's current ones. A CRL needs a CA, whether both are
 * sent or one is already set; the CA cannot be removed while a CRL stays.
 */
export function checkPoolTlsOnUpdate(pool: Pool, input: PoolFields): void {
  const crl = input.crl_container_ref ? input.crl_container_ref
    : input.crl_container_ref === undefined ? pool.crl_container_ref : null;
  const ca = input.ca_tls_container_ref;
  if (ca !== undefined) {
    if (!ca && crl && pool.ca_tls_container_ref) {
      throw Errors.validation('A CA reference cannot be removed when a certificate revocation list is present.');
    }
    if (!ca && crl) throw Errors.validation('A CA reference is required to specify a certificate revocation list.');
  } else if (crl && !pool.ca_tls_container_ref) {
    throw Errors.validation('A CA reference is required to specify a certificate revocation list.');
  }
  if (input.tls_ciphers) checkCiphers(input.tls_ciphers);
  if (input.tls_versions !== undefined && input.tls_versions !== null) checkTlsVersions(input.tls_versions);
  if (input.alpn_protocols !== undefined && input.alpn_protocols !== null) checkAlpnProtocols(input.alpn_protocols);
}

function checkCiphers(ciphers: string): void {
  if (!VALID_CIPHERS.test(ciphers)) {
    throw Errors.validation('Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.');
  }
}

function checkTlsVersions(versions: string[]): void {
  if (versions.length === 0) {
    throw Errors.validation('Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.');
  }
  const invalid = versions.filter((v) => !(TLS_VERSIONS as readonly string[]).includes(v));
  if (invalid.length > 0) throw Errors.validation(`Invalid TLS versions: ${invalid.join(', ')}`);
}

function checkAlpnProtocols(protocols: string[]): void {
  if (protocols.length === 0) {
    throw Errors.validation('Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.');
  }
}

/**
 * SCTP: Octavia's amphora serves it through IPVS, which this host's kernel lacks, and neither
 * HAProxy nor the agent's UDP engine carries it. A listener or pool nothing would serve is
 * refused at create with a clear 400 instead of going ERROR later (the noop provider, which
 * serves nothing, still takes it, as Octavia's noop driver does).
 */
export function refuseUnservedProtocol(lb: { provider: string }, protocol: string | null | undefined, what: 'listener' | 'pool'): void {
  if (protocol === 'SCTP' && lb.provider !== 'noop') {
    throw Errors.validation(`Provider '${lb.provider}' cannot serve SCTP ${what}s on this deployment: no SCTP data-plane engine exists yet (HAProxy carries TCP and HTTP, the agent's engine UDP).`);
  }
}

