// UDP data plane: the agent's datagram engine (src/amphora/agent/udp.ts) against direct
// delivery to the members, in the same run. The method of ../shared/reference/dataplane
// (06-udp.sh): N client sockets (distinct source ports, so N flows) each ping-pong one
// 64-byte datagram at a time; a request unanswered after 200 ms counts as lost. Client,
// engine and members run in three processes, as they would on a host.
//
//   node --import tsx bench/udp.ts [--seconds 5] [--sockets 32] [--rounds 2]
//
// Prints one JSON line per measurement and a summary with the engine/direct ratio.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';

const HOST = '127.0.0.1';
const VIP = '127.0.0.1';

interface Measure { rps: number; replies: number; p50_ms: number; p99_ms: number; lost: number; per: Record<string, number> }

/** Members: one process answering `<name> <payload>` on each given port. */
async function backendRole(ports: number[]): Promise<void> {
  for (const port of ports) {
    const s = createSocket('udp4');
    const tag = Buffer.from(`m${port} `);
    s.on('message', (m, r) => s.send(Buffer.concat([tag, m]), r.port, r.address));
    await new Promise<void>((r) => s.bind(port, HOST, () => r()));
  }
  process.send!({ ready: true });
}

/** The engine: one UDP listener on the VIP, round robin over the members, no check. */
async function engineRole(port: number, members: number[]): Promise<void> {
  const { UdpEngine } = await import('../src/amphora/agent/udp.ts');
  const quiet = { info() {}, warn() {}, error() {} };
  const engine = new UdpEngine(quiet, 'bench');
  await engine.apply({
    listeners: [{
      id: 'bench-listener', enabled: true, binds: [{ address: VIP, port }],
      pool: {
        name: 'bench-pool:bench-listener', poolId: 'bench-pool', algorithm: 'roundrobin', persistence: null, idleSeconds: 60, check: null,
        members: members.map((p, i) => ({ id: `m${i}`, address: HOST, port: p, weight: 1, backup: false, disabled: false, checkAddress: null, checkPort: null })),
      },
    }],
  });
  process.send!({ ready: true });
}

function client(port: number, sockets: number, seconds: number, timeoutMs = 200): Promise<Measure> {
  return new Promise((resolve) => {
    const end = performance.now() + seconds * 1000;
    const lat: number[] = [];
    const per: Record<string, number> = {};
    let lost = 0;
    let open = sockets;
    const payload = Buffer.alloc(64, 'u');
    const finish = () => {
      lat.sort((a, b) => a - b);
      const q = (p: number) => Number((lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0).toFixed(3));
      resolve({ rps: Math.round(lat.length / seconds), replies: lat.length, p50_ms: q(0.5), p99_ms: q(0.99), lost, per });
    };
    for (let i = 0; i < sockets; i++) {
      const s = createSocket('udp4');
      let t0 = 0;
      let seq = 0;
      const send = () => {
        if (performance.now() > end) {
          s.close();
          if (--open === 0) finish();
          return;
        }
        t0 = performance.now();
        const mine = ++seq;
        setTimeout(() => { if (mine === seq) { lost++; send(); } }, timeoutMs).unref();
        s.send(payload, port, VIP);
      };
      s.on('message', (m) => {
        seq++; // the pending timeout no longer applies
        lat.push(performance.now() - t0);
        const who = m.toString().split(' ')[0];
        per[who] = (per[who] ?? 0) + 1;
        send();
      });
      s.bind(0, HOST, () => send());
    }
  });
}

function start(args: string[]): Promise<ChildProcess> {
  const child = fork(new URL(import.meta.url).pathname, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code}`)));
  });
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, HOST, () => r()));
  const { port } = s.address();
  s.close();
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, sockets: { type: 'string', default: '32' }, rounds: { type: 'string', default: '2' } } });
  const seconds = Number(values.seconds);
  const sockets = Number(values.sockets);
  const rounds = Number(values.rounds);
  const members = [await freeUdpPort(), await freeUdpPort()];
  const vipPort = await freeUdpPort();
  const children: ChildProcess[] = [];
  try {
    children.push(await start(['backend', ...members.map(String)]));
    children.push(await start(['engine', String(vipPort), ...members.map(String)]));
    const direct: Measure[] = [];
    const engine: Measure[] = [];
    // Alternating rounds, so drift in the machine's load touches both alike.
    for (let r = 0; r < rounds; r++) {
      const d = await client(members[0], sockets, seconds);
      console.log(JSON.stringify({ target: 'direct', round: r, ...d }));
      direct.push(d);
      const e = await client(vipPort, sockets, seconds);
      console.log(JSON.stringify({ target: 'engine', round: r, ...e }));
      engine.push(e);
    }
    const mean = (xs: Measure[]) => Math.round(xs.reduce((a, m) => a + m.rps, 0) / xs.length);
    const [d, e] = [mean(direct), mean(engine)];
    console.log(JSON.stringify({
      summary: 'udp', sockets, seconds, rounds, payload_bytes: 64,
      direct_rps: d, engine_rps: e, ratio: Number((e / d).toFixed(3)),
      engine_p99_ms: Math.max(...engine.map((m) => m.p99_ms)), direct_p99_ms: Math.max(...direct.map((m) => m.p99_ms)),
      lost: engine.reduce((a, m) => a + m.lost, 0),
    }));
  } finally {
    for (const c of children) c.kill();
  }
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'backend') await backendRole(rest.map(Number));
else if (role === 'engine') await engineRole(Number(rest[0]), rest.slice(1).map(Number));
else await main();
