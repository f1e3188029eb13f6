// Values Octavia's amphora driver supplies from its own configuration when the API object
// leaves them unset, and its small TLS mapping; shared by the listener and pool translations.

import type { ListenerProtocol } from '../domain/enums.ts';

/** Listener protocols HAProxy serves, and its mode for each; UDP and SCTP belong to LVS in Octavia. */
export const LISTENER_MODE: Partial<Record<ListenerProtocol, 'http' | 'tcp'>> = {
  HTTP: 'http', TERMINATED_HTTPS: 'http', PROMETHEUS: 'http', TCP: 'tcp', HTTPS: 'tcp',
};

/** [haproxy_amphora] timeout defaults (milliseconds), used when a listener field is 0. */
export const TIMEOUT_CLIENT_DATA = 50000;
export const TIMEOUT_MEMBER_CONNECT = 5000;
export const TIMEOUT_MEMBER_DATA = 50000;

const TLS_SWITCHES: [string, string][] = [
  ['SSLv3', 'no-sslv3'], ['TLSv1', 'no-tlsv10'], ['TLSv1.1', 'no-tlsv11'], ['TLSv1.2', 'no-tlsv12'], ['TLSv1.3', 'no-tlsv13'],
];

/** The `no-…` switches for TLS versions a listener or pool does not allow (none when unset). */
export function disabledTlsVersions(allowed: string[] | null): string[] {
  if (!allowed || allowed.length === 0) return [];
  return TLS_SWITCHES.filter(([version]) => !allowed.includes(version)).map(([, off]) => off);
}
