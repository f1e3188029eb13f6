// What the reconciler asks of a provider: make the data plane match one load balancer's
// whole graph at a generation. Drivers are idempotent; applying the same graph twice is fine.
import type { LoadBalancerGraph } from '../domain/entities.ts';

export interface ProviderDriver {
  readonly name: string;
  /** Converges the data plane to `graph`; throws when it could not. */
  apply(graph: LoadBalancerGraph): Promise<void>;
  /** Removes everything the load balancer had; called when it is being deleted. */
  remove(graph: LoadBalancerGraph): Promise<void>;
}

/** Completes every change at once, like Octavia's noop drivers: the API is usable without a data plane. */
export const noopDriver: ProviderDriver = {
  name: 'noop',
  async apply() {},
  async remove() {},
};
