// Flavor profiles (admin only): a provider plus the JSON settings it applies to load
// balancers of any flavor built on the profile. The provider validates the settings; a
// profile in use by a flavor keeps its provider and settings until the flavors are gone.
import { randomUUID } from 'node:crypto';
import { Errors } from '../domain/errors.ts';
import type { FlavorProfile } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { ServiceDeps } from './deps.ts';
import { provider, validateMetadata } from './providers.ts';
import type { CapabilityKind } from './providers.ts';

export interface FlavorProfileCreate {
  name: string;
  provider_name: string;
  flavor_data: string;
}

/** A PUT: undefined leaves a field; null is refused, as Octavia refuses it. */
export interface FlavorProfileUpdate {
  name?: string | null;
  provider_name?: string | null;
  flavor_data?: string | null;
}

export async function listFlavorProfiles(deps: ServiceDeps, ctx: RequestContext): Promise<FlavorProfile[]> {
  admin(ctx);
  return deps.store.find('flavor_profile');
}

export async function getFlavorProfile(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<FlavorProfile> {
  admin(ctx);
  const found = await deps.store.get('flavor_profile', id);
  if (!found) throw Errors.notFound('Flavor Profile', id);
  return found;
}

export async function createFlavorProfile(deps: ServiceDeps, ctx: RequestContext, input: FlavorProfileCreate): Promise<FlavorProfile> {
  admin(ctx);
  checkProfileData(input.provider_name, 'flavor', 'flavor_data', input.flavor_data);
  const row: FlavorProfile = { id: randomUUID(), ...input };
  await deps.store.insert('flavor_profile', row);
  deps.log.info({ event: 'flavor_profile.create', flavor_profile_id: row.id, provider: row.provider_name });
  return row;
}

export async function updateFlavorProfile(
  deps: ServiceDeps, ctx: RequestContext, id: string, input: FlavorProfileUpdate,
): Promise<FlavorProfile> {
  admin(ctx);
  refuseNulls(input);
  const touchesData = input.provider_name !== undefined || input.flavor_data !== undefined;
  const updated = await deps.store.transaction(async (tx) => {
    if (touchesData && (await tx.count('flavor', { flavor_profile_id: id })) > 0) throw inUse(id);
    const current = await tx.get('flavor_profile', id);
    if (!current) throw Errors.notFound('Flavor Profile', id);
    const next = { ...current, ...defined(input) };
    // A new provider must accept the settings already there, not only new ones.
    if (touchesData) checkProfileData(next.provider_name, 'flavor', 'flavor_data', next.flavor_data);
    await tx.update('flavor_profile', id, defined(input));
    return next;
  });
  deps.log.info({ event: 'flavor_profile.update', flavor_profile_id: id });
  return updated;
}

export async function deleteFlavorProfile(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<void> {
  admin(ctx);
  await deps.store.transaction(async (tx) => {
    if ((await tx.count('flavor', { flavor_profile_id: id })) > 0) throw inUse(id);
    if ((await tx.delete('flavor_profile', { id })) === 0) throw Errors.notFound('Flavor profile', id);
  });
  deps.log.info({ event: 'flavor_profile.delete', flavor_profile_id: id });
}

/**
 * Shared by flavor and availability zone profiles: the data must be JSON (else 400, Octavia's
 * InvalidOption), the provider enabled (400), and the provider must accept the settings (501).
 */
export function checkProfileData(providerName: string, kind: CapabilityKind, field: string, data: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    throw Errors.invalidOption(`${data} is not a valid option for ${field}`);
  }
  provider(providerName);
  validateMetadata(providerName, kind, parsed);
}

export function admin(ctx: RequestContext): void {
  if (!ctx.isAdmin) throw Errors.forbidden();
}

export function refuseNulls(input: object): void {
  for (const [field, value] of Object.entries(input)) {
    if (value === null) throw Errors.invalidOption(`None is not a valid option for ${field}`);
  }
}

/** The fields a PUT actually carries (after refuseNulls none of them is null). */
export function defined<T extends object>(input: T): { [K in keyof T]: Exclude<T[K], null | undefined> } {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== null)) as any;
}

const inUse = (id: string) => Errors.conflict(`Flavor profile ${id} is in use and cannot be modified.`);
