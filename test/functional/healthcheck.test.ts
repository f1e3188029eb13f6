// /healthcheck answers as oslo's middleware beside Octavia: OK without a token, also when the
// API itself needs one; the breaker's 503 is proven on the real data plane (e2e/health.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testApp } from '../kit/app.ts';

test('GET /healthcheck: 200 OK with no token under builtin identity, text or JSON', async () => {
  const app = await testApp({ auth: 'builtin' });
  try {
    const plain = await app.runtime.app.inject({ method: 'GET', url: '/healthcheck' });
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.body, 'OK');
    const json = await app.runtime.app.inject({ method: 'GET', url: '/healthcheck', headers: { accept: 'application/json' } });
    assert.equal(json.statusCode, 200);
    assert.deepEqual(JSON.parse(json.body), { detailed: false, reasons: ['OK'] });
    const guarded = await app.runtime.app.inject({ method: 'GET', url: '/v2/lbaas/loadbalancers' });
    assert.equal(guarded.statusCode, 401, 'the API itself still needs a token');
  } finally {
    await app.close();
  }
});
