// End-to-end kit: a Fulcrum with its real data plane (embedded agent, HAProxy amphorae on
// loopback VIPs), Node HTTP and TCP backends on 127.0.0.x that answer their own name, and
// clients that send real requests through the VIP from a chosen source address.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { killHaproxyUnder, SUBNET, testApp } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';

export const HAPROXY = '/usr/sbin/haproxy';
/** In CI haproxy is installed and these tests must run; elsewhere they skip without it. */
export const skipWithoutHaproxy: string | false =
  existsSync(HAPROXY) || process.env.CI === 'true' ? false : `skipped: ${HAPROXY} is not installed (apt-get install haproxy)`;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface E2E {
  app: TestApp;
  dataDir: string;
  close(): Promise<void>;
}

/** A Fulcrum with the real data plane in a fresh short temp dir (unix socket paths must stay short). */
export async function startFulcrum(opts: { dataDir?: string; databaseUrl?: string; logLines?: string[] } = {}): Promise<E2E> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'fe-'));
  const app = await testApp({
    dataPlane: true, dataDir,
    ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
    ...(opts.logLines ? { logLines: opts.logLines } : {}),
  });
  return {
    app, dataDir,
    async close() {
      try {
        await app.close();
      } finally {
        await killHaproxyUnder(dataDir);
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

// ---- API helpers: create objects and wait until the load balancer is ACTIVE again ----

export async function api(app: TestApp, method: string, path: string, body?: unknown) {
  const res = await app.req(method, `/v2/lbaas${path}`, body, 'e2e');
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Waits for the worker, then checks the load balancer is ACTIVE (a driver failure leaves ERROR). */
export async function settled(app: TestApp, lbId: string): Promise<any> {
  await app.settle();
  const lb = (await app.req('GET', `/v2/lbaas/loadbalancers/${lbId}`, undefined, 'e2e')).body.loadbalancer;
  if (lb && lb.provisioning_status !== 'ACTIVE') throw new Error(`load balancer ${lbId} is ${lb.provisioning_status}`);
  return lb;
}

export interface Stack {
  lb: any;
  listener: any;
  pool: any;
  members: any[];
  vip: string;
  port: number;
}

export interface StackOptions {
  protocol?: 'HTTP' | 'HTTPS' | 'TCP';
  port?: number;
  listener?: Record<string, unknown>;
  pool?: Record<string, unknown>;
  monitor?: Record<string, unknown>;
  members: { address: string; protocol_port: number; [k: string]: unknown }[];
}

/** LB → listener → pool (→ monitor) → members, each change applied before the next. */
export async function stack(app: TestApp, o: StackOptions): Promise<Stack> {
  const protocol = o.protocol ?? 'HTTP';
  const port = o.port ?? (await freePort());
  const lb = (await api(app, 'POST', '/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, name: 'e2e' } })).loadbalancer;
  await settled(app, lb.id);
  const listener = (await api(app, 'POST', '/listeners', {
    listener: { loadbalancer_id: lb.id, protocol, protocol_port: port, ...o.listener },
  })).listener;
  await settled(app, lb.id);
  const pool = (await api(app, 'POST', '/pools', {
    pool: { listener_id: listener.id, protocol, lb_algorithm: 'ROUND_ROBIN', ...o.pool },
  })).pool;
  await settled(app, lb.id);
  if (o.monitor) {
    await api(app, 'POST', '/healthmonitors', { healthmonitor: { pool_id: pool.id, ...o.monitor } });
    await settled(app, lb.id);
  }
  const members = [];
  for (const m of o.members) {
    members.push((await api(app, 'POST', `/pools/${pool.id}/members`, { member: m })).member);
    await settled(app, lb.id);
  }
  return { lb, listener, pool, members, vip: lb.vip_address, port };
}

// ---- backends ----

export interface Backend {
  name: string;
  address: string;
  port: number;
  hits: number;
  /** Headers of the last request (HTTP backends). */
  lastHeaders: IncomingMessage['headers'];
  /** The last 200 requests (HTTP backends), health checks included. */
  requests: Seen[];
  /** The status each request is answered with (HTTP backends); 200 unless the test sets it. */
  answer: (req: IncomingMessage) => number;
  /** Extra response headers (HTTP backends), e.g. a Set-Cookie. */
  headers: (req: IncomingMessage) => Record<string, string>;
  /** Milliseconds to wait before answering each request (HTTP backends); 0 unless the test sets it. */
  delay: (req: IncomingMessage) => number;
  /** Open client connections right now. */
  open: number;
  /** Hard kill: the listening socket and every connection close at once, in-flight requests included. */
  close(): Promise<void>;
  /** Soft kill: new connections are refused; requests already accepted are answered. */
  stopListening(): void;
}

let nextHost = 10;
/** A fresh 127.0.0.x address for a backend, so members differ by address as well as port. */
export function backendAddress(): string {
  nextHost = nextHost >= 250 ? 10 : nextHost + 1;
  return `127.0.0.${nextHost}`;
}

function track(server: Server | TcpServer, b: Backend): void {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    b.open = sockets.size;
    s.on('close', () => { sockets.delete(s); b.open = sockets.size; });
  });
  b.close = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
  b.stopListening = () => server.close();
}

export interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  version: string;
  headers: IncomingMessage['headers'];
}

function blank(name: string, address: string): Backend {
  return {
    name, address, port: 0, hits: 0, lastHeaders: {}, requests: [], answer: () => 200, headers: () => ({}), delay: () => 0, open: 0,
    close: async () => {}, stopListening: () => {},
  };
}

/**
 * An HTTP backend answering its name (body and X-Backend header). `/slow?ms=N` answers after
 * N ms, so a test can hold a connection open on it.
 */
export async function httpBackend(
  name: string, address = backendAddress(), opts: { keepAlive?: boolean; tls?: boolean } = {},
): Promise<Backend> {
  const b = blank(name, address);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    b.hits++;
    b.lastHeaders = req.headers;
    b.requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host, version: req.httpVersion, headers: req.headers });
    if (b.requests.length > 200) b.requests.shift();
    const slowMs = Number(/^\/slow\?ms=(\d+)/.exec(req.url ?? '')?.[1] ?? b.delay(req));
    // Without keep-alive HAProxy holds no idle connection to it that a kill could cut under a request.
    const close = opts.keepAlive === false ? { connection: 'close' } : {};
    const answer = () => res.writeHead(b.answer(req), { 'content-type': 'text/plain', 'x-backend': name, ...close, ...b.headers(req) }).end(name);
    if (slowMs > 0) setTimeout(answer, slowMs);
    else answer();
  };
  const server = opts.tls ? createHttpsServer(selfSigned(), handler) : createServer(handler);
  track(server, b);
  await new Promise<void>((r) => server.listen(0, address, r));
  b.port = (server.address() as AddressInfo).port;
  return b;
}

/**
 * A TCP backend: writes its name on every line it receives (`name\n`); with `banner` it also
 * speaks first, writing its name as soon as a connection reaches it.
 */
export async function tcpBackend(name: string, address = backendAddress(), opts: { banner?: boolean } = {}): Promise<Backend> {
  const b = blank(name, address);
  const server = createTcpServer((sock) => {
    b.hits++;
    if (opts.banner) sock.write(`${name}\n`);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => { for (let i = 0; i < d.split('\n').length - 1; i++) sock.write(`${name}\n`); });
    sock.on('error', () => undefined);
  });
  track(server, b);
  await new Promise<void>((r) => server.listen(0, address, r));
  b.port = (server.address() as AddressInfo).port;
  return b;
}

let certificate: { key: string; cert: string } | undefined;
/** A self-signed certificate and key for TLS backends, made once per run with openssl. */
export function selfSigned(): { key: string; cert: string } {
  if (certificate) return certificate;
  const dir = mkdtempSync(join(tmpdir(), 'fe-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=backend.e2e', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    certificate = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
    return certificate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A port whose SYNs go unanswered: a listener with a backlog of 0 that never accepts, its
 * queue filled by one connection of our own, so the kernel drops further SYNs (a connect
 * there hangs until the connecting side's timeout). Node always accepts, hence Python.
 */
export async function blackhole(address = backendAddress()): Promise<{ address: string; port: number; close(): void }> {
  const child = spawn('python3', ['-c', [
    'import socket, sys, time',
    `s = socket.socket(); s.bind((${JSON.stringify(address)}, 0)); s.listen(0)`,
    'print(s.getsockname()[1], flush=True)',
    'sys.stdin.read()',
  ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    child.once('error', reject);
  });
  const fillers = [await new Promise<Socket>((resolve) => {
    const c = connect({ host: address, port }, () => resolve(c));
    c.on('error', () => undefined);
  })];
  return {
    address, port,
    close() {
      for (const c of fillers) c.destroy();
      child.kill();
    },
  };
}

export async function closeAll(backends: (Backend | undefined)[]): Promise<void> {
  await Promise.all(backends.map((b) => b?.close()));
}

/** A port free on every address (HAProxy binds it on the VIP; a wildcard listener elsewhere would clash). */
export async function freePort(): Promise<number> {
  const srv = createTcpServer();
  await new Promise<void>((r) => srv.listen(0, '0.0.0.0', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

// ---- clients ----

export interface Reply {
  status: number;
  backend: string;
  headers: IncomingMessage['headers'];
  at: number;
}

export interface HttpOptions {
  path?: string;
  /** Source address of the client's socket (any 127.x address is local). */
  from?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** HTTPS (the backend's certificate is not verified). */
  tls?: boolean;
}

/** One request on a fresh connection (`Connection: close`); status 0 when it failed. */
export function httpGet(host: string, port: number, o: HttpOptions = {}): Promise<Reply> {
  return new Promise((resolve) => {
    const failed = () => resolve({ status: 0, backend: '', headers: {}, at: performance.now() });
    const send = o.tls ? httpsRequest : request;
    const req = send({
      host, port, path: o.path ?? '/', agent: false, localAddress: o.from, timeout: o.timeoutMs ?? 3000,
      ...(o.tls ? { rejectUnauthorized: false } : {}),
      headers: { connection: 'close', ...o.headers },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, backend: body, headers: res.headers, at: performance.now() }));
      res.on('error', failed);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', failed);
    req.end();
  });
}

/** Counts which backend answered each of `n` sequential requests; every one must succeed. */
export async function spread(host: string, port: number, n: number, o: HttpOptions = {}): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await httpGet(host, port, o);
    assert.equal(r.status, 200, `request ${i} through ${host}:${port} failed`);
    seen[r.backend] = (seen[r.backend] ?? 0) + 1;
  }
  return seen;
}

/** Polls until a request is answered (by `backend` when given); answers the milliseconds it took. */
export async function firstServed(host: string, port: number, backend?: string, timeoutMs = 10_000, o: HttpOptions = {}): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const r = await httpGet(host, port, { timeoutMs: 1000, ...o });
    if (r.status === 200 && (backend === undefined || r.backend === backend)) return r.at - t0;
    await sleep(5);
  }
  throw new Error(`${host}:${port}: not served${backend ? ` by ${backend}` : ''} within ${timeoutMs} ms`);
}

/** Polls until nothing accepts connections on host:port. */
export async function portClosed(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (!(await tcpOpens(host, port))) return;
    await sleep(50);
  }
  throw new Error(`${host}:${port} still accepts connections after ${timeoutMs} ms`);
}

export function tcpOpens(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port, timeout: 1000 });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('timeout', () => { sock.destroy(); resolve(false); });
    sock.once('error', () => resolve(false));
  });
}

/** A TCP client connection that sends a line and reads the backend's one-line answer. */
export class TcpClient {
  private buffer = '';
  private waiters: ((line: string | null) => void)[] = [];
  /** Resolves with performance.now() when the connection closes (either side). */
  readonly closed: Promise<number>;
  private constructor(private readonly sock: Socket) {
    this.closed = new Promise((resolve) => sock.once('close', () => resolve(performance.now())));
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buffer += d;
      this.drain();
    });
    sock.on('close', () => { for (const w of this.waiters.splice(0)) w(null); });
    sock.on('error', () => undefined);
  }

  static open(host: string, port: number, from?: string): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port, localAddress: from });
      sock.once('connect', () => resolve(new TcpClient(sock)));
      sock.once('error', reject);
    });
  }

  /** Hands buffered lines to waiting readers. */
  private drain(): void {
    let at: number;
    while ((at = this.buffer.indexOf('\n')) >= 0 && this.waiters.length > 0) {
      const line = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 1);
      this.waiters.shift()!(line);
    }
  }

  /** Answers the next line the backend sends unasked (a banner), or null. */
  read(timeoutMs = 3000): Promise<string | null> {
    return this.ask(timeoutMs, false);
  }

  /** Sends a line; answers the reply line, or null when none came within `timeoutMs` (or the connection closed). */
  ask(timeoutMs = 3000, send = true): Promise<string | null> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (line: string | null) => { if (!done) { done = true; clearTimeout(timer); resolve(line); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== finish);
        finish(null);
      }, timeoutMs);
      this.waiters.push(finish);
      if (send) this.sock.write('ping\n');
      else this.drain();
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Sequential `Connection: close` requests in `loops` parallel loops until stopped. */
export class Traffic {
  readonly replies: Reply[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];

  /**
   * `timeoutMs` bounds each request (3 s by default). Tests that restart Fulcrum in this process
   * give more: the backends share the event loop with the starting controller, whose
   * synchronous start-up (haproxy -vv, migrations) stalls them on a loaded machine.
   */
  constructor(host: string, port: number, loops = 2, timeoutMs = 3000) {
    for (let i = 0; i < loops; i++) {
      this.loops.push((async () => {
        while (this.running) this.replies.push(await httpGet(host, port, { timeoutMs }));
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
}

// ---- the data plane's side ----

/** The load balancer's amphora row. */
export async function amphoraOf(app: TestApp, lbId: string) {
  const [row] = await app.runtime.store.find('amphora', { load_balancer_id: lbId });
  return row;
}

/** What the agent says about the load balancer's amphora: reloads, master PID, per-server stats. */
export async function agentStatus(app: TestApp, lbId: string) {
  const row = await amphoraOf(app, lbId);
  assert.ok(row, `load balancer ${lbId} has no amphora`);
  const computeId = row.compute_id ?? row.id;
  return app.runtime.dataPlane!.compute.agentFor(computeId).status(computeId);
}

/** Polls the agent until the server named `memberId` reports a status matching `want`. */
export async function serverStatus(app: TestApp, lbId: string, memberId: string, want: RegExp, timeoutMs = 10_000): Promise<number> {
  const t0 = performance.now();
  let last = '';
  while (performance.now() - t0 < timeoutMs) {
    const row = (await agentStatus(app, lbId)).stats.find((s) => s.type === 'server' && s.name === memberId);
    last = row?.status ?? 'absent';
    if (want.test(last)) return performance.now() - t0;
    await sleep(50);
  }
  throw new Error(`member ${memberId}: status ${last}, not ${want} within ${timeoutMs} ms`);
}

/** True while the process exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
