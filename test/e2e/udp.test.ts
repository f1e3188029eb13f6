// UDP listeners and pools through the VIP, served by the agent's datagram engine: real UDP
// clients (each socket one flow, from a chosen source address) and real UDP members that
// answer their name. Balancing, SOURCE_IP persistence, and the three monitor types Octavia
// allows on UDP pools (UDP-CONNECT, TCP, HTTP) taking a member out and back in.
import { createSocket } from 'node:dgram';
import type { Socket as DgramSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentStatus, api, backendAddress, freePort, serverStatus, settled, skipWithoutHaproxy, sleep, startFulcrum } from './kit.ts';
import type { E2E } from './kit.ts';
import { SUBNET } from '../kit/app.ts';

const T = { timeout: 60_000 };

interface UdpMember {
  name: string;
  address: string;
  port: number;
  seen: Set<string>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A UDP member answering `<name>` to every datagram; stop() closes it (the host then answers port unreachable). */
async function udpMember(name: string, address = backendAddress()): Promise<UdpMember> {
  let sock: DgramSocket | null = null;
  const m: UdpMember = {
    name, address, port: 0, seen: new Set(),
    async start() {
      const s = createSocket('udp4');
      s.on('message', (msg, r) => { m.seen.add(r.address); s.send(`${name}:${msg.toString()}`, r.port, r.address); });
      await new Promise<void>((res) => s.bind(m.port, address, () => res()));
      m.port = (s.address() as AddressInfo).port;
      sock = s;
    },
    async stop() {
      const s = sock;
      sock = null;
      if (s) await new Promise<void>((res) => s.close(() => res()));
    },
  };
  await m.start();
  return m;
}

/** A UDP client socket (one flow) bound to `from`; ask() answers the reply, or null after a timeout. */
async function udpClient(from = '127.0.0.1') {
  const sock = createSocket('udp4');
  await new Promise<void>((res) => sock.bind(0, from, () => res()));
  const replies: string[] = [];
  let waiter: ((s: string | null) => void) | null = null;
  sock.on('message', (msg) => { if (waiter) { const w = waiter; waiter = null; w(msg.toString()); } else replies.push(msg.toString()); });
  return {
    ask(host: string, port: number, text = 'ping', timeoutMs = 1000): Promise<string | null> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => { waiter = null; resolve(null); }, timeoutMs);
        waiter = (s) => { clearTimeout(timer); resolve(s); };
        sock.send(text, port, host);
      });
    },
    close: () => sock.close(),
  };
}

/** Which member answered one datagram from each of `n` fresh client sockets. */
async function flows(host: string, port: number, n: number, from?: string): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const c = await udpClient(from);
    const r = await c.ask(host, port);
    c.close();
    const who = r === null ? 'none' : r.split(':')[0];
    seen[who] = (seen[who] ?? 0) + 1;
  }
  return seen;
}

describe('UDP through the VIP (the agent\'s datagram engine)', { skip: skipWithoutHaproxy, timeout: 300_000 }, () => {
  let f: E2E;
  const members: UdpMember[] = [];
  const servers: Server[] = [];
  const udp = async (name: string) => { const m = await udpMember(name); members.push(m); return m; };

  before(async () => { f = await startFulcrum(); });
  after(async () => {
    for (const m of members) await m.stop();
    for (const s of servers) s.close();
    await f?.close();
  });

  async function udpStack(pool: Record<string, unknown>, list: { address: string; port: number; extra?: Record<string, unknown> }[], monitor?: Record<string, unknown>) {
    const lb = (await api(f.app, 'POST', '/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, name: 'udp' } })).loadbalancer;
    await settled(f.app, lb.id);
    const port = await freePort();
    const listener = (await api(f.app, 'POST', '/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'UDP', protocol_port: port } })).listener;
    await settled(f.app, lb.id);
    const p = (await api(f.app, 'POST', '/pools', { pool: { listener_id: listener.id, protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN', ...pool } })).pool;
    await settled(f.app, lb.id);
    if (monitor) {
      await api(f.app, 'POST', '/healthmonitors', { healthmonitor: { pool_id: p.id, ...monitor } });
      await settled(f.app, lb.id);
    }
    const ids: string[] = [];
    for (const m of list) {
      ids.push((await api(f.app, 'POST', `/pools/${p.id}/members`, { member: { address: m.address, protocol_port: m.port, ...m.extra } })).member.id);
      await settled(f.app, lb.id);
    }
    return { lb, listener, pool: p, ids, vip: lb.vip_address as string, port };
  }

  test('ROUND_ROBIN: flows alternate over the members, and a flow stays on its member', T, async () => {
    const [a, b] = [await udp('rr-a'), await udp('rr-b')];
    const s = await udpStack({}, [a, b]);
    assert.deepEqual(await flows(s.vip, s.port, 6), { 'rr-a': 3, 'rr-b': 3 });
    const c = await udpClient();
    const first = await c.ask(s.vip, s.port, 'one');
    assert.match(first ?? '', /^rr-[ab]:one$/);
    for (let i = 0; i < 5; i++) assert.equal((await c.ask(s.vip, s.port, 'one'))?.split(':')[0], first!.split(':')[0]);
    c.close();
    // A member added through the API gets flows too; the agent reports the members it serves.
    const x = await udp('rr-x');
    await api(f.app, 'POST', `/pools/${s.pool.id}/members`, { member: { address: x.address, protocol_port: x.port } });
    await settled(f.app, s.lb.id);
    assert.deepEqual(Object.keys(await flows(s.vip, s.port, 6)).sort(), ['rr-a', 'rr-b', 'rr-x']);
    const rows = (await agentStatus(f.app, s.lb.id)).stats.filter((r) => r.type === 'server');
    assert.equal(rows.length, 3);
  });

  test('SOURCE_IP persistence keeps each client address on one member; addresses spread', T, async () => {
    const [a, b, c] = [await udp('sp-a'), await udp('sp-b'), await udp('sp-c')];
    const s = await udpStack({ session_persistence: { type: 'SOURCE_IP', persistence_timeout: 60 } }, [a, b, c]);
    const chosen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const from = `127.0.0.${201 + i}`;
      const seen = await flows(s.vip, s.port, 4, from);
      assert.equal(Object.keys(seen).length, 1, `${from}: ${JSON.stringify(seen)}`);
      chosen.add(Object.keys(seen)[0]);
    }
    // Round robin picks the first member of each new address in turn, so 6 addresses meet all 3.
    assert.equal(chosen.size, 3, `6 client addresses went to ${[...chosen]}`);
  });

  test('UDP-CONNECT monitor: a closed member is taken out (port unreachable) and comes back', T, async () => {
    const [a, b] = [await udp('uc-a'), await udp('uc-b')];
    const s = await udpStack({}, [a, b], { type: 'UDP-CONNECT', delay: 3, timeout: 1, max_retries: 1, max_retries_down: 1 });
    await serverStatus(f.app, s.lb.id, s.ids[1], /^UP$/);
    await b.stop();
    const t = await serverStatus(f.app, s.lb.id, s.ids[1], /^DOWN$/, 8000);
    assert.ok(t < 8000);
    assert.deepEqual(await flows(s.vip, s.port, 4), { 'uc-a': 4 });
    await b.start();
    await serverStatus(f.app, s.lb.id, s.ids[1], /^UP$/, 8000);
    assert.deepEqual(await flows(s.vip, s.port, 4), { 'uc-a': 2, 'uc-b': 2 });
  });

  /** A TCP-side health endpoint on the member's address (its monitor_port): HTTP answering `status()`, or a bare TCP port. */
  async function healthPort(address: string, kind: 'http' | 'tcp', status = () => 200): Promise<{ port: number; server: Server }> {
    const server = kind === 'http' ? createServer((_req, res) => res.writeHead(status()).end()) : createTcpServer((sock) => sock.destroy());
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, address, r));
    return { port: (server.address() as AddressInfo).port, server };
  }

  test('HTTP monitor on a UDP pool: a member whose health page fails is taken out', T, async () => {
    const [a, b] = [await udp('hm-a'), await udp('hm-b')];
    let healthy = true;
    const ha = await healthPort(a.address, 'http');
    const hb = await healthPort(b.address, 'http', () => (healthy ? 200 : 503));
    const s = await udpStack({}, [{ ...a, extra: { monitor_port: ha.port } }, { ...b, extra: { monitor_port: hb.port } }],
      { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1, url_path: '/health', expected_codes: '200' });
    await serverStatus(f.app, s.lb.id, s.ids[1], /^UP$/);
    healthy = false;
    await serverStatus(f.app, s.lb.id, s.ids[1], /^DOWN$/, 5000);
    assert.deepEqual(await flows(s.vip, s.port, 4), { 'hm-a': 4 });
    healthy = true;
    await serverStatus(f.app, s.lb.id, s.ids[1], /^UP$/, 5000);
    assert.equal((await serverStatus(f.app, s.lb.id, s.ids[0], /^UP$/), 'UP'), 'UP');
  });

  test('TCP monitor on a UDP pool: a member whose TCP port closes is taken out', T, async () => {
    const [a, b] = [await udp('tm-a'), await udp('tm-b')];
    const [ta, tb] = [await healthPort(a.address, 'tcp'), await healthPort(b.address, 'tcp')];
    const s = await udpStack({}, [{ ...a, extra: { monitor_port: ta.port } }, { ...b, extra: { monitor_port: tb.port } }],
      { type: 'TCP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 });
    await serverStatus(f.app, s.lb.id, s.ids[0], /^UP$/);
    await new Promise<void>((r) => ta.server.close(() => r()));
    await serverStatus(f.app, s.lb.id, s.ids[0], /^DOWN$/, 5000);
    assert.deepEqual(await flows(s.vip, s.port, 4), { 'tm-b': 4 });
  });

  test('deleting the UDP listener frees its port; a disabled member gets nothing', T, async () => {
    const [a, b] = [await udp('dl-a'), await udp('dl-b')];
    const s = await udpStack({}, [a, b]);
    await api(f.app, 'PUT', `/pools/${s.pool.id}/members/${s.ids[0]}`, { member: { admin_state_up: false } });
    await settled(f.app, s.lb.id);
    assert.deepEqual(await flows(s.vip, s.port, 4), { 'dl-b': 4 });
    await api(f.app, 'DELETE', `/listeners/${s.listener.id}`);
    await settled(f.app, s.lb.id);
    await sleep(50);
    assert.deepEqual(await flows(s.vip, s.port, 1), { none: 1 });
    // The port is free again on the VIP.
    const probe = createSocket('udp4');
    await new Promise<void>((res, rej) => { probe.once('error', rej); probe.bind(s.port, s.vip, () => res()); });
    probe.close();
  });
});
