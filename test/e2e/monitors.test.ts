// Health monitors on the data plane: every monitor type against real backends, the knobs each
// one has (what the check sends, which answers count, how often, how many results flip a
// member), and monitor_address/monitor_port. The state is read from HAProxy's own statistics
// through the agent; the traffic through the VIP shows where requests land meanwhile.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  agentStatus, closeAll, httpBackend, httpGet, serverStatus, skipWithoutHaproxy, sleep, spread, stack,
  startFulcrum, tcpBackend, TcpClient, Traffic,
} from './kit.ts';
import type { Backend, E2E } from './kit.ts';
import type { TestApp } from '../kit/app.ts';

const T = { timeout: 60_000 };
const FAST = { delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 };

/** The member's server row in HAProxy's statistics. */
async function server(app: TestApp, lbId: string, memberId: string) {
  const row = (await agentStatus(app, lbId)).stats.find((s) => s.type === 'server' && s.name === memberId);
  assert.ok(row, `no server ${memberId}`);
  return row;
}

/** Polls until the member's last check result (L4OK, L6OK, L7STS...) matches; INI until the first check ran. */
async function checkStatus(app: TestApp, lbId: string, memberId: string, want: RegExp, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    last = (await server(app, lbId, memberId)).check_status;
    if (want.test(last)) return;
    await sleep(40);
  }
  throw new Error(`member ${memberId}: last check ${last}, not ${want}`);
}

/** Polls the member's status until it matches `until`; answers every distinct status seen on the way. */
async function statusesUntil(app: TestApp, lbId: string, memberId: string, until: RegExp, timeoutMs = 10_000): Promise<string[]> {
  const seen: string[] = [];
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const { status } = await server(app, lbId, memberId);
    if (seen.at(-1) !== status) seen.push(status);
    if (until.test(status)) return seen;
    await sleep(40);
  }
  throw new Error(`member ${memberId}: statuses ${seen.join(' → ')}, never ${until}`);
}

describe('health monitors on the data plane', { skip: skipWithoutHaproxy, timeout: 300_000 }, () => {
  let f: E2E;
  const backends: Backend[] = [];
  const keep = <B extends Backend>(b: B) => { backends.push(b); return b; };
  const member = (b: Backend, extra: Record<string, unknown> = {}) => ({ address: b.address, protocol_port: b.port, name: b.name, ...extra });

  before(async () => { f = await startFulcrum(); });
  after(async () => {
    await closeAll(backends);
    await f?.close();
  });

  test('HTTP: method, path, Host and version as configured; expected_codes, timeout, delay, max_retries and max_retries_down decide', T, async () => {
    const a = keep(await httpBackend('hm-http-a'));
    const b = keep(await httpBackend('hm-http-b'));
    let health = 204;
    a.answer = (req) => (req.url === '/healthz' ? health : 200);
    // Counted here, not from b.requests: that keeps only the last 200 requests, and the client
    // traffic below pushes the early checks out of it (fewer the faster the machine).
    let bChecks = 0;
    b.answer = (req) => {
      if (req.url === '/healthz') bChecks++;
      return 200;
    };
    const s = await stack(f.app, {
      monitor: {
        type: 'HTTP', http_method: 'HEAD', url_path: '/healthz', expected_codes: '200-204', http_version: 1.1,
        domain_name: 'health.e2e.example', delay: 1, timeout: 1, max_retries: 2, max_retries_down: 2,
      },
      members: [member(a), member(b)],
    });
    const [ma] = s.members;
    const t0 = Date.now();
    await checkStatus(f.app, s.lb.id, ma.id, /L7OK/);
    const check = a.requests.find((r) => r.url === '/healthz');
    assert.ok(check, 'the member received a health check');
    assert.deepEqual([check.method, check.host, check.version], ['HEAD', 'health.e2e.example', '1.1']);

    // 205 is outside the range: two failed checks (max_retries_down 2) take the member out,
    // the first leaves it UP 1/2. Clients keep being served meanwhile, except a request the
    // member holds at the moment it is marked down (on-marked-down shutdown-sessions cuts it:
    // the price of not hanging clients on a silently dead member); at most one per client loop.
    const traffic = new Traffic(s.vip, s.port, 2);
    let down: string[];
    try {
      health = 205;
      down = await statusesUntil(f.app, s.lb.id, ma.id, /^DOWN/);
    } finally {
      await traffic.stop();
    }
    assert.ok(down.some((st) => /^UP 1\/2/.test(st)), `statuses on the way down: ${down.join(' → ')}`);
    assert.match((await server(f.app, s.lb.id, ma.id)).check_status, /L7STS/);
    assert.ok(traffic.failures().length <= 2, `${traffic.failures().length} of ${traffic.replies.length} requests failed`);
    assert.deepEqual(await spread(s.vip, s.port, 4), { 'hm-http-b': 4 });

    // Two good checks (max_retries 2) bring it back, through DOWN 1/2.
    health = 200;
    const up = await statusesUntil(f.app, s.lb.id, ma.id, /^UP$/);
    assert.ok(up.some((st) => /^DOWN 1\/2/.test(st)), `statuses on the way up: ${up.join(' → ')}`);
    assert.deepEqual(await spread(s.vip, s.port, 4), { 'hm-http-a': 2, 'hm-http-b': 2 });

    // A check answered later than `timeout` fails; checks run every `delay` (1 s).
    a.delay = (req) => (req.url === '/healthz' ? 2500 : 0);
    await statusesUntil(f.app, s.lb.id, ma.id, /^DOWN/);
    assert.match((await server(f.app, s.lb.id, ma.id)).check_status, /L7TOUT/);
    const checks = bChecks;
    const seconds = (Date.now() - t0) / 1000;
    assert.ok(Math.abs(checks - seconds) <= Math.max(2, seconds * 0.25), `${checks} checks of the other member in ${seconds.toFixed(1)} s with delay 1`);
  });

  test('HTTPS: HTTP checks over TLS on a passthrough pool; a member answering 503 is taken out', T, async () => {
    const a = keep(await httpBackend('hm-https-a', undefined, { tls: true }));
    const b = keep(await httpBackend('hm-https-b', undefined, { tls: true }));
    const s = await stack(f.app, {
      protocol: 'HTTPS',
      monitor: { type: 'HTTPS', url_path: '/health', ...FAST },
      members: [member(a), member(b)],
    });
    await serverStatus(f.app, s.lb.id, s.members[0].id, /^UP$/);
    await checkStatus(f.app, s.lb.id, s.members[0].id, /L7OK/);
    assert.ok(a.requests.some((r) => r.url === '/health'), 'the TLS-only member was checked with HTTP over TLS');
    assert.deepEqual(await spread(s.vip, s.port, 4, { tls: true }), { 'hm-https-a': 2, 'hm-https-b': 2 });
    a.answer = (req) => (req.url === '/health' ? 503 : 200);
    await serverStatus(f.app, s.lb.id, s.members[0].id, /^DOWN/);
    assert.deepEqual(await spread(s.vip, s.port, 4, { tls: true }), { 'hm-https-b': 4 });
  });

  test('TLS-HELLO: a TLS member is up, a plain-HTTP member is down, a closed one goes down', T, async () => {
    const tls = keep(await httpBackend('hm-hello-tls', undefined, { tls: true }));
    const tls2 = keep(await httpBackend('hm-hello-tls2', undefined, { tls: true }));
    const plain = keep(await httpBackend('hm-hello-plain'));
    const s = await stack(f.app, {
      protocol: 'TCP', monitor: { type: 'TLS-HELLO', ...FAST },
      members: [member(tls), member(tls2), member(plain)],
    });
    const [mt, mt2, mp] = s.members;
    await serverStatus(f.app, s.lb.id, mt.id, /^UP$/);
    await serverStatus(f.app, s.lb.id, mp.id, /^DOWN/);
    await checkStatus(f.app, s.lb.id, mt.id, /L6OK/);
    assert.ok(!plain.requests.length, 'the plain member never saw an HTTP request from the check');
    assert.deepEqual(await spread(s.vip, s.port, 4, { tls: true }), { 'hm-hello-tls': 2, 'hm-hello-tls2': 2 });
    await tls2.close();
    await serverStatus(f.app, s.lb.id, mt2.id, /^DOWN/);
    assert.deepEqual(await spread(s.vip, s.port, 4, { tls: true }), { 'hm-hello-tls': 4 });
  });

  for (const type of ['TCP', 'PING']) {
    test(`${type}: a member whose host stops answering goes down, new connections go to the other`, T, async () => {
      const a = keep(await tcpBackend(`hm-${type}-a`));
      const b = keep(await tcpBackend(`hm-${type}-b`));
      const s = await stack(f.app, { protocol: 'TCP', monitor: { type, ...FAST }, members: [member(a), member(b)] });
      await serverStatus(f.app, s.lb.id, s.members[0].id, /^UP$/);
      // PING has no ICMP checker without HAProxy's external-check fork; the renderer checks it
      // by TCP connect (see testdata/render/monitor-ping-fallback), so the check is layer 4.
      await checkStatus(f.app, s.lb.id, s.members[0].id, /L4OK/);
      await a.close();
      await serverStatus(f.app, s.lb.id, s.members[0].id, /^DOWN/);
      await checkStatus(f.app, s.lb.id, s.members[0].id, /L4CON/);
      for (let i = 0; i < 4; i++) {
        const c = await TcpClient.open(s.vip, s.port);
        assert.equal(await c.ask(), `hm-${type}-b`);
        c.close();
      }
    });
  }

  test('monitor_address and monitor_port: checks go there, traffic to the member; a failed health port takes the member out', T, async () => {
    const a = keep(await httpBackend('ma-a'));
    const aHealth = keep(await httpBackend('ma-a-health'));
    const b = keep(await httpBackend('ma-b'));
    const bHealth = keep(await httpBackend('ma-b-health', b.address));
    const c = keep(await httpBackend('ma-c'));
    const s = await stack(f.app, {
      monitor: { type: 'HTTP', url_path: '/health', ...FAST },
      members: [
        member(a, { monitor_address: aHealth.address, monitor_port: aHealth.port }),
        member(b, { monitor_port: bHealth.port }),
        member(c),
      ],
    });
    const [ma, mb] = s.members;
    await serverStatus(f.app, s.lb.id, ma.id, /^UP$/);
    await serverStatus(f.app, s.lb.id, mb.id, /^UP$/);
    await sleep(1200);
    assert.ok(aHealth.requests.some((r) => r.url === '/health') && bHealth.requests.some((r) => r.url === '/health'));
    assert.ok(!a.requests.some((r) => r.url === '/health') && !b.requests.some((r) => r.url === '/health'), 'no check on the traffic ports');
    assert.ok(c.requests.some((r) => r.url === '/health'), 'a member without them is checked on its own port');
    assert.deepEqual(await spread(s.vip, s.port, 6), { 'ma-a': 2, 'ma-b': 2, 'ma-c': 2 });

    await aHealth.close();
    await bHealth.close();
    await serverStatus(f.app, s.lb.id, ma.id, /^DOWN/);
    await serverStatus(f.app, s.lb.id, mb.id, /^DOWN/);
    // The members themselves still answer; the monitor's verdict keeps traffic off them.
    assert.equal((await httpGet(a.address, a.port)).status, 200);
    assert.equal((await httpGet(b.address, b.port)).status, 200);
    assert.deepEqual(await spread(s.vip, s.port, 4), { 'ma-c': 4 });
  });
});
