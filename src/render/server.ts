// One member as HAProxy server parameters. The configuration file and the runtime API's
// `add server` must describe a server identically, so both are spelled here.
import { bracketed, configWord, hostPort } from './escape.ts';
import type { HealthCheckIR, ServerIR, ServerTlsIR } from './ir.ts';

/** What follows `server <name>` in the file, or `add server <backend>/<name>` at runtime. */
export function serverParams(s: ServerIR, check: HealthCheckIR | null, runtime = false): string {
  return [
    hostPort(s.address, s.port, 'member'),
    `id ${s.id}`,
    `weight ${s.weight}`,
    ...checkParams(s, check),
    // 2.6 refuses `cookie` on dynamic servers; delta.ts reloads such backends instead.
    ...(s.cookie && !runtime ? [`cookie ${s.cookie}`] : []),
    ...proxyParams(s),
    ...(s.backup ? ['backup'] : []),
    // A dynamic server starts in maintenance; the agent enables it with `enable server`.
    ...(s.disabled && !runtime ? ['disabled'] : []),
    ...(s.tls ? tlsParams(s.tls) : []),
  ].join(' ');
}

function checkParams(s: ServerIR, check: HealthCheckIR | null): string[] {
  if (!s.check || !check) return [];
  return [
    'check',
    // The member's own TLS settings (verify, ca-file) apply to checks when the pool uses TLS.
    ...(check.ssl ? (s.tls ? ['check-ssl'] : ['check-ssl', 'verify none']) : []),
    `inter ${check.interval}s`,
    `fall ${check.fall}`,
    `rise ${check.rise}`,
    // Without this, clients on reused connections to a silently dead member hang until
    // `timeout server` (measured: all 16 client loops stuck); with it they get a reset.
    'on-marked-down shutdown-sessions',
    ...(s.checkAddress ? [`addr ${bracketed(s.checkAddress)}`] : []),
    ...(s.checkPort ? [`port ${s.checkPort}`] : []),
  ];
}

function proxyParams(s: ServerIR): string[] {
  switch (s.proxyProtocol) {
    case 'v1': return ['send-proxy'];
    case 'v2': return ['send-proxy-v2'];
    case 'v2-ssl-cn': return ['send-proxy-v2-ssl-cn'];
    default: return [];
  }
}

function tlsParams(t: ServerTlsIR): string[] {
  return [
    'ssl',
    `verify ${t.verify}`,
    ...(t.ca ? [`ca-file ${configWord(t.ca)}`] : []),
    ...(t.crl ? [`crl-file ${configWord(t.crl)}`] : []),
    ...(t.clientCert ? [`crt ${configWord(t.clientCert)}`] : []),
    // Forward the client's SNI when the listener terminated TLS; empty otherwise.
    'sni ssl_fc_sni',
    ...(t.ciphers ? [`ciphers ${configWord(t.ciphers)}`] : []),
    ...t.disabledVersions,
    ...(t.alpn.length ? [`alpn ${configWord(t.alpn.join(','))}`] : []),
  ];
}
