// An in-process Fulcrum for functional tests: real store (SQLite in memory by default, or
// the URL given), real worker, requests through Fastify's inject(). No sockets needed.
import { readdirSync, readFileSync } from 'node:fs';
import pino from 'pino';
import { defaultConfig } from '../../src/config.ts';
import type { Config } from '../../src/config.ts';
import { startRuntime } from '../../src/runtime.ts';
import type { Runtime } from '../../src/runtime.ts';
import type { ProviderDriver } from '../../src/worker/driver.ts';
import type { Compute } from '../../src/drivers/compute/compute.ts';
import { LOOPBACK } from '../../src/service/networks.ts';
import { Secrets } from '../../src/drivers/secrets/secrets.ts';
import type { SecretBox } from '../../src/drivers/secrets/box.ts';
import type { Store } from '../../src/store/store.ts';
import type { TlsCertificate } from '../../src/domain/entities.ts';

export interface Reply {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

export interface TestApp {
  runtime: Runtime;
  /** Hold it to keep changes PENDING; release it to let the worker finish them. */
  gate: GatedDriver;
  /** Sends a request as `project` (X-Project-Id) and answers status and parsed body. */
  req(method: string, path: string, body?: unknown, project?: string | null): Promise<Reply>;
  /** Waits until the worker has nothing in flight, so PENDING_* objects have settled. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** The loopback subnet every deployment starts with: amphora load balancers take their VIPs there. */
export const SUBNET = LOOPBACK.subnetId;

/** A driver that holds every change until the test opens it, so PENDING_* states can be observed. */
export class GatedDriver implements ProviderDriver {
  readonly name = 'gated';
  private open = true;
  private waiting: (() => void)[] = [];
  hold(): void {
    this.open = false;
  }
  release(): void {
    this.open = true;
    for (const go of this.waiting.splice(0)) go();
  }
  async apply(): Promise<void> {
    if (!this.open) await new Promise<void>((go) => this.waiting.push(go));
  }
  async remove(): Promise<void> {
    await this.apply();
  }
}

export interface TestAppOptions extends Partial<Config> {
  /**
   * Runs the real data plane instead of the gated driver: the embedded agent (on a free port,
   * state and PKI in `dataDir`, which should be short: HAProxy's unix socket paths live there)
   * and the amphora driver. close() deletes every amphora and kills any HAProxy left under
   * `dataDir` by PID. The gate is then unused.
   */
  dataPlane?: boolean;
  /**
   * Resolve certificate refs against the key manager (/v1) as Fulcrum does. Without the data
   * plane the default is false: any ref is accepted, as Octavia's functional tests mock its
   * certificate manager, so API tests can name refs that do not exist.
   */
  checkRefs?: boolean;
  /** Runs amphorae on this compute driver (netns tests); the caller closes it. */
  compute?: Compute;
  /** Collects the runtime's log lines (JSON, level info and up) here, for tests that check a reason was logged. */
  logLines?: string[];
}

/** Accepts every ref: the API's own rules are under test, not the key manager. */
class AnyRefSecrets extends Secrets {
  override on(): Secrets {
    return this;
  }
  override async certificate(): Promise<TlsCertificate> {
    return { certificate: '', privateKey: '', intermediates: [] };
  }
  override async ca(): Promise<string> {
    return '';
  }
  override async crl(): Promise<string> {
    return '';
  }
}

export async function testApp(options: TestAppOptions = {}): Promise<TestApp> {
  const { dataPlane, checkRefs, compute, logLines, ...overrides } = options;
  const config = defaultConfig({ databaseUrl: 'sqlite::memory:', workerPollMs: 50, ...overrides });
  if (dataPlane) config.agent = { ...config.agent, port: 0 };
  if (dataPlane) config.health = { ...config.health, listen: { ...config.health.listen, port: 0 } };
  const gate = new GatedDriver();
  const log = logLines
    ? pino({ level: 'info' }, { write: (line: string) => { logLines.push(line); } })
    : pino({ level: process.env.FULCRUM_TEST_LOG ?? 'silent' });
  const anyRef = !(checkRefs ?? dataPlane);
  const runtime = await startRuntime(config, {
    log, driver: dataPlane || compute ? undefined : gate, compute,
    ...(anyRef ? { secrets: (store: Store, box: SecretBox) => new AnyRefSecrets(store, box) } : {}),
  });
  return {
    runtime,
    gate,
    async req(method, path, body, project = 'p1') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (project) headers['x-project-id'] = project;
      const res = await runtime.app.inject({
        method: method as any, url: path, headers,
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      let parsed: unknown = undefined;
      if (res.body) {
        try {
          parsed = JSON.parse(res.body);
        } catch {
          parsed = res.body;
        }
      }
      return { status: res.statusCode, body: parsed, headers: res.headers };
    },
    settle: () => runtime.reconciler.settle(),
    async close() {
      if (!dataPlane) return runtime.close();
      try {
        await runtime.reconciler.stop();
        await runtime.dataPlane?.compute.deleteAll();
      } finally {
        await runtime.close();
        await killHaproxyUnder(config.dataDir);
      }
    },
  };
}

/** Kills (by PID) every HAProxy whose command line names a path under `dir`: the ones this app's agent started. */
export async function killHaproxyUnder(dir: string): Promise<number[]> {
  const killed: number[] = [];
  for (let round = 0; round < 20; round++) {
    const pids = haproxyPidsUnder(dir);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return killed;
}

function haproxyPidsUnder(dir: string): number[] {
  const prefix = `${dir.replace(/\/$/, '')}/`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) continue;
      if (/haproxy/.test(argv[0]) && argv.some((a) => a.startsWith(prefix))) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Creates a load balancer and waits until it is ACTIVE; answers its wire body. */
export async function activeLoadBalancer(app: TestApp, extra: Record<string, unknown> = {}, project = 'p1') {
  const res = await app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET, ...extra } }, project);
  if (res.status !== 201) throw new Error(`LB create answered ${res.status}: ${JSON.stringify(res.body)}`);
  await app.settle();
  return (await app.req('GET', `/v2/lbaas/loadbalancers/${res.body.loadbalancer.id}`, undefined, project)).body.loadbalancer;
}
