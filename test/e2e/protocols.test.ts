// Protocols beyond plain HTTP and TCP, with real clients and backends through the VIP:
// PROXY and PROXYV2 pools (the backend sees the client's own address in the header),
// WebSocket upgrades through an HTTP listener, HTTP/2 to members (TLS pool with ALPN h2 to an
// h2-only backend), and the PROMETHEUS listener scraped for real.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, closeAll, freePort, httpBackend, httpGet, settled, skipWithoutHaproxy, stack, startFulcrum, TcpClient,
} from './kit.ts';
import type { Backend, E2E } from './kit.ts';
import { http2Backend, proxyProtocolBackend, webSocketBackend, webSocketClient } from './protocol-backends.ts';
import type { Closeable } from './protocol-backends.ts';

const T = { timeout: 60_000 };

describe('more protocols through the VIP', { skip: skipWithoutHaproxy, timeout: 300_000 }, () => {
  let f: E2E;
  const backends: (Backend | Closeable)[] = [];
  const keep = <B extends Backend | Closeable>(b: B) => { backends.push(b); return b; };
  const member = (b: { address: string; port: number }) => ({ address: b.address, protocol_port: b.port });

  before(async () => { f = await startFulcrum(); });
  after(async () => {
    await closeAll(backends as Backend[]);
    await f?.close();
  });

  test('PROXY pool behind a TCP listener: the member reads a v1 header with the client address', T, async () => {
    const b = keep(await proxyProtocolBackend('pp1'));
    const s = await stack(f.app, { protocol: 'TCP', pool: { protocol: 'PROXY' }, members: [member(b)] });
    const client = await TcpClient.open(s.vip, s.port, '127.0.0.77');
    try {
      assert.equal(await client.ask(), 'pp1 v1 127.0.0.77');
      assert.equal(await client.ask(), 'pp1 v1 127.0.0.77', 'one header per connection; later lines pass through');
    } finally {
      client.close();
    }
  });

  test('PROXYV2 pool behind a TCP listener: the member reads a binary v2 header', T, async () => {
    const b = keep(await proxyProtocolBackend('pp2'));
    const s = await stack(f.app, { protocol: 'TCP', pool: { protocol: 'PROXYV2' }, members: [member(b)] });
    const client = await TcpClient.open(s.vip, s.port, '127.0.0.78');
    try {
      assert.equal(await client.ask(), 'pp2 v2 127.0.0.78');
    } finally {
      client.close();
    }
  });

  test('PROXY pool behind an HTTP listener: the HTTP request follows the header', T, async () => {
    const b = keep(await proxyProtocolBackend('pp-http'));
    const s = await stack(f.app, { protocol: 'HTTP', pool: { protocol: 'PROXY' }, members: [member(b)] });
    const r = await httpGet(s.vip, s.port, { from: '127.0.0.79' });
    assert.equal(r.status, 200);
    assert.equal(r.backend, 'pp-http v1 127.0.0.79');
  });

  test('WebSocket: the upgrade goes through an HTTP listener and frames flow both ways', T, async () => {
    const b = keep(await webSocketBackend('ws'));
    const s = await stack(f.app, { protocol: 'HTTP', members: [member(b)] });
    assert.equal((await httpGet(s.vip, s.port)).backend, 'ws', 'plain requests still work');
    const ws = await webSocketClient(s.vip, s.port);
    try {
      assert.equal(await ws.ask('hello'), 'ws: hello');
      assert.equal(await ws.ask('second frame'), 'ws: second frame');
      assert.equal(b.upgrades, 1);
    } finally {
      ws.close();
    }
  });

  test('HTTP/2 to members: a TLS pool with ALPN h2 talks HTTP/2 to an h2-only member', T, async () => {
    const b = keep(await http2Backend('h2'));
    const s = await stack(f.app, {
      protocol: 'HTTP', pool: { tls_enabled: true, alpn_protocols: ['h2'] }, members: [member(b)],
    });
    const r = await httpGet(s.vip, s.port);
    assert.equal(r.status, 200, 'an h2-only member answers only if HAProxy speaks HTTP/2 to it');
    assert.equal(r.backend, 'h2 HTTP/2.0');
    assert.deepEqual(b.versions, ['2.0']);
    // Without ALPN h2 the same member cannot be reached: HAProxy would speak HTTP/1.1.
    await api(f.app, 'PUT', `/pools/${s.pool.id}`, { pool: { alpn_protocols: ['http/1.1'] } });
    await settled(f.app, s.lb.id);
    assert.notEqual((await httpGet(s.vip, s.port)).status, 200);
  });

  test('PROMETHEUS listener: /metrics is HAProxy\'s exporter, counting the other listeners\' traffic', T, async () => {
    const b = keep(await httpBackend('prom-member'));
    const s = await stack(f.app, { protocol: 'HTTP', members: [member(b)] });
    const port = await freePort();
    await api(f.app, 'POST', '/listeners', { listener: { loadbalancer_id: s.lb.id, protocol: 'PROMETHEUS', protocol_port: port } });
    await settled(f.app, s.lb.id);
    const scrape = async () => {
      const r = await httpGet(s.vip, port, { path: '/metrics', timeoutMs: 5000 });
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /text\/plain/);
      const line = new RegExp(`^haproxy_frontend_http_requests_total\\{proxy="${s.listener.id}"\\} (\\d+)$`, 'm').exec(r.backend);
      assert.ok(line, `no request counter for listener ${s.listener.id} in the scrape`);
      assert.match(r.backend, /^haproxy_process_uptime_seconds \d+/m);
      return Number(line[1]);
    };
    const before = await scrape();
    for (let i = 0; i < 5; i++) assert.equal((await httpGet(s.vip, s.port)).status, 200);
    assert.equal(await scrape(), before + 5);
    assert.notEqual((await httpGet(s.vip, port, { path: '/' })).status, 200, 'only /metrics is served');
  });
});
