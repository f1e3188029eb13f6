// Availability zones: named placements built on an availability zone profile, keyed by
// name. Everyone may read them; only admins write. Only description and enabled change
// after creation; a zone a live load balancer uses cannot be deleted.
import { Errors } from '../domain/errors.ts';
import { ProvisioningStatus as PS } from '../domain/enums.ts';
import type { AvailabilityZone } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { ServiceDeps } from './deps.ts';
import { admin } from './flavorprofiles.ts';
import { isUniqueViolation } from './flavors.ts';

export interface AvailabilityZoneCreate {
  name: string;
  description?: string | null;
  enabled?: boolean;
  availability_zone_profile_id: string;
}

export interface AvailabilityZoneUpdate {
  description?: string | null;
  enabled?: boolean | null;
}

const NOUN = 'Availability Zone';

export async function listAvailabilityZones(deps: ServiceDeps, _ctx: RequestContext): Promise<AvailabilityZone[]> {
  return deps.store.find('availability_zone');
}

export async function getAvailabilityZone(deps: ServiceDeps, _ctx: RequestContext, name: string): Promise<AvailabilityZone> {
  const found = await deps.store.get('availability_zone', name);
  if (!found) throw Errors.notFound(NOUN, name);
  return found;
}

export async function createAvailabilityZone(
  deps: ServiceDeps, ctx: RequestContext, input: AvailabilityZoneCreate,
): Promise<AvailabilityZone> {
  admin(ctx);
  const row: AvailabilityZone = {
    name: input.name,
    description: input.description ?? '',
    enabled: input.enabled ?? true,
    availability_zone_profile_id: input.availability_zone_profile_id,
  };
  try {
    await deps.store.transaction(async (tx) => {
      if (!(await tx.get('availability_zone_profile', input.availability_zone_profile_id))) {
        throw Errors.invalidField('availability_zone_profile_id', input.availability_zone_profile_id, 'Availability zone profile not found.');
      }
      if (await tx.get('availability_zone', input.name)) throw duplicate(input.name);
      await tx.insert('availability_zone', row);
    });
  } catch (err) {
    // Two parallel creates on PostgreSQL: the primary key answers for the loser.
    throw isUniqueViolation(err) ? duplicate(input.name) : err;
  }
  deps.log.info({ event: 'availability_zone.create', availability_zone: row.name });
  return row;
}

export async function updateAvailabilityZone(
  deps: ServiceDeps, ctx: RequestContext, name: string, input: AvailabilityZoneUpdate,
): Promise<AvailabilityZone> {
  admin(ctx);
  const patch: Partial<AvailabilityZone> = {};
  if (input.description !== undefined) patch.description = input.description ?? '';
  if (input.enabled !== undefined && input.enabled !== null) patch.enabled = input.enabled;
  const updated = await deps.store.transaction(async (tx) => {
    const current = await tx.get('availability_zone', name);
    if (!current) throw Errors.notFound(NOUN, name);
    await tx.update('availability_zone', name, patch);
    return { ...current, ...patch };
  });
  deps.log.info({ event: 'availability_zone.update', availability_zone: name });
  return updated;
}

export async function deleteAvailabilityZone(deps: ServiceDeps, ctx: RequestContext, name: string): Promise<void> {
  admin(ctx);
  await deps.store.transaction(async (tx) => {
    if (!(await tx.get('availability_zone', name))) throw Errors.notFound(NOUN, name);
    const users = await tx.count('load_balancer', { availability_zone: name });
    const gone = await tx.count('load_balancer', { availability_zone: name, provisioning_status: PS.DELETED });
    if (users - gone > 0) throw Errors.conflict(`${NOUN} ${name} is in use and cannot be modified.`);
    await tx.delete('availability_zone', { name });
  });
  deps.log.info({ event: 'availability_zone.delete', availability_zone: name });
}

const duplicate = (name: string) => Errors.conflict(`A availability zone of ${name} already exists.`);
