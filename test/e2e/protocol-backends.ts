// Backends for the protocol e2e tests: a TCP backend that reads a PROXY protocol header
// (v1 text or v2 binary) and answers the client address it names, an HTTP backend that also
// speaks WebSocket (RFC 6455 handshake and a text-frame echo), and an HTTP/2-only TLS backend
// that answers the HTTP version it was asked with. Real sockets, no dependencies.
import { createHash } from 'node:crypto';
import { createServer, request } from 'node:http';
import { createSecureServer } from 'node:http2';
import type { Http2SecureServer } from 'node:http2';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createCertificateAuthority, issueCertificate } from '../../src/amphora/pki.ts';
import { backendAddress } from './kit.ts';

export interface Closeable {
  address: string;
  port: number;
  close(): Promise<void>;
}

function closer(server: Server | Http2SecureServer, sockets: Set<Socket>): () => Promise<void> {
  return () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
}

function tracked(server: Server | Http2SecureServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  return sockets;
}

async function listen(server: Server | Http2SecureServer, address: string): Promise<number> {
  await new Promise<void>((r) => server.listen(0, address, r));
  return (server.address() as AddressInfo).port;
}

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** What a PROXY header said: version, source address and port; null while incomplete. */
export function parseProxyHeader(buf: Buffer): { version: 1 | 2; source: string; sourcePort: number; length: number } | 'invalid' | null {
  if (buf.length >= 16 && buf.subarray(0, 12).equals(V2_SIGNATURE)) {
    const length = 16 + buf.readUInt16BE(14);
    if (buf.length < length) return null;
    const family = buf[13] >> 4;
    if (buf[12] !== 0x21 || family !== 1) return 'invalid'; // v2 PROXY command over IPv4 only here
    const a = buf.subarray(16, 20);
    return { version: 2, source: [...a].join('.'), sourcePort: buf.readUInt16BE(24), length };
  }
  if (buf.length >= 12 && buf.subarray(0, 12).equals(V2_SIGNATURE)) return null;
  const end = buf.indexOf('\r\n');
  if (end < 0) return buf.length > 107 ? 'invalid' : null;
  const words = buf.subarray(0, end).toString('latin1').split(' ');
  if (words[0] !== 'PROXY' || words.length !== 6) return 'invalid';
  return { version: 1, source: words[2], sourcePort: Number(words[4]), length: end + 2 };
}

/**
 * A TCP backend behind a PROXY or PROXYV2 pool: reads the header, then answers every line
 * with `<name> v<version> <client address>` and closes when the header is missing or bad.
 * Over an HTTP listener the bytes after the header are an HTTP request: it answers that
 * with the same line as the body.
 */
export async function proxyProtocolBackend(name: string, address = backendAddress()): Promise<Closeable> {
  const server = createTcpServer((sock) => {
    let buf = Buffer.alloc(0);
    let seen: { version: number; source: string } | null = null;
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!seen) {
        const h = parseProxyHeader(buf);
        if (h === null) return;
        if (h === 'invalid') return void sock.end(`${name} no-proxy-header\n`);
        seen = { version: h.version, source: h.source };
        buf = buf.subarray(h.length);
      }
      const answer = `${name} v${seen.version} ${seen.source}`;
      const text = buf.toString('latin1');
      if (/^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/.test(text)) {
        if (!text.includes('\r\n\r\n')) return;
        buf = Buffer.alloc(0);
        sock.write(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${answer.length}\r\n\r\n${answer}`);
        return;
      }
      let at: number;
      while ((at = buf.indexOf('\n')) >= 0) {
        buf = buf.subarray(at + 1);
        sock.write(`${answer}\n`);
      }
    });
  });
  const sockets = tracked(server);
  const port = await listen(server, address);
  return { address, port, close: closer(server, sockets) };
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const wsAccept = (key: string) => createHash('sha1').update(key + WS_GUID).digest('base64');

/** One WebSocket frame (FIN, opcode), masked as a client must send it, unmasked as a server does. */
export function wsFrame(payload: string, masked: boolean, opcode = 0x1): Buffer {
  const data = Buffer.from(payload);
  if (data.length > 125) throw new Error('short frames only');
  const mask = masked ? Buffer.from([0x12, 0x34, 0x56, 0x78]) : null;
  const head = Buffer.from([0x80 | opcode, (mask ? 0x80 : 0) | data.length]);
  const body = mask ? Buffer.from(data.map((b, i) => b ^ mask[i % 4])) : data;
  return Buffer.concat([head, ...(mask ? [mask] : []), body]);
}

/** The payload of one complete short frame at the start of `buf`, or null while incomplete. */
export function wsPayload(buf: Buffer): { opcode: number; text: string; length: number } | null {
  if (buf.length < 2) return null;
  const masked = (buf[1] & 0x80) !== 0;
  const len = buf[1] & 0x7f;
  const start = 2 + (masked ? 4 : 0);
  if (len > 125 || buf.length < start + len) return null;
  const mask = masked ? buf.subarray(2, 6) : null;
  const body = buf.subarray(start, start + len);
  const text = Buffer.from(mask ? body.map((b, i) => b ^ mask[i % 4]) : body).toString();
  return { opcode: buf[0] & 0x0f, text, length: start + len };
}

/** An HTTP backend whose upgraded connections echo text frames as `<name>: <text>`. */
export async function webSocketBackend(name: string, address = backendAddress()): Promise<Closeable & { upgrades: number }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(name));
  const b = { address, port: 0, upgrades: 0, close: async () => {} };
  server.on('upgrade', (req, sock: Socket) => {
    const key = req.headers['sec-websocket-key'];
    if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string') return void sock.destroy();
    b.upgrades++;
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${wsAccept(key)}\r\n\r\n`);
    let buf = Buffer.alloc(0);
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      let frame;
      while ((frame = wsPayload(buf))) {
        buf = buf.subarray(frame.length);
        if (frame.opcode === 0x8) return void sock.end(wsFrame('', false, 0x8));
        sock.write(wsFrame(`${name}: ${frame.text}`, false));
      }
    });
  });
  const sockets = tracked(server);
  b.port = await listen(server, address);
  b.close = closer(server, sockets);
  return b;
}

/** A WebSocket client through host:port: the handshake, then `ask(text)` answers the echoed frame. */
export function webSocketClient(host: string, port: number): Promise<{ accept: string; ask(text: string): Promise<string>; close(): void }> {
  const key = Buffer.from('fulcrum-e2e-key!').toString('base64');
  return new Promise((resolve, reject) => {
    const req = request({
      host, port, path: '/chat', agent: false,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13' },
    });
    req.on('response', (res) => reject(new Error(`no upgrade: answered ${res.statusCode}`)));
    req.on('error', reject);
    req.on('upgrade', (res, sock: Socket) => {
      if (res.headers['sec-websocket-accept'] !== wsAccept(key)) return reject(new Error('bad Sec-WebSocket-Accept'));
      let buf = Buffer.alloc(0);
      let waiter: ((text: string) => void) | null = null;
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        const frame = wsPayload(buf);
        if (frame && waiter) {
          buf = buf.subarray(frame.length);
          const w = waiter;
          waiter = null;
          w(frame.text);
        }
      });
      sock.on('error', () => undefined);
      resolve({
        accept: String(res.headers['sec-websocket-accept']),
        ask: (text) => new Promise((r, j) => {
          const timer = setTimeout(() => j(new Error('no echo within 3 s')), 3000);
          waiter = (t) => { clearTimeout(timer); r(t); };
          sock.write(wsFrame(text, true));
        }),
        close: () => sock.destroy(),
      });
    });
    req.end();
  });
}

/**
 * An HTTP/2-only TLS backend (no HTTP/1.1 fallback, ALPN h2) with a certificate from a CA
 * made at run time; it answers `<name> HTTP/<version>`.
 */
export async function http2Backend(name: string, address = backendAddress()): Promise<Closeable & { versions: string[] }> {
  const ca = createCertificateAuthority('e2e h2 backend CA');
  const leaf = issueCertificate(ca, { commonName: address, usage: 'server', altNames: [address] });
  const server = createSecureServer({ key: leaf.keyPem, cert: leaf.certPem, allowHTTP1: false });
  const b = { address, port: 0, versions: [] as string[], close: async () => {} };
  server.on('request', (req, res) => {
    b.versions.push(req.httpVersion);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name} HTTP/${req.httpVersion}`);
  });
  const sessions = new Set<{ destroy(): void }>();
  server.on('session', (s) => { sessions.add(s); s.on('close', () => sessions.delete(s)); });
  b.port = await listen(server, address);
  b.close = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const s of sessions) s.destroy();
  });
  return b;
}
