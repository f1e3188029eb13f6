// Listener and pool settings on the data plane: every listener timeout proven by a client or
// member that exceeds it, the X-Forwarded-* headers, session persistence by source address
// and by application cookie, SOURCE_IP_PORT (served: Octavia's amphora driver refuses it), and admin_state_up on the load balancer,
// listener, pool and health monitor (members: balancing.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import {
  agentStatus, api, blackhole, closeAll, httpBackend, httpGet, portClosed, serverStatus, settled, skipWithoutHaproxy, sleep,
  freePort, spread, stack, startFulcrum, tcpBackend, TcpClient,
} from './kit.ts';
import type { Backend, E2E } from './kit.ts';

/**
 * The member one connection from 127.0.0.1:`localPort` (0: any) lands on. The client resets the
 * connection instead of closing it, so no TIME_WAIT holds the port and the next round can reuse it.
 */
function landing(host: string, port: number, protocol: 'TCP' | 'HTTP', localPort: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port, localAddress: '127.0.0.1', localPort });
    let got = '';
    const done = (err?: Error) => { clearTimeout(timer); sock.resetAndDestroy(); if (err) reject(err); else resolve(got); };
    const timer = setTimeout(() => done(new Error(`${protocol}: no answer from ${host}:${port} (source port ${localPort}), got ${JSON.stringify(got)}`)), 5000);
    sock.setEncoding('utf8');
    sock.once('connect', () => sock.write(protocol === 'TCP' ? 'ping\n' : 'GET / HTTP/1.1\r\nHost: sip\r\nConnection: close\r\n\r\n'));
    sock.on('data', (d: string) => {
      got += d;
      const name = protocol === 'TCP' ? /^(\S+)\n/.exec(got)?.[1] : /\r\nx-backend: (\S+)\r\n[^]*\r\n\r\n/.exec(got)?.[1];
      if (name) { got = name; done(); }
    });
    sock.once('error', done);
  });
}

async function tally(n: number, one: () => Promise<string>): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) { const name = await one(); seen[name] = (seen[name] ?? 0) + 1; }
  return seen;
}

const T = { timeout: 60_000 };

describe('listener and pool settings on the data plane', { skip: skipWithoutHaproxy, timeout: 300_000 }, () => {
  let f: E2E;
  const backends: Backend[] = [];
  const cleanups: (() => void)[] = [];
  const keep = <B extends Backend>(b: B) => { backends.push(b); return b; };
  const member = (b: { address: string; port: number; name?: string }, extra: Record<string, unknown> = {}) =>
    ({ address: b.address, protocol_port: b.port, ...(b.name ? { name: b.name } : {}), ...extra });

  before(async () => { f = await startFulcrum(); });
  after(async () => {
    for (const c of cleanups) c();
    await closeAll(backends);
    await f?.close();
  });

  test('timeout_client_data: an idle client is cut after it, a busy one is not', T, async () => {
    const a = keep(await tcpBackend('to-client'));
    const s = await stack(f.app, {
      protocol: 'TCP', listener: { timeout_client_data: 600, timeout_member_data: 30_000 }, members: [member(a)],
    });
    const busy = await TcpClient.open(s.vip, s.port);
    const idle = await TcpClient.open(s.vip, s.port);
    assert.equal(await idle.ask(), 'to-client');
    const t0 = performance.now();
    // The busy client talks every 200 ms, well inside the timeout, for longer than it.
    for (let i = 0; i < 6; i++) {
      assert.equal(await busy.ask(), 'to-client', `busy client, exchange ${i}`);
      await sleep(200);
    }
    const cut = (await idle.closed) - t0;
    assert.ok(cut >= 500 && cut < 1500, `idle client cut after ${cut.toFixed(0)} ms (timeout 600)`);
    assert.equal(await busy.ask(), 'to-client');
    busy.close();
  });

  test('timeout_member_data: a member slower than it gets a 504, a quicker one answers', T, async () => {
    const a = keep(await httpBackend('to-member'));
    const s = await stack(f.app, { listener: { timeout_member_data: 400 }, members: [member(a)] });
    assert.equal((await httpGet(s.vip, s.port, { path: '/slow?ms=100' })).status, 200);
    const t0 = performance.now();
    const slow = await httpGet(s.vip, s.port, { path: '/slow?ms=5000', timeoutMs: 8000 });
    const took = performance.now() - t0;
    // HAProxy retries a response timeout (retry-on response-timeout, retries 3): 4 × 400 ms.
    assert.equal(slow.status, 504);
    assert.ok(took >= 350 && took < 4000, `504 after ${took.toFixed(0)} ms`);
  });

  test('timeout_member_connect: a member that never completes the handshake costs the timeout, not 5 s', T, async () => {
    const hole = await blackhole();
    cleanups.push(() => hole.close());
    const s = await stack(f.app, { listener: { timeout_member_connect: 250 }, members: [member(hole)] });
    const t0 = performance.now();
    const r = await httpGet(s.vip, s.port, { timeoutMs: 8000 });
    const took = performance.now() - t0;
    // 1 + 3 retries of 250 ms each; Octavia's default (5 s) would take 20 s.
    assert.equal(r.status, 503);
    assert.ok(took >= 200 && took < 3000, `503 after ${took.toFixed(0)} ms`);
  });

  test('timeout_tcp_inspect: a silent client waits for it before reaching a member that speaks first; a talking one does not', T, async () => {
    const a = keep(await tcpBackend('to-inspect', undefined, { banner: true }));
    const s = await stack(f.app, { protocol: 'TCP', listener: { timeout_tcp_inspect: 800 }, members: [member(a)] });
    let t0 = performance.now();
    const silent = await TcpClient.open(s.vip, s.port);
    assert.equal(await silent.read(3000), 'to-inspect');
    const waited = performance.now() - t0;
    assert.ok(waited >= 700 && waited < 2000, `banner after ${waited.toFixed(0)} ms (inspect delay 800)`);
    silent.close();
    t0 = performance.now();
    const talking = await TcpClient.open(s.vip, s.port);
    assert.equal(await talking.ask(3000), 'to-inspect');
    const quick = performance.now() - t0;
    assert.ok(quick < 500, `a client that sends at once is passed on after ${quick.toFixed(0)} ms`);
    talking.close();
  });

  test('insert_headers: X-Forwarded-For, X-Forwarded-Port and X-Forwarded-Proto reach the member; without them none do', T, async () => {
    const a = keep(await httpBackend('xf-all'));
    const s = await stack(f.app, {
      listener: { insert_headers: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' } },
      members: [member(a)],
    });
    assert.equal((await httpGet(s.vip, s.port, { from: '127.0.0.79' })).status, 200);
    assert.equal(a.lastHeaders['x-forwarded-for'], '127.0.0.79');
    assert.equal(a.lastHeaders['x-forwarded-port'], String(s.port));
    assert.equal(a.lastHeaders['x-forwarded-proto'], 'http');
    await api(f.app, 'PUT', `/listeners/${s.listener.id}`, { listener: { insert_headers: {} } });
    await settled(f.app, s.lb.id);
    assert.equal((await httpGet(s.vip, s.port)).status, 200);
    assert.deepEqual(['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto'].filter((h) => h in a.lastHeaders), []);
  });

  test('SOURCE_IP persistence on a round-robin pool: each client address sticks, addresses spread', T, async () => {
    const [a, b] = [keep(await httpBackend('sp-src-a')), keep(await httpBackend('sp-src-b'))];
    const s = await stack(f.app, { pool: { session_persistence: { type: 'SOURCE_IP' } }, members: [member(a), member(b)] });
    const chosen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const seen = await spread(s.vip, s.port, 4, { from: `127.0.0.${131 + i}` });
      assert.equal(Object.keys(seen).length, 1, `127.0.0.${131 + i} went to ${JSON.stringify(seen)}`);
      chosen.add(Object.keys(seen)[0]);
    }
    assert.equal(chosen.size, 2, 'round robin placed new addresses on both members');
  });

  test('APP_COOKIE persistence: a client with the application\'s cookie sticks to the member that set it', T, async () => {
    const [a, b] = [keep(await httpBackend('sp-app-a')), keep(await httpBackend('sp-app-b'))];
    for (const m of [a, b]) m.headers = () => ({ 'set-cookie': `SESSIONID=${m.name}-session; Path=/` });
    const s = await stack(f.app, {
      pool: { session_persistence: { type: 'APP_COOKIE', cookie_name: 'SESSIONID' } }, members: [member(a), member(b)],
    });
    // Without the cookie: round robin (and each answer teaches HAProxy its member's session).
    assert.deepEqual(await spread(s.vip, s.port, 4), { 'sp-app-a': 2, 'sp-app-b': 2 });
    for (const m of [a, b]) {
      assert.deepEqual(await spread(s.vip, s.port, 5, { headers: { cookie: `SESSIONID=${m.name}-session` } }), { [m.name]: 5 });
    }
    // A session nobody set is balanced.
    assert.deepEqual(await spread(s.vip, s.port, 4, { headers: { cookie: 'SESSIONID=unknown' } }), { 'sp-app-a': 2, 'sp-app-b': 2 });
  });

  test('SOURCE_IP_PORT: one client address and port lands on one member, other ports spread; a member added without a reload takes its share', T, async () => {
    for (const protocol of ['TCP', 'HTTP'] as const) {
      const backend = protocol === 'TCP' ? tcpBackend : httpBackend;
      const members = await Promise.all(['sip-a', 'sip-b', 'sip-c'].map(async (n) => keep(await backend(n))));
      const s = await stack(f.app, { protocol, pool: { lb_algorithm: 'SOURCE_IP_PORT' }, members: members.map((b) => member(b)) });
      const land = (localPort = 0) => landing(s.vip, s.port, protocol, localPort);
      // Each fixed source port lands on one member every time; round robin would rotate it.
      const ports = [await freePort(), await freePort(), await freePort()];
      const home = new Map<number, string>();
      for (const p of ports) {
        const seen = new Set<string>();
        for (let i = 0; i < 4; i++) seen.add(await land(p));
        assert.equal(seen.size, 1, `${protocol}: source port ${p} landed on ${[...seen].join(', ')}`);
        home.set(p, [...seen][0]);
      }
      // One source address, many ports: more than one member (SOURCE_IP would pin them all on one).
      const byPort = await tally(30, () => land());
      assert.ok(Object.keys(byPort).length > 1, `${protocol}: ephemeral ports all on ${JSON.stringify(byPort)}`);
      if (protocol === 'HTTP') continue;

      // A member added at runtime (hash-type consistent keeps `add server` allowed): no reload, it
      // takes a share, and each fixed port stays home or moves to the new member only.
      const before = await agentStatus(f.app, s.lb.id);
      const d = keep(await tcpBackend('sip-d'));
      await api(f.app, 'POST', `/pools/${s.pool.id}/members`, { member: member(d) });
      await settled(f.app, s.lb.id);
      assert.equal((await agentStatus(f.app, s.lb.id)).reloads, before.reloads, 'no reload');
      const after = await tally(60, () => land());
      assert.ok((after['sip-d'] ?? 0) > 0, `the added member got none of ${JSON.stringify(after)}`);
      for (const p of ports) assert.ok([home.get(p), 'sip-d'].includes(await land(p)), `source port ${p} moved between old members`);
    }
  });

  test('admin_state_up false on the load balancer, a listener, a pool or a health monitor takes it out; true brings it back', T, async () => {
    const [a, b] = [keep(await httpBackend('as-a')), keep(await httpBackend('as-b'))];
    let health = 200;
    a.answer = (req) => (req.url === '/health' ? health : 200);
    const s = await stack(f.app, {
      monitor: { type: 'HTTP', url_path: '/health', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 },
      members: [member(a), member(b)],
    });
    const put = async (path: string, wrapper: string, up: boolean) => {
      await api(f.app, 'PUT', path, { [wrapper]: { admin_state_up: up } });
      await settled(f.app, s.lb.id);
    };
    const both = { 'as-a': 2, 'as-b': 2 };
    assert.deepEqual(await spread(s.vip, s.port, 4), both);

    for (const [path, wrapper] of [[`/loadbalancers/${s.lb.id}`, 'loadbalancer'], [`/listeners/${s.listener.id}`, 'listener']]) {
      await put(path, wrapper, false);
      await portClosed(s.vip, s.port, 3000);
      await put(path, wrapper, true);
      assert.deepEqual(await spread(s.vip, s.port, 4), both, `${wrapper} enabled again`);
    }

    await put(`/pools/${s.pool.id}`, 'pool', false);
    assert.equal((await httpGet(s.vip, s.port)).status, 503, 'a disabled pool has no server to send to');
    await put(`/pools/${s.pool.id}`, 'pool', true);
    assert.deepEqual(await spread(s.vip, s.port, 4), both);

    // A failing member is out while its monitor is enabled and back in when the monitor is disabled.
    health = 500;
    await serverStatus(f.app, s.lb.id, s.members[0].id, /^DOWN/);
    assert.deepEqual(await spread(s.vip, s.port, 4), { 'as-b': 4 });
    const monitorId = (await api(f.app, 'GET', `/pools/${s.pool.id}`)).pool.healthmonitor_id;
    await put(`/healthmonitors/${monitorId}`, 'healthmonitor', false);
    assert.deepEqual(await spread(s.vip, s.port, 4), both);
    await put(`/healthmonitors/${monitorId}`, 'healthmonitor', true);
    await serverStatus(f.app, s.lb.id, s.members[0].id, /^DOWN/);
    assert.deepEqual(await spread(s.vip, s.port, 4), { 'as-b': 4 });
  });
});
