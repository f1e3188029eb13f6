// The providers a load balancer can name. `amphora` (and its alias `octavia`) run HAProxy
// amphorae with real VIPs; `noop` completes every change without a data plane, as Octavia's
// noop driver does.
import { Errors } from '../domain/errors.ts';
import { pyRepr } from '../domain/pyformat.ts';

export interface ProviderInfo {
  name: string;
  description: string;
  /** The driver that carries the provider's changes out. */
  driver: 'noop' | 'amphora';
}

export const PROVIDERS: ProviderInfo[] = [
  { name: 'amphora', description: 'The Fulcrum amphora driver (HAProxy amphorae).', driver: 'amphora' },
  { name: 'octavia', description: 'Deprecated alias of the amphora driver.', driver: 'amphora' },
  { name: 'noop', description: 'The noop driver: completes every change without a data plane.', driver: 'noop' },
];

export function provider(name: string): ProviderInfo {
  const found = PROVIDERS.find((p) => p.name === name);
  if (!found) throw Errors.invalidOption(`Provider '${name}' is not enabled.`);
  return found;
}

/** A flavor or availability zone setting a provider understands, and how it checks a value. */
export interface Capability {
  name: string;
  description: string;
  /** Why the value is refused, or undefined when it is acceptable. */
  refuse(value: unknown): string | undefined;
}

export type CapabilityKind = 'flavor' | 'availability_zone';

// Octavia validates profiles with jsonschema: its messages show values as Python's repr.
const isString = (name: string) => (v: unknown) => (typeof v === 'string' ? undefined : `${name} ${pyRepr(v)} is not of type 'string'`);

const AMPHORA_CAPABILITIES: Record<CapabilityKind, Capability[]> = {
  flavor: [
    {
      name: 'loadbalancer_topology',
      description: 'The load balancer topology. One of: SINGLE - One amphora per load balancer. ACTIVE_STANDBY - Two amphora per load balancer.',
      refuse: (v) => (v === 'SINGLE' || v === 'ACTIVE_STANDBY' ? undefined
        : `loadbalancer_topology ${pyRepr(v)} is not one of ['ACTIVE_STANDBY', 'SINGLE']`),
    },
    { name: 'compute_flavor', description: 'The compute driver flavor ID.', refuse: isString('compute_flavor') },
    { name: 'amp_image_tag', description: 'The amphora image tag.', refuse: isString('amp_image_tag') },
  ],
  availability_zone: [
    { name: 'compute_zone', description: 'The compute availability zone.', refuse: isString('compute_zone') },
    { name: 'management_network', description: 'The management network ID for the amphora.', refuse: isString('management_network') },
    {
      name: 'valid_vip_networks',
      description: 'List of network IDs that are allowed for VIP use. This overrides/replaces the list of allowed networks configured in the deployment.',
      refuse: (v) => (Array.isArray(v) ? undefined : `valid_vip_networks ${pyRepr(v)} is not of type 'array'`),
    },
  ],
};

/** The noop provider advertises one setting of each kind and, like Octavia's, accepts any. */
const NOOP_CAPABILITIES: Record<CapabilityKind, Capability[]> = {
  flavor: [{ name: 'amp_image_tag', description: 'The glance image tag to use for this load balancer.', refuse: () => undefined }],
  availability_zone: [{ name: 'compute_zone', description: 'The compute availability zone to use for this load balancer.', refuse: () => undefined }],
};

/** What a provider accepts in flavor or availability zone profiles (Octavia's *_capabilities). */
export function capabilities(providerName: string, kind: CapabilityKind): Capability[] {
  return provider(providerName).name === 'noop' ? NOOP_CAPABILITIES[kind] : AMPHORA_CAPABILITIES[kind];
}

/** Checks profile metadata against the provider; refusals are Octavia's 501 "does not support a requested option". */
export function validateMetadata(providerName: string, kind: CapabilityKind, data: unknown): void {
  const known = capabilities(providerName, kind);
  const refuse = (why: string) => Errors.notImplemented(`Provider '${providerName}' does not support a requested option: ${why}`);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw refuse(`${pyRepr(data)} is not of type 'object'`);
  if (providerName === 'noop') return;
  const unknown = Object.keys(data).filter((k) => !known.some((c) => c.name === k));
  if (unknown.length > 0) {
    const names = unknown.map((k) => `'${k}'`).join(', ');
    throw refuse(`Additional properties are not allowed (${names} ${unknown.length > 1 ? 'were' : 'was'} unexpected)`);
  }
  for (const c of known) {
    const value = (data as Record<string, unknown>)[c.name];
    const why = value === undefined ? undefined : c.refuse(value);
    if (why) throw refuse(why);
  }
}
