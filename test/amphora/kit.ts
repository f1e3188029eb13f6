// Test kit for the amphora agent: certificates, a running agent on a temporary state dir,
// Node HTTP backends, hand-written HAProxy configs, traffic loops, and cleanup that kills
// every HAProxy the test started (found by PID through its unique master socket path).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, get } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentClient } from '../../src/amphora/client.ts';
import { createCertificateAuthority, issueCertificate } from '../../src/amphora/pki.ts';
import type { KeyPairPem } from '../../src/amphora/pki.ts';
import type { ConfigBundle } from '../../src/amphora/protocol.ts';
import { startAgent } from '../../src/amphora/agent/server.ts';
import type { RunningAgent } from '../../src/amphora/agent/server.ts';

export const HAPROXY = '/usr/sbin/haproxy';
/** Data-plane tests need the real binary; outside CI they are skipped when it is missing. */
export const skipWithoutHaproxy: string | false =
  existsSync(HAPROXY) || process.env.CI === 'true' ? false : `skipped: ${HAPROXY} is not installed (apt-get install haproxy)`;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Pki {
  ca: KeyPairPem;
  controller: KeyPairPem;
  agent: KeyPairPem;
}

export function makePki(): Pki {
  const ca = createCertificateAuthority('test CA');
  return {
    ca,
    controller: issueCertificate(ca, { commonName: 'fulcrum-controller', usage: 'client' }),
    agent: issueCertificate(ca, { commonName: 'agent-test', usage: 'server', altNames: ['127.0.0.1', 'localhost'] }),
  };
}

export function tempDir(prefix = 'fa-'): string {
  // Short: unix socket paths (conf/haproxy.sock) must stay under 108 bytes.
  return mkdtempSync(join(tmpdir(), prefix));
}

export function runAgent(pki: Pki, stateDir: string): Promise<RunningAgent> {
  return startAgent({
    listen: { host: '127.0.0.1', port: 0 }, stateDir, haproxyBin: HAPROXY,
    tls: { ca: pki.ca.certPem, cert: pki.agent.certPem, key: pki.agent.keyPem },
  });
}

export function clientFor(pki: Pki, url: string, over: Partial<ConstructorParameters<typeof AgentClient>[0]> = {}): AgentClient {
  return new AgentClient({ url, ca: pki.ca.certPem, cert: pki.controller.certPem, key: pki.controller.keyPem, ...over });
}

/** A free TCP port on 127.0.0.1 (bind to 0, read it, release it). */
export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface Backend {
  name: string;
  port: number;
  hits: number;
  close(): Promise<void>;
}

/** A Node HTTP server that answers its own name (body and X-Backend header). */
export async function backend(name: string): Promise<Backend> {
  const b: Backend = { name, port: 0, hits: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    b.hits++;
    res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name }).end(name);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  b.port = (server.address() as AddressInfo).port;
  b.close = () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
  return b;
}

export interface ConfigOptions {
  frontendPort: number;
  servers: { name: string; port: number; weight?: number }[];
  /** Extra lines for the backend section. */
  backendLines?: string[];
}

/** A minimal HTTP load balancer config as the renderer would write it (relative runtime paths). */
export function haproxyConfig(o: ConfigOptions): string {
  return [
    'global',
    '  maxconn 1000',
    '  stats socket unix@haproxy.sock mode 600 level admin expose-fd listeners',
    '  server-state-file haproxy.state',
    '  hard-stop-after 5s',
    'defaults',
    '  mode http',
    '  load-server-state-from-file global',
    '  retries 3',
    '  option redispatch 1',
    '  timeout connect 2s',
    '  timeout client 10s',
    '  timeout server 10s',
    'frontend fe',
    `  bind 127.0.0.1:${o.frontendPort}`,
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    ...(o.backendLines ?? []).map((l) => `  ${l}`),
    ...o.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port}${s.weight !== undefined ? ` weight ${s.weight}` : ''}`),
    '',
  ].join('\n');
}

export function bundleOf(cfg: string, extra: { path: string; content: string; mode?: number }[] = []): ConfigBundle {
  const files = [{ path: 'haproxy.cfg', content: cfg }, ...extra];
  const hash = createHash('sha256');
  for (const f of files) hash.update(f.path).update('\0').update(f.content).update('\0');
  return { files, sha256: hash.digest('hex') };
}

export interface Reply {
  status: number;
  backend: string;
  at: number;
}

/** One request on a fresh connection (`Connection: close`); status 0 when it failed. */
export function fetchOnce(port: number, timeoutMs = 2000): Promise<Reply> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, backend: body, at: performance.now() }));
      res.on('error', () => resolve({ status: 0, backend: '', at: performance.now() }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, backend: '', at: performance.now() }));
  });
}

/** Polls until a request is answered by `backend` (or a 200 at all when omitted); answers the time it took. */
export async function firstServed(port: number, backendName?: string, timeoutMs = 5000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const r = await fetchOnce(port, 500);
    if (r.status === 200 && (backendName === undefined || r.backend === backendName)) return r.at - t0;
    await sleep(2);
  }
  throw new Error(`port ${port}: not served${backendName ? ` by ${backendName}` : ''} within ${timeoutMs} ms`);
}

/** Sequential `Connection: close` requests in `loops` parallel loops until stopped. */
export class Traffic {
  readonly replies: Reply[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];

  constructor(port: number, loops = 4) {
    for (let i = 0; i < loops; i++) {
      this.loops.push((async () => {
        while (this.running) this.replies.push(await fetchOnce(port));
      })());
    }
  }

  async stop(): Promise<Reply[]> {
    this.running = false;
    await Promise.all(this.loops);
    return this.replies;
  }

  failures(): Reply[] {
    return this.replies.filter((r) => r.status !== 200);
  }

  /** The longest time between two consecutive successful replies. */
  longestGap(): number {
    const ok = this.replies.filter((r) => r.status === 200).map((r) => r.at).sort((a, b) => a - b);
    let gap = 0;
    for (let i = 1; i < ok.length; i++) gap = Math.max(gap, ok[i] - ok[i - 1]);
    return gap;
  }
}

/** PIDs of every process whose command line names a master socket under `stateDir`. */
export function haproxyPids(stateDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (cmdline.includes(join(stateDir, 'amphorae')) && /haproxy/.test(cmdline.split('\0')[0])) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Kills (by PID) every HAProxy the agent started under `stateDir` and removes the directory. */
export async function cleanupStateDir(stateDir: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const pids = haproxyPids(stateDir);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(50);
  }
  rmSync(stateDir, { recursive: true, force: true });
}
