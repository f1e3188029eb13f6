// Real traffic through amphora VIPs: which backend answers, per algorithm, weight, backup,
// admin state and persistence. Every load balancer is created through the API and applied
// by the real worker, agent and HAProxy; the backends are Node servers on 127.0.0.x that
// answer their own name.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, closeAll, httpBackend, httpGet, serverStatus, settled, skipWithoutHaproxy, sleep, spread, stack,
  startFulcrum, tcpBackend, TcpClient,
} from './kit.ts';
import type { Backend, E2E } from './kit.ts';

const T = { timeout: 60_000 };

describe('balancing through the VIP', { skip: skipWithoutHaproxy, timeout: 300_000 }, () => {
  let f: E2E;
  const backends: Backend[] = [];
  const http = async (name: string) => { const b = await httpBackend(name); backends.push(b); return b; };
  const member = (b: Backend, extra: Record<string, unknown> = {}) => ({ address: b.address, protocol_port: b.port, name: b.name, ...extra });

  before(async () => { f = await startFulcrum(); });
  after(async () => {
    await closeAll(backends);
    await f?.close();
  });

  test('HTTP ROUND_ROBIN spreads requests evenly over the members', T, async () => {
    const [a, b, c] = [await http('rr-a'), await http('rr-b'), await http('rr-c')];
    const s = await stack(f.app, { members: [member(a), member(b), member(c)] });
    assert.match(s.vip, /^127\.42\./);
    assert.deepEqual(await spread(s.vip, s.port, 12), { 'rr-a': 4, 'rr-b': 4, 'rr-c': 4 });
  });

  test('TCP listener: each connection goes to the next member', T, async () => {
    const [a, b] = [await tcpBackend('tcp-a'), await tcpBackend('tcp-b')];
    backends.push(a, b);
    const s = await stack(f.app, { protocol: 'TCP', members: [member(a), member(b)] });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const client = await TcpClient.open(s.vip, s.port);
      const first = await client.ask();
      assert.equal(await client.ask(), first, 'one connection stays on one member');
      seen.push(first ?? 'none');
      client.close();
    }
    assert.deepEqual(seen.sort(), ['tcp-a', 'tcp-a', 'tcp-b', 'tcp-b']);
  });

  test('LEAST_CONNECTIONS sends new requests to the member not busy with a slow one', T, async () => {
    const [a, b] = [await http('lc-a'), await http('lc-b')];
    const s = await stack(f.app, { pool: { lb_algorithm: 'LEAST_CONNECTIONS' }, members: [member(a), member(b)] });
    const slow = httpGet(s.vip, s.port, { path: '/slow?ms=1500', timeoutMs: 5000 });
    await sleep(150);
    const quick = await spread(s.vip, s.port, 6);
    const busy = (await slow).backend;
    assert.ok(busy === 'lc-a' || busy === 'lc-b');
    const idle = busy === 'lc-a' ? 'lc-b' : 'lc-a';
    assert.deepEqual(quick, { [idle]: 6 });
  });

  test('SOURCE_IP: each client address sticks to one member, and addresses spread', T, async () => {
    const [a, b, c] = [await http('src-a'), await http('src-b'), await http('src-c')];
    const s = await stack(f.app, { pool: { lb_algorithm: 'SOURCE_IP' }, members: [member(a), member(b), member(c)] });
    const chosen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const from = `127.0.0.${101 + i}`;
      const seen = await spread(s.vip, s.port, 4, { from });
      assert.equal(Object.keys(seen).length, 1, `${from} went to ${JSON.stringify(seen)}`);
      chosen.add(Object.keys(seen)[0]);
    }
    assert.ok(chosen.size >= 2, `12 client addresses all went to ${[...chosen]}`);
  });

  test('a member of weight 0 gets nothing', T, async () => {
    const [a, b] = [await http('w-a'), await http('w-zero')];
    const s = await stack(f.app, { members: [member(a), member(b, { weight: 0 })] });
    assert.deepEqual(await spread(s.vip, s.port, 8), { 'w-a': 8 });
    assert.equal(b.hits, 0);
  });

  test('a backup member serves only when the primary is down', T, async () => {
    const [a, b] = [await http('bk-primary'), await http('bk-backup')];
    const s = await stack(f.app, {
      monitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 },
      members: [member(a), member(b, { backup: true })],
    });
    await serverStatus(f.app, s.lb.id, s.members[0].id, /^UP/);
    assert.deepEqual(await spread(s.vip, s.port, 6), { 'bk-primary': 6 });
    await a.close();
    await serverStatus(f.app, s.lb.id, s.members[0].id, /^DOWN/);
    assert.deepEqual(await spread(s.vip, s.port, 6), { 'bk-backup': 6 });
  });

  test('admin_state_up false on a member stops its traffic, true brings it back', T, async () => {
    const [a, b] = [await http('adm-a'), await http('adm-b')];
    const s = await stack(f.app, { members: [member(a), member(b)] });
    const path = `/pools/${s.pool.id}/members/${s.members[1].id}`;
    await api(f.app, 'PUT', path, { member: { admin_state_up: false } });
    await settled(f.app, s.lb.id);
    assert.deepEqual(await spread(s.vip, s.port, 6), { 'adm-a': 6 });
    await api(f.app, 'PUT', path, { member: { admin_state_up: true } });
    await settled(f.app, s.lb.id);
    assert.deepEqual(await spread(s.vip, s.port, 6), { 'adm-a': 3, 'adm-b': 3 });
  });

  test('HTTP_COOKIE persistence: a client with the cookie sticks, one without is balanced', T, async () => {
    const [a, b] = [await http('ck-a'), await http('ck-b')];
    const s = await stack(f.app, { pool: { session_persistence: { type: 'HTTP_COOKIE' } }, members: [member(a), member(b)] });
    const first = await httpGet(s.vip, s.port);
    assert.equal(first.status, 200);
    const setCookie = first.headers['set-cookie'];
    assert.ok(setCookie && setCookie.length > 0, 'HAProxy inserts its cookie');
    const cookie = setCookie[0].split(';')[0];
    assert.deepEqual(await spread(s.vip, s.port, 8, { headers: { cookie } }), { [first.backend]: 8 });
    assert.deepEqual(await spread(s.vip, s.port, 4), { 'ck-a': 2, 'ck-b': 2 });
  });

  test('insert_headers X-Forwarded-For carries the client address to the member', T, async () => {
    const a = await http('xff');
    const s = await stack(f.app, { listener: { insert_headers: { 'X-Forwarded-For': 'true' } }, members: [member(a)] });
    const r = await httpGet(s.vip, s.port, { from: '127.0.0.77' });
    assert.equal(r.status, 200);
    assert.equal(a.lastHeaders['x-forwarded-for'], '127.0.0.77');
  });

  test('allowed_cidrs admits its client address and refuses another', T, async () => {
    const a = await http('cidr');
    const s = await stack(f.app, { listener: { allowed_cidrs: ['127.0.0.88/32'] }, members: [member(a)] });
    assert.equal((await httpGet(s.vip, s.port, { from: '127.0.0.88' })).status, 200);
    const hits = a.hits;
    assert.equal((await httpGet(s.vip, s.port, { from: '127.0.0.89' })).status, 0);
    assert.equal(a.hits, hits, 'the refused client never reached the member');
  });

  test('connection_limit holds a second connection until the first one ends', T, async () => {
    const a = await tcpBackend('limit');
    backends.push(a);
    const s = await stack(f.app, { protocol: 'TCP', listener: { connection_limit: 1 }, members: [member(a)] });
    const one = await TcpClient.open(s.vip, s.port);
    assert.equal(await one.ask(), 'limit');
    const two = await TcpClient.open(s.vip, s.port);
    try {
      assert.equal(await two.ask(700), null, 'the second connection is not served while the first is open');
      one.close();
      assert.equal(await two.ask(5000), 'limit');
    } finally {
      two.close();
    }
  });

});
