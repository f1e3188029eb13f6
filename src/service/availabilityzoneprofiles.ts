// Availability zone profiles (admin only): a provider plus the JSON settings that place a
// load balancer (compute zone, networks). Same rules as flavor profiles: the provider
// validates the settings, and a profile in use by a zone keeps its provider and settings.
import { randomUUID } from 'node:crypto';
import { Errors } from '../domain/errors.ts';
import type { AvailabilityZoneProfile } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { ServiceDeps } from './deps.ts';
import { admin, checkProfileData, defined, refuseNulls } from './flavorprofiles.ts';

export interface AvailabilityZoneProfileCreate {
  name: string;
  provider_name: string;
  availability_zone_data: string;
}

export interface AvailabilityZoneProfileUpdate {
  name?: string | null;
  provider_name?: string | null;
  availability_zone_data?: string | null;
}

const NOUN = 'Availability Zone Profile';

export async function listAvailabilityZoneProfiles(deps: ServiceDeps, ctx: RequestContext): Promise<AvailabilityZoneProfile[]> {
  admin(ctx);
  return deps.store.find('availability_zone_profile');
}

export async function getAvailabilityZoneProfile(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<AvailabilityZoneProfile> {
  admin(ctx);
  const found = await deps.store.get('availability_zone_profile', id);
  if (!found) throw Errors.notFound(NOUN, id);
  return found;
}

export async function createAvailabilityZoneProfile(
  deps: ServiceDeps, ctx: RequestContext, input: AvailabilityZoneProfileCreate,
): Promise<AvailabilityZoneProfile> {
  admin(ctx);
  checkProfileData(input.provider_name, 'availability_zone', 'availability_zone_data', input.availability_zone_data);
  const row: AvailabilityZoneProfile = { id: randomUUID(), ...input };
  await deps.store.insert('availability_zone_profile', row);
  deps.log.info({ event: 'availability_zone_profile.create', availability_zone_profile_id: row.id, provider: row.provider_name });
  return row;
}

export async function updateAvailabilityZoneProfile(
  deps: ServiceDeps, ctx: RequestContext, id: string, input: AvailabilityZoneProfileUpdate,
): Promise<AvailabilityZoneProfile> {
  admin(ctx);
  refuseNulls(input);
  const touchesData = input.provider_name !== undefined || input.availability_zone_data !== undefined;
  const updated = await deps.store.transaction(async (tx) => {
    if (touchesData && (await tx.count('availability_zone', { availability_zone_profile_id: id })) > 0) throw inUse(id);
    const current = await tx.get('availability_zone_profile', id);
    if (!current) throw Errors.notFound(NOUN, id);
    const next = { ...current, ...defined(input) };
    if (touchesData) checkProfileData(next.provider_name, 'availability_zone', 'availability_zone_data', next.availability_zone_data);
    await tx.update('availability_zone_profile', id, defined(input));
    return next;
  });
  deps.log.info({ event: 'availability_zone_profile.update', availability_zone_profile_id: id });
  return updated;
}

export async function deleteAvailabilityZoneProfile(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<void> {
  admin(ctx);
  await deps.store.transaction(async (tx) => {
    if ((await tx.count('availability_zone', { availability_zone_profile_id: id })) > 0) throw inUse(id);
    if ((await tx.delete('availability_zone_profile', { id })) === 0) throw Errors.notFound(NOUN, id);
  });
  deps.log.info({ event: 'availability_zone_profile.delete', availability_zone_profile_id: id });
}

const inUse = (id: string) => Errors.conflict(`${NOUN} ${id} is in use and cannot be modified.`);
