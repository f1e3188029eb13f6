// The composition root: opens the store, builds the services' dependencies, the reconciler
// and the API. `fulcrum up` and the tests both start Fulcrum through here.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { openStore } from './store/kysely.ts';
import type { Store } from './store/store.ts';
import type { ServiceDeps } from './service/deps.ts';
import { Reconciler } from './worker/reconciler.ts';
import { noopDriver } from './worker/driver.ts';
import type { ProviderDriver } from './worker/driver.ts';
import { provider } from './service/providers.ts';
import { ensureLoopbackNetwork } from './service/networks.ts';
import { buildApp } from './api/app.ts';
import { LocalCompute } from './drivers/compute/local.ts';
import { AmphoraDriver } from './worker/amphora-driver.ts';
import { SecretBox, loadSecretKey } from './drivers/secrets/box.ts';
import { Secrets } from './drivers/secrets/secrets.ts';
import type { Compute } from './drivers/compute/compute.ts';
import { HealthRole } from './health/health.ts';
import { heartbeatKey } from './health/key.ts';
import { replaceAmphora } from './service/failover.ts';

export interface Runtime {
  config: Config;
  store: Store;
  deps: ServiceDeps;
  reconciler: Reconciler;
  app: FastifyInstance;
  /** The embedded data plane (agent + amphora driver); absent when a test driver replaces it. */
  dataPlane?: { compute: LocalCompute; driver: AmphoraDriver };
  /** The amphora driver over RuntimeOptions.compute, when one was given. */
  amphoraDriver?: AmphoraDriver;
  /** The health role; runs with the embedded data plane and with an external compute driver. */
  health?: HealthRole;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  log?: Logger;
  /**
   * Replaces the driver every provider uses (tests hold changes PENDING with a gated driver);
   * no agent is started then.
   */
  driver?: ProviderDriver;
  /**
   * Replaces the key manager's ref resolution (the API's functional tests accept any ref, as
   * Octavia's own functional tests mock its certificate manager).
   */
  secrets?: (store: Store, box: SecretBox) => Secrets;
  /**
   * Runs amphorae on this compute driver instead of the embedded local agent (the netns
   * driver's hosts, in tests and benchmarks); the caller owns it and closes it.
   */
  compute?: Compute;
}

export async function startRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const logger = opts.log ?? pino({ level: config.logLevel, base: { service: 'fulcrum' } });
  if (config.databaseUrl.startsWith('sqlite:') && !config.databaseUrl.includes(':memory:')) {
    mkdirSync(config.dataDir, { recursive: true });
  }
  const store = await openStore(config.databaseUrl);
  await ensureLoopbackNetwork(store, logger);
  const box = new SecretBox(secretKey(config));
  const secrets = opts.secrets ? opts.secrets(store, box) : new Secrets(store, box);
  // Services exist only after the data plane; failovers the health role starts wait for them.
  // With an external compute driver the agents beat to config.health.listen (their operator
  // passes it as `fulcrum agent --health`), so that address must be the one bound.
  const late: { deps?: ServiceDeps } = {};
  const health = opts.driver ? undefined : await startHealth(config, store, logger, (id, reason) =>
    late.deps ? replaceAmphora(late.deps, id, reason) : Promise.resolve(false), !opts.compute);
  const dataPlane = opts.driver || opts.compute ? undefined : await startDataPlane(config, store, secrets, logger, health);
  const external = opts.compute && !opts.driver
    ? new AmphoraDriver({ store, compute: opts.compute, secrets, log: logger.child({ role: 'worker', driver: 'amphora', compute: opts.compute.name }) })
    : undefined;
  const reconciler = new Reconciler({
    store,
    log: logger.child({ role: 'worker' }),
    pollMs: config.workerPollMs,
    driverFor: (name) => {
      if (opts.driver) return opts.driver;
      const amphora = dataPlane?.driver ?? external;
      return provider(name).driver === 'amphora' && amphora ? amphora : noopDriver;
    },
  });
  const deps: ServiceDeps = { store, config, log: logger, secrets, wake: (id) => reconciler.wake(id) };
  late.deps = deps;
  const app = await buildApp(deps, () => health?.status());
  reconciler.start();
  return {
    config, store, deps, reconciler, app, dataPlane, health, amphoraDriver: dataPlane?.driver ?? external,
    async close() {
      await app.close();
      await health?.close();
      await reconciler.stop();
      // HAProxy keeps serving: the next start's agent adopts it.
      await dataPlane?.compute.close();
      await store.close();
    },
  };
}

/** The PKI and the agent in the data dir, and the amphora driver that uses them. */
async function startDataPlane(config: Config, store: Store, secrets: Secrets, log: Logger, health: HealthRole | undefined) {
  mkdirSync(config.dataDir, { recursive: true });
  const target = health?.receiver.address();
  const compute = await LocalCompute.start({
    dataDir: config.dataDir, port: config.agent.port, haproxyBin: config.agent.haproxyBin, log,
    heartbeat: target && {
      targets: [target], key: heartbeatKey(config.dataDir, config.health.key), intervalMs: config.health.heartbeatIntervalMs,
    },
  });
  return { compute, driver: new AmphoraDriver({ store, compute, secrets, log: log.child({ role: 'worker', driver: 'amphora' }) }) };
}

/** The key manager's key: the configured file, else <data-dir>/secrets.key (an in-memory database's dies with it). */
function secretKey(config: Config): Buffer {
  if (config.secretsKeyFile) return loadSecretKey(config.secretsKeyFile);
  if (config.databaseUrl.includes(':memory:')) return randomBytes(32);
  return loadSecretKey(join(config.dataDir, 'secrets.key'));
}

/**
 * The health role on its UDP port. For the embedded agent a taken port falls back to a free
 * one (only that agent sends to it); remote agents were told the configured one, so it fails.
 */
async function startHealth(
  config: Config, store: Store, log: Logger, failover: (id: string, reason: string) => Promise<boolean>, mayMove: boolean,
) {
  mkdirSync(config.dataDir, { recursive: true });
  const h = config.health;
  const make = (port: number) => new HealthRole({
    store, log: log.child({ role: 'health' }), listen: { host: h.listen.host, port }, key: heartbeatKey(config.dataDir, h.key),
    intervalMs: h.heartbeatIntervalMs, timeoutMs: h.heartbeatTimeoutMs, failoverThreshold: h.failoverThreshold, failover,
  });
  let role = make(h.listen.port);
  try {
    await role.start();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || h.listen.port === 0 || !mayMove) throw err;
    log.warn({ event: 'health.port_taken', port: h.listen.port }, 'heartbeat port in use; listening on a free port instead');
    role = make(0);
    await role.start();
  }
  return role;
}
