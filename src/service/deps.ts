// What every service function receives: the store, configuration, and the hook that wakes
// the worker after a commit. Services are plain functions over these; no globals.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Store } from '../store/store.ts';
import type { Secrets } from '../drivers/secrets/secrets.ts';

export interface ServiceDeps {
  store: Store;
  config: Config;
  log: Logger;
  /** The key manager: /v1 secrets and containers, and the certificate refs listeners and pools name. */
  secrets: Secrets;
  /** Called after a transaction that bumped a load balancer's generation has committed. */
  wake(loadBalancerId: string): void;
}

export function now(): string {
  return new Date().toISOString();
}
