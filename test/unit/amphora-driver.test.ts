// The amphora driver's pure decisions: the derived amphora id and the maxconn it renders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amphoraIdOf, maxconnFor } from '../../src/worker/amphora-driver.ts';
import type { AgentInfo } from '../../src/amphora/protocol.ts';

const info = (fd_limit: number, maxconn_budget: number): AgentInfo => ({
  api_version: 'v1', agent_version: '0', haproxy_version: '2.6', host: 'h', fd_limit, maxconn_budget, amphorae: 0,
});

test('the amphora id is a UUID derived from the load balancer id, the same on every worker', () => {
  const lb = 'c7df2e8a-4d89-4cce-8793-1a7872b2e0fc';
  assert.equal(amphoraIdOf(lb), amphoraIdOf(lb));
  assert.notEqual(amphoraIdOf(lb), amphoraIdOf('c7df2e8a-4d89-4cce-8793-1a7872b2e0fd'));
  assert.match(amphoraIdOf(lb), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('maxconn is the agent\'s budget (which counts splice pipes), never below 1', () => {
  assert.equal(maxconnFor(info(20_000, 7_600)), 7_600);
  assert.equal(maxconnFor(info(1_024, 0)), 1);
});
