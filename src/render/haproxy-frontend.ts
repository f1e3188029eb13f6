// One listener → one `frontend` section.
import { bracketed, configWord, fetchWord, logFormatWord } from './escape.ts';
import type { AclIR, BindIR, FrontendIR, PolicyIR, SampleIR } from './ir.ts';
import { section } from './section.ts';

export function renderFrontend(f: FrontendIR): string {
  return section(`frontend ${f.name}`, [
    ...(f.enabled ? [] : ['# admin_state_up is false on the listener or its load balancer.', 'disabled']),
    `mode ${f.mode}`,
    `maxconn ${f.maxconn}`,
    ...f.binds.map(renderBind),
    `timeout client ${f.timeoutClient}`,
    ...(f.tcpInspectDelay ? tcpInspect(f) : []),
    ...(f.log ? [`option ${f.mode === 'http' ? 'httplog' : 'tcplog'}`] : []),
    ...allowedCidrs(f.allowedCidrs),
    ...(f.hsts ? [`http-response set-header Strict-Transport-Security ${logFormatWord(f.hsts)}`] : []),
    ...(f.prometheus ? ['http-request use-service prometheus-exporter if { path /metrics }'] : []),
    ...policies(f.policies),
    ...(f.defaultBackend ? [`default_backend ${f.defaultBackend}`] : []),
  ]);
}

/**
 * In TCP mode the delay only acts through a content rule that waits for data: HAProxy holds
 * a new connection until the client's first bytes arrive or the delay ends, then passes it
 * on (a protocol whose server speaks first waits the whole delay). HTTP mode waits for the
 * request anyway; there the delay bounds content rules only, as in Octavia.
 */
function tcpInspect(f: FrontendIR): string[] {
  return [
    `tcp-request inspect-delay ${f.tcpInspectDelay}`,
    ...(f.mode === 'tcp' ? ['tcp-request content accept if { req.len gt 0 }'] : []),
  ];
}

function renderBind(b: BindIR): string {
  const words = [`bind ${bracketed(b.address)}:${b.port}`];
  const t = b.tls;
  if (t) {
    words.push('ssl', ...t.certificates.map((c) => `crt ${configWord(c)}`));
    if (t.clientCa) words.push(`ca-file ${configWord(t.clientCa)}`);
    if (t.clientCrl) words.push(`crl-file ${configWord(t.clientCrl)}`);
    words.push(`verify ${t.verify}`);
    if (t.ciphers) words.push(`ciphers ${configWord(t.ciphers)}`);
    words.push(...t.disabledVersions);
    if (t.alpn.length) words.push(`alpn ${configWord(t.alpn.join(','))}`);
  }
  return words.join(' ');
}

/**
 * Octavia enforces allowed_cidrs with security groups on the VIP port; an amphora here has
 * no such port, so HAProxy refuses other sources at connection time, before any byte is read.
 */
function allowedCidrs(cidrs: string[]): string[] {
  if (cidrs.length === 0) return [];
  return [`acl allowed-cidrs src ${cidrs.join(' ')}`, 'tcp-request connection reject if !allowed-cidrs'];
}

function policies(list: PolicyIR[]): string[] {
  const acls = list.flatMap((p) => p.conditions.map(renderAcl));
  return [...new Set(acls), ...list.map(renderPolicy)];
}

function sampleWord(s: SampleIR): string {
  switch (s.fetch) {
    case 'host': return 'req.hdr(host)';
    case 'path': return 'path';
    // fhdr: the whole header value; hdr would split it at commas and never match "a, b".
    case 'header': return fetchWord('req.fhdr', s.name);
    case 'cookie': return fetchWord('req.cook', s.name);
    case 'ssl-has-cert': return 'ssl_c_used';
    case 'ssl-verify': return 'ssl_c_verify';
    case 'ssl-dn': return fetchWord('ssl_c_s_dn', s.field);
  }
}

/** `--` ends the flags, so a pattern such as "-f" stays a pattern (not "load from file"). */
export function renderAcl(a: AclIR): string {
  const words = ['acl', a.name, sampleWord(a.sample)];
  if (a.match) {
    if (a.match.ignoreCase) words.push('-i');
    words.push('-m', a.match.method, '--', configWord(a.match.pattern));
  } else if (a.integer !== null) {
    words.push('eq', String(a.integer));
  }
  return words.join(' ');
}

function renderPolicy(p: PolicyIR): string {
  const condition = `if ${p.conditions.map((c) => `${c.invert ? '!' : ''}${c.name}`).join(' ')}`;
  const a = p.action;
  const code = (c: number | null) => (c ? ` code ${c}` : '');
  switch (a.kind) {
    case 'deny':
      return `http-request deny ${condition}`;
    case 'redirect-location':
      return `http-request redirect location ${logFormatWord(a.url)}${code(a.code)} ${condition}`;
    case 'redirect-prefix':
      return `http-request redirect prefix ${logFormatWord(a.prefix)}${code(a.code)} ${condition}`;
    case 'backend':
      return `use_backend ${a.backend} ${condition}`;
  }
}
