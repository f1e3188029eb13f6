// Constant client load through a VIP, run inside the client namespace: each client loops one
// request at a time over a new TCP connection from its own source address, with a short
// timeout, and records when each request succeeded and which member answered. On SIGTERM (or
// after `durationMs`) it prints one JSON line (after a "ready" line once every client was served): per client, the success times and the members.
// Usage: loadgen.ts '<json LoadgenSpec>'
import { request } from 'node:http';

export interface LoadgenClient {
  url: string;
  localAddress: string;
  /** Keep the `sid` cookie the member sets and send it back (APP_COOKIE persistence). */
  cookie?: boolean;
}

export interface LoadgenSpec {
  clients: LoadgenClient[];
  timeoutMs: number;
  durationMs: number;
}

export interface ClientResult {
  url: string;
  localAddress: string;
  ok: number;
  failed: number;
  /** Epoch milliseconds of each success. */
  times: number[];
  /** The member of each success, in order. */
  members: string[];
}

function once(c: LoadgenClient, cookie: string | undefined, timeoutMs: number): Promise<{ member: string; cookie?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(c.url, {
      localAddress: c.localAddress, agent: false, timeout: timeoutMs,
      headers: { connection: 'close', ...(cookie ? { cookie } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        const set = res.headers['set-cookie']?.[0]?.split(';')[0];
        resolve({ member: Buffer.concat(chunks).toString(), cookie: set });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

let waiting = 0;

async function loop(c: LoadgenClient, spec: LoadgenSpec, stop: { now: boolean }): Promise<ClientResult> {
  const r: ClientResult = { url: c.url, localAddress: c.localAddress, ok: 0, failed: 0, times: [], members: [] };
  let cookie: string | undefined;
  while (!stop.now) {
    try {
      const a = await once(c, c.cookie ? cookie : undefined, spec.timeoutMs);
      if (c.cookie && a.cookie && !cookie) cookie = a.cookie;
      // The parent waits for "ready" (every client served once) before it breaks anything.
      if (r.ok++ === 0 && --waiting === 0) process.stdout.write('ready\n');
      r.times.push(Date.now());
      r.members.push(a.member);
    } catch {
      r.failed++;
      await new Promise((go) => setTimeout(go, 5));
    }
  }
  return r;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as LoadgenSpec;
  const stop = { now: false };
  process.on('SIGTERM', () => (stop.now = true));
  const timer = setTimeout(() => (stop.now = true), spec.durationMs);
  waiting = spec.clients.length;
  const results = await Promise.all(spec.clients.map((c) => loop(c, spec, stop)));
  clearTimeout(timer);
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

if (process.argv[1]?.endsWith('loadgen.ts')) void main();
