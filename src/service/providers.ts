// The providers a load balancer can name. Until the amphora data plane lands, `amphora`
// (and its alias `octavia`) complete changes through the noop driver, as Octavia's amphora
// provider does when configured with its noop compute and network drivers.
import { Errors } from '../domain/errors.ts';

export interface ProviderInfo {
  name: string;
  description: string;
  /** The driver that carries the provider's changes out. */
  driver: 'noop';
}

export const PROVIDERS: ProviderInfo[] = [
  { name: 'amphora', description: 'The Fulcrum amphora driver (HAProxy amphorae).', driver: 'noop' },
  { name: 'octavia', description: 'Deprecated alias of the amphora driver.', driver: 'noop' },
  { name: 'noop', description: 'The noop driver: completes every change without a data plane.', driver: 'noop' },
];

export function provider(name: string): ProviderInfo {
  const found = PROVIDERS.find((p) => p.name === name);
  if (!found) throw Errors.invalidOption(`Provider '${name}' is not enabled.`);
  return found;
}
