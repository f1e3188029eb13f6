// The composition root: opens the store, builds the services' dependencies, the reconciler
// and the API. `fulcrum up` and the tests both start Fulcrum through here.
import { mkdirSync } from 'node:fs';
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

export interface Runtime {
  config: Config;
  store: Store;
  deps: ServiceDeps;
  reconciler: Reconciler;
  app: FastifyInstance;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  log?: Logger;
  /** Replaces the driver every provider uses (tests hold changes PENDING with a gated driver). */
  driver?: ProviderDriver;
}

export async function startRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const logger = opts.log ?? pino({ level: config.logLevel, base: { service: 'fulcrum' } });
  if (config.databaseUrl.startsWith('sqlite:') && !config.databaseUrl.includes(':memory:')) {
    mkdirSync(config.dataDir, { recursive: true });
  }
  const store = await openStore(config.databaseUrl);
  await ensureLoopbackNetwork(store, logger);
  const reconciler = new Reconciler({
    store,
    log: logger.child({ role: 'worker' }),
    pollMs: config.workerPollMs,
    driverFor: (name) => {
      provider(name);
      return opts.driver ?? noopDriver;
    },
  });
  const deps: ServiceDeps = { store, config, log: logger, wake: (id) => reconciler.wake(id) };
  const app = await buildApp(deps);
  reconciler.start();
  return {
    config, store, deps, reconciler, app,
    async close() {
      await app.close();
      await reconciler.stop();
      await store.close();
    },
  };
}
