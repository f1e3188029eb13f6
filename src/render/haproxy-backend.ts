// One (pool, listener) pair → one `backend` section.
import { configWord, fetchWord, logFormatWord } from './escape.ts';
import type { BackendIR, HeadersIR, HealthCheckIR, HttpCheckIR, PersistenceIR } from './ir.ts';
import { section } from './section.ts';
import { serverParams } from './server.ts';

export function renderBackend(b: BackendIR): string {
  return section(`backend ${b.name}`, [
    ...b.notes.map((n) => `# ${n}`),
    `mode ${b.mode}`,
    ...balance(b),
    ...(b.hashType ? ['# consistent: servers can be added at runtime (2.6 refuses that for map-based hashing).', `hash-type ${b.hashType}`] : []),
    ...persistence(b.persistence),
    ...(b.mode === 'http' ? [
      'http-reuse safe',
      // A member that closes an idle reused connection, or stops listening, would cost the client a
      // 502: HAProxy resends such requests to another member instead (nothing was answered yet).
      'retry-on conn-failure empty-response response-timeout',
    ] : []),
    ...healthCheck(b.check),
    ...headers(b.headers),
    'option allbackups',
    `timeout connect ${b.timeoutConnect}`,
    `timeout server ${b.timeoutServer}`,
    ...b.servers.map((s) => `server ${s.name} ${serverParams(s, b.check)}`),
  ]);
}

/**
 * SOURCE_IP_PORT hashes "address:port". 2.6 has no fetch joining two samples and `concat` takes
 * only variables, so the port goes through a transaction variable set as the backend is entered.
 */
function balance(b: BackendIR): string[] {
  if (b.balance !== 'source-ip-port') return [`balance ${b.balance}`];
  return ['tcp-request content set-var(txn.src_port) src_port', 'balance hash src,concat(:,txn.src_port)'];
}

function persistence(p: PersistenceIR | null): string[] {
  if (!p) return [];
  const peers = (name: string | null) => (name ? ` peers ${name}` : '');
  switch (p.kind) {
    case 'source-ip':
      // ipv6 tables also hold IPv4 clients (mapped), so persistence works on either VIP family.
      return [`stick-table type ipv6 size ${p.tableSize}${peers(p.peers)}`, 'stick on src'];
    case 'app-cookie':
      return [
        `stick-table type string len 64 size ${p.tableSize}${peers(p.peers)}`,
        `stick store-response ${fetchWord('res.cook', p.cookie)}`,
        `stick match ${fetchWord('req.cook', p.cookie)}`,
        // Synced to the peer amphora: without this the entry is written once (the response
        // that set the cookie) and an update the peer missed (reconnect or reload of either
        // side) is lost for good; stored again on every request carrying the cookie, each
        // request pushes it again, as `stick on src` does for SOURCE_IP.
        ...(p.peers ? [`stick store-request ${fetchWord('req.cook', p.cookie)}`] : []),
      ];
    case 'http-cookie':
      return ['cookie SRV insert indirect nocache'];
  }
}

function healthCheck(c: HealthCheckIR | null): string[] {
  if (!c) return [];
  const timeout = `timeout check ${c.timeout}s`;
  switch (c.kind) {
    case 'http':
      return [timeout, 'option httpchk', httpSend(c.http!), `http-check expect status ${configWord(c.http!.expectStatus)}`];
    case 'tls-hello':
      return [timeout, 'option ssl-hello-chk'];
    case 'external':
      return [timeout, 'option external-check', `external-check command ${configWord(c.command!)}`];
    case 'tcp':
      return [timeout];
  }
}

function httpSend(h: HttpCheckIR): string {
  return [
    'http-check send',
    `meth ${configWord(h.method)}`,
    `uri ${configWord(h.path)}`,
    ...(h.version ? [`ver ${h.version}`] : []),
    ...(h.host ? [`hdr Host ${logFormatWord(h.host)}`] : []),
  ].join(' ');
}

const SSL_HEADER_VALUE: Record<string, string> = {
  'X-SSL-Client-Verify': '%[ssl_c_verify]',
  'X-SSL-Client-Has-Cert': '%[ssl_c_used]',
  'X-SSL-Client-DN': '%{+Q}[ssl_c_s_dn]',
  'X-SSL-Client-CN': '%{+Q}[ssl_c_s_dn(cn)]',
  'X-SSL-Issuer': '%{+Q}[ssl_c_i_dn]',
  'X-SSL-Client-SHA1': '%{+Q}[ssl_c_sha1,hex]',
  'X-SSL-Client-Not-Before': '%{+Q}[ssl_c_notbefore]',
  'X-SSL-Client-Not-After': '%{+Q}[ssl_c_notafter]',
};

function headers(h: HeadersIR): string[] {
  return [
    ...(h.forwardedFor ? ['option forwardfor'] : []),
    ...(h.forwardedPort ? ['http-request set-header X-Forwarded-Port %[dst_port]'] : []),
    ...(h.forwardedProto ? [`http-request set-header X-Forwarded-Proto ${h.forwardedProto}`] : []),
    ...h.ssl.filter((name) => SSL_HEADER_VALUE[name]).map((name) => `http-request set-header ${name} ${SSL_HEADER_VALUE[name]}`),
  ];
}
