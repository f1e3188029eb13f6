// The official CLI against `fulcrum up --auth builtin`: a real Fulcrum process (temp data dir,
// free ports), the clouds.yaml it writes, and the real `openstack loadbalancer ...` commands
// (python3-openstackclient + python3-octaviaclient; osc-batch.py runs several per Python
// start, each exactly as /usr/bin/openstack does). Traffic through the VIP must reach the
// members the CLI created. Skipped outside CI when `openstack` or haproxy is missing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killHaproxyUnder } from '../kit/app.ts';
import { closeAll, freePort, httpBackend, httpGet, portClosed, skipWithoutHaproxy, spread } from '../e2e/kit.ts';
import type { Backend } from '../e2e/kit.ts';

const OPENSTACK = '/usr/bin/openstack';
const skip = skipWithoutHaproxy || (existsSync(OPENSTACK) || process.env.CI === 'true'
  ? false : `skipped: ${OPENSTACK} is missing (apt-get install python3-openstackclient python3-octaviaclient)`);

interface Result { argv: string[]; rc: number; stdout: string; stderr: string; seconds: number }

let fulcrum: ChildProcess | undefined;
let dataDir = '';
let backends: Backend[] = [];
const exercised: string[] = [];

/** The interpreter /usr/bin/openstack names in its first line. */
function python(): string {
  return readFileSync(OPENSTACK, 'utf8').split('\n')[0].replace(/^#!\s*/, '').trim();
}

/** Runs the command lines in order; every one must succeed. Answers their results. */
async function osc(...commands: string[][]): Promise<Result[]> {
  const child = spawn(python(), [join(import.meta.dirname, 'osc-batch.py')], {
    env: { ...process.env, OS_CLIENT_CONFIG_FILE: join(dataDir, 'clouds.yaml'), OS_CLOUD: 'fulcrum' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  child.stdin.end(JSON.stringify(commands));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(code, 0, `osc-batch.py failed: ${err}`);
  const results = JSON.parse(out) as Result[];
  for (const r of results) {
    assert.equal(r.rc, 0, `openstack ${r.argv.join(' ')} → ${r.rc}\n${r.stderr}${r.stdout}`);
    exercised.push(`openstack ${r.argv.filter((a) => a !== '-f' && a !== 'json').join(' ')}  (${r.seconds} s)`);
  }
  return results;
}

const json = (r: Result) => JSON.parse(r.stdout);

/** Polls the load balancer (with a token from the written clouds.yaml) until it is ACTIVE. */
async function waitActive(lbId: string): Promise<void> {
  const yaml = readFileSync(join(dataDir, 'clouds.yaml'), 'utf8');
  const field = (name: string) => JSON.parse(new RegExp(`${name}: (".*")`).exec(yaml)![1]) as string;
  const authUrl = field('auth_url');
  const res = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: {
      identity: { methods: ['password'], password: { user: { name: field('username'), domain: { name: 'Default' }, password: field('password') } } },
      scope: { project: { name: field('project_name'), domain: { name: 'Default' } } },
    } }),
  });
  assert.equal(res.status, 201);
  const token = res.headers.get('x-subject-token')!;
  const base = authUrl.replace(/\/identity\/v3$/, '');
  for (let i = 0; i < 200; i++) {
    const lb = await (await fetch(`${base}/v2.0/lbaas/loadbalancers/${lbId}`, { headers: { 'x-auth-token': token } })).json() as any;
    if (lb.loadbalancer.provisioning_status === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`load balancer ${lbId} did not become ACTIVE`);
}

before(async () => {
  if (skip) return;
  dataDir = mkdtempSync(join(tmpdir(), 'fc-'));
  fulcrum = spawn(process.execPath, [
    '--import', 'tsx', join(import.meta.dirname, '..', 'amphora', 'agent-process.ts'), 'up',
    '--auth', 'builtin', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--agent-port', '0', '--log-level', 'warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let banner = '';
  let errors = '';
  fulcrum.stderr!.on('data', (d) => (errors += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fulcrum up did not start: ${banner}${errors}`)), 60_000);
    fulcrum!.stdout!.on('data', (d) => {
      banner += d;
      if (banner.includes('openstack loadbalancer list')) { clearTimeout(timer); resolve(); }
    });
    fulcrum!.once('exit', (code) => { clearTimeout(timer); reject(new Error(`fulcrum up exited ${code}: ${errors}`)); });
  });
  backends = [await httpBackend('m1'), await httpBackend('m2')];
});

after(async () => {
  await closeAll(backends);
  if (fulcrum && fulcrum.exitCode === null) {
    fulcrum.kill('SIGTERM');
    await new Promise((r) => fulcrum!.once('exit', r));
  }
  if (dataDir) {
    await killHaproxyUnder(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (exercised.length) process.stdout.write(`# CLI commands exercised:\n${exercised.map((c) => `#   ${c}`).join('\n')}\n`);
});

test('openstack loadbalancer: a full tree, every verb, traffic through the VIP, failover and cascade delete', { skip, timeout: 300_000 }, async () => {
  const [m1, m2] = backends;
  const port = String(await freePort());
  const files = readFileSync(join(dataDir, 'clouds.yaml'), 'utf8');
  assert.match(files, /auth_url: "http:\/\/127\.0\.0\.1:\d+\/identity\/v3"/);

  // The tree, by name: the CLI resolves the subnet, LB, listener and pool names itself.
  const created = await osc(
    ['loadbalancer', 'create', '--name', 'cli-lb', '--vip-subnet-id', 'fulcrum-loopback', '--wait', '-f', 'json'],
    ['loadbalancer', 'listener', 'create', '--name', 'cli-listener', '--protocol', 'HTTP', '--protocol-port', port, '--wait', '-f', 'json', 'cli-lb'],
    ['loadbalancer', 'pool', 'create', '--name', 'cli-pool', '--listener', 'cli-listener', '--protocol', 'HTTP', '--lb-algorithm', 'ROUND_ROBIN', '--wait', '-f', 'json'],
    ['loadbalancer', 'member', 'create', '--name', 'm1', '--address', m1.address, '--protocol-port', String(m1.port), '--subnet-id', 'fulcrum-loopback', '--wait', '-f', 'json', 'cli-pool'],
    ['loadbalancer', 'member', 'create', '--name', 'm2', '--address', m2.address, '--protocol-port', String(m2.port), '--wait', '-f', 'json', 'cli-pool'],
    ['loadbalancer', 'healthmonitor', 'create', '--name', 'cli-hm', '--delay', '1', '--timeout', '1', '--max-retries', '1', '--type', 'HTTP', '--url-path', '/', '--wait', '-f', 'json', 'cli-pool'],
    ['loadbalancer', 'l7policy', 'create', '--name', 'cli-l7', '--action', 'REJECT', '--wait', '-f', 'json', 'cli-listener'],
    // No --wait here: octaviaclient 3.1's l7rule create --wait swaps the rule and policy ids
    // when it reads the rule back (a 404 against Octavia too), so the test waits itself.
    ['loadbalancer', 'l7rule', 'create', '--type', 'PATH', '--compare-type', 'STARTS_WITH', '--value', '/blocked', '-f', 'json', 'cli-l7'],
  );
  await waitActive(json(created[0]).id);
  const lb = json(created[0]);
  const ruleId = json(created[7]).id;
  assert.equal(lb.provisioning_status === 'ACTIVE' || lb.provisioning_status === 'PENDING_CREATE', true);
  assert.equal(json(created[3]).subnet_id, lb.vip_subnet_id, 'member --subnet-id resolved by name');

  // Traffic: both members answer through the VIP; the L7 rule rejects /blocked.
  const seen = await spread(lb.vip_address, Number(port), 8);
  assert.deepEqual(Object.keys(seen).sort(), ['m1', 'm2']);
  assert.equal((await httpGet(lb.vip_address, Number(port), { path: '/blocked/x' })).status, 403);

  // show / list / set / unset on each resource.
  const rw = await osc(
    ['loadbalancer', 'show', '-f', 'json', 'cli-lb'],
    ['loadbalancer', 'list', '-f', 'json'],
    ['loadbalancer', 'set', '--description', 'from the cli', '--wait', 'cli-lb'],
    ['loadbalancer', 'unset', '--description', '--wait', 'cli-lb'],
    ['loadbalancer', 'listener', 'show', '-f', 'json', 'cli-listener'],
    ['loadbalancer', 'listener', 'list', '-f', 'json'],
    ['loadbalancer', 'listener', 'set', '--connection-limit', '5000', '--wait', 'cli-listener'],
    ['loadbalancer', 'listener', 'unset', '--connection-limit', '--wait', 'cli-listener'],
    ['loadbalancer', 'pool', 'show', '-f', 'json', 'cli-pool'],
    ['loadbalancer', 'pool', 'list', '-f', 'json'],
    ['loadbalancer', 'pool', 'set', '--description', 'pool', '--wait', 'cli-pool'],
    ['loadbalancer', 'pool', 'unset', '--description', '--wait', 'cli-pool'],
    ['loadbalancer', 'member', 'show', '-f', 'json', 'cli-pool', 'm1'],
    ['loadbalancer', 'member', 'list', '-f', 'json', 'cli-pool'],
    ['loadbalancer', 'member', 'set', '--weight', '3', '--wait', 'cli-pool', 'm1'],
    ['loadbalancer', 'member', 'unset', '--weight', '--wait', 'cli-pool', 'm1'],
    ['loadbalancer', 'healthmonitor', 'show', '-f', 'json', 'cli-hm'],
    ['loadbalancer', 'healthmonitor', 'list', '-f', 'json'],
    ['loadbalancer', 'healthmonitor', 'set', '--delay', '2', '--wait', 'cli-hm'],
    ['loadbalancer', 'healthmonitor', 'unset', '--url-path', '--wait', 'cli-hm'],
    ['loadbalancer', 'l7policy', 'show', '-f', 'json', 'cli-l7'],
    ['loadbalancer', 'l7policy', 'list', '-f', 'json'],
    ['loadbalancer', 'l7policy', 'set', '--description', 'deny', '--wait', 'cli-l7'],
    ['loadbalancer', 'l7policy', 'unset', '--description', '--wait', 'cli-l7'],
    ['loadbalancer', 'l7rule', 'show', '-f', 'json', 'cli-l7', ruleId],
    ['loadbalancer', 'l7rule', 'list', '-f', 'json', 'cli-l7'],
    ['loadbalancer', 'l7rule', 'set', '--value', '/denied', '--wait', 'cli-l7', ruleId],
    ['loadbalancer', 'l7rule', 'unset', '--invert', '--wait', 'cli-l7', ruleId],
    ['loadbalancer', 'show', '-f', 'json', 'cli-lb'],
    ['loadbalancer', 'listener', 'show', '-f', 'json', 'cli-listener'],
    ['loadbalancer', 'member', 'show', '-f', 'json', 'cli-pool', 'm1'],
    ['loadbalancer', 'healthmonitor', 'show', '-f', 'json', 'cli-hm'],
    ['loadbalancer', 'l7rule', 'show', '-f', 'json', 'cli-l7', ruleId],
  );
  const [lbAfter, listenerAfter, memberAfter, hmAfter, ruleAfter] = rw.slice(-5).map(json);
  assert.equal(json(rw[0]).name, 'cli-lb');
  assert.deepEqual(json(rw[1]).map((l: { name: string }) => l.name), ['cli-lb']);
  assert.equal(json(rw[13]).length, 2);
  assert.equal(lbAfter.description, '');
  assert.equal(listenerAfter.connection_limit, -1);
  assert.equal(memberAfter.weight, 1);
  assert.equal(hmAfter.delay, 2);
  assert.equal(hmAfter.url_path, '/');
  assert.equal(ruleAfter.value, '/denied');
  assert.equal((await httpGet(lb.vip_address, Number(port), { path: '/denied' })).status, 403);
  assert.equal((await httpGet(lb.vip_address, Number(port), { path: '/blocked' })).status, 200);

  // Status, statistics, amphorae, quotas.
  const ops = await osc(
    ['loadbalancer', 'status', 'show', 'cli-lb'],
    ['loadbalancer', 'stats', 'show', '-f', 'json', 'cli-lb'],
    ['loadbalancer', 'listener', 'stats', 'show', '-f', 'json', 'cli-listener'],
    ['loadbalancer', 'amphora', 'list', '--loadbalancer', lb.id, '-f', 'json'],
    ['loadbalancer', 'quota', 'show', '-f', 'json', 'admin'],
    ['loadbalancer', 'quota', 'set', '--pool', '25', '-f', 'json', 'admin'],
    ['loadbalancer', 'quota', 'show', '-f', 'json', 'admin'],
    ['loadbalancer', 'quota', 'defaults', 'show', '-f', 'json'],
    ['loadbalancer', 'quota', 'list', '-f', 'json'],
    ['loadbalancer', 'quota', 'reset', 'admin'],
  );
  const tree = JSON.parse(ops[0].stdout).loadbalancer;
  assert.equal(tree.listeners[0].pools[0].members.length, 2);
  assert.equal(typeof json(ops[1]).total_connections, 'number');
  const amphorae = json(ops[3]);
  assert.equal(amphorae.length, 1);
  assert.equal(json(ops[6]).pool, 25);

  const [amphoraShow] = await osc(['loadbalancer', 'amphora', 'show', '-f', 'json', amphorae[0].id]);
  assert.equal(json(amphoraShow).loadbalancer_id, lb.id);

  // Failover, then the VIP still serves both members.
  await osc(['loadbalancer', 'failover', '--wait', 'cli-lb']);
  const again = await spread(lb.vip_address, Number(port), 8);
  assert.deepEqual(Object.keys(again).sort(), ['m1', 'm2']);

  // Cascade delete takes the whole tree and the VIP away.
  const gone = await osc(['loadbalancer', 'delete', '--cascade', '--wait', 'cli-lb'], ['loadbalancer', 'list', '-f', 'json']);
  assert.deepEqual(json(gone[1]), []);
  await portClosed(lb.vip_address, Number(port));
});
