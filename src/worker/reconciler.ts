// The reconciler: one loop keyed by load balancer. The database is the queue: a load
// balancer is dirty while generation > applied_generation. In-process writes wake it at
// once; a slow poll picks up writes from other processes and anything a crash left behind.
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { ProviderDriver } from './driver.ts';
import { finalize } from './finalize.ts';

export interface ReconcilerOptions {
  store: Store;
  log: Logger;
  driverFor(provider: string): ProviderDriver;
  pollMs: number;
}

export class Reconciler {
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private sweeping: Promise<void> = Promise.resolve();
  private idle: Promise<void> = Promise.resolve();
  private readonly inflight = new Set<Promise<void>>();
  private readonly opts: ReconcilerOptions;

  constructor(opts: ReconcilerOptions) {
    this.opts = opts;
  }

  start(): void {
    this.stopped = false;
    const tick = async () => {
      this.sweeping = this.sweep().catch((err) => this.opts.log.error({ event: 'worker.sweep_failed', err }));
      await this.sweeping;
      // A sweep in flight when stop() ran must not arm the timer again (the store is closing).
      if (!this.stopped) this.timer = setTimeout(tick, this.opts.pollMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.sweeping;
    await Promise.allSettled([...this.inflight]);
    await this.idle;
  }

  /** Called after a commit that bumped `lbId`'s generation. */
  wake(lbId: string): void {
    if (this.running.has(lbId)) {
      this.again.add(lbId);
      return;
    }
    const job = this.run(lbId).finally(() => this.inflight.delete(job));
    this.inflight.add(job);
  }

  /** Waits until no reconcile is in flight (tests and graceful shutdown). */
  async settle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  async sweep(): Promise<void> {
    for (const { id } of await this.opts.store.dirtyLoadBalancers(100)) this.wake(id);
  }

  private async run(lbId: string): Promise<void> {
    this.running.add(lbId);
    try {
      do {
        this.again.delete(lbId);
        await this.reconcile(lbId);
      } while (this.again.has(lbId));
    } catch (err) {
      this.opts.log.error({ event: 'worker.reconcile_failed', load_balancer_id: lbId, err });
    } finally {
      this.running.delete(lbId);
    }
  }

  private async reconcile(lbId: string): Promise<void> {
    const { store, log } = this.opts;
    const graph = await store.graph(lbId);
    if (!graph) return;
    const lb = graph.loadBalancer;
    if (lb.generation <= lb.applied_generation) return;
    const driver = this.opts.driverFor(lb.provider);
    let ok = true;
    try {
      if (lb.provisioning_status === 'PENDING_DELETE') await driver.remove(graph);
      else await driver.apply(graph);
    } catch (err) {
      ok = false;
      log.error({ event: 'worker.apply_failed', load_balancer_id: lbId, generation: lb.generation, driver: driver.name, err });
    }
    const done = await finalize(store, lbId, lb.generation, ok);
    if (!done) this.again.add(lbId);
    else log.debug({ event: 'worker.applied', load_balancer_id: lbId, generation: lb.generation, ok });
  }
}
