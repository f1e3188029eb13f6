// The certificate files of one amphora's bundle: exactly the files its configuration names
// (`crt`, `ca-file`, `crl-file` on binds and servers), filled from the TLS material the
// worker resolved. Walking the graph the way translate.ts does, then keeping only the paths
// the IR refers to, keeps the two in step: a path the IR names without material is an error
// here, not a missing file at reload time.
import type { Listener, LoadBalancerGraph, Pool, TlsCertificate, TlsMaterial } from '../domain/entities.ts';
import type { BundleFile } from './bundle.ts';
import { certPaths } from './context.ts';
import { RenderError } from './escape.ts';
import type { HaproxyIR } from './ir.ts';
import { live } from './live.ts';

/** Private keys are in these files: readable by the agent (HAProxy's user) only. */
export const KEY_FILE_MODE = 0o600;

/** HAProxy's `crt` file: the certificate, its chain in order, then the key. */
export function pemFile(cert: TlsCertificate): string {
  const block = (pem: string) => (pem.endsWith('\n') ? pem : `${pem}\n`);
  return [cert.certificate, ...cert.intermediates, cert.privateKey].map(block).join('');
}

/** Every certificate path the IR names (paths are relative to the bundle when the worker renders). */
export function certificateRefsOf(ir: HaproxyIR): Set<string> {
  const paths = new Set<string>();
  for (const f of ir.frontends) {
    for (const b of f.binds) {
      if (!b.tls) continue;
      for (const p of [...b.tls.certificates, b.tls.clientCa, b.tls.clientCrl]) if (p) paths.add(p);
    }
  }
  for (const b of ir.backends) {
    for (const s of b.servers) {
      if (!s.tls) continue;
      for (const p of [s.tls.ca, s.tls.crl, s.tls.clientCert]) if (p) paths.add(p);
    }
  }
  return paths;
}

export function certificateFiles(graph: LoadBalancerGraph, ir: HaproxyIR, material: TlsMaterial, certDir: string): BundleFile[] {
  const offered = new Map<string, BundleFile>();
  const g = live(graph);
  for (const l of g.listeners) listenerFiles(l, material, certDir, offered);
  for (const p of graph.pools) {
    const pool = g.pool(p.id);
    if (pool?.tls_enabled) poolFiles(pool, material, certDir, offered);
  }
  const files: BundleFile[] = [];
  for (const path of certificateRefsOf(ir)) {
    const file = offered.get(path);
    if (!file) throw new RenderError(`the configuration names ${path} but no certificate material was resolved for it`);
    files.push(file);
  }
  return files;
}

function put(offered: Map<string, BundleFile>, path: string, content: string | undefined, mode = KEY_FILE_MODE): void {
  if (content !== undefined) offered.set(path, { path, content, mode });
}

function listenerFiles(l: Listener, m: TlsMaterial, dir: string, offered: Map<string, BundleFile>): void {
  const cert = (ref: string | null) => (ref ? m.certificates.get(ref) : undefined);
  const main = cert(l.default_tls_container_ref);
  if (main) put(offered, certPaths.listenerDefault(dir, l.id), pemFile(main));
  l.sni_container_refs.forEach((ref, i) => {
    const sni = cert(ref);
    if (sni) put(offered, certPaths.listenerSni(dir, l.id, i), pemFile(sni));
  });
  if (l.client_ca_tls_container_ref) put(offered, certPaths.listenerClientCa(dir, l.id), m.pems.get(l.client_ca_tls_container_ref));
  if (l.client_crl_container_ref) put(offered, certPaths.listenerClientCrl(dir, l.id), m.pems.get(l.client_crl_container_ref));
}

function poolFiles(p: Pool, m: TlsMaterial, dir: string, offered: Map<string, BundleFile>): void {
  const client = p.tls_container_ref ? m.certificates.get(p.tls_container_ref) : undefined;
  if (client) put(offered, certPaths.poolClientCert(dir, p.id), pemFile(client));
  if (p.ca_tls_container_ref) put(offered, certPaths.poolCa(dir, p.id), m.pems.get(p.ca_tls_container_ref));
  if (p.crl_container_ref) put(offered, certPaths.poolCrl(dir, p.id), m.pems.get(p.crl_container_ref));
}
