// Availability zone bodies on the wire.
import { t, required, withDefault } from '../schema.ts';
import type { AvailabilityZone } from '../../domain/entities.ts';

export const azPostShape = {
  name: required(t.string({ max: 255 })),
  description: t.string({ max: 255 }),
  enabled: withDefault(t.bool(), true),
  availability_zone_profile_id: required(t.uuid()),
};

/** The name is the key and the profile is fixed: only these two change. */
export const azPutShape = {
  description: t.string({ max: 255 }),
  enabled: t.bool(),
};

export function azToWire(z: AvailabilityZone) {
  return {
    name: z.name,
    description: z.description ?? '',
    enabled: z.enabled,
    availability_zone_profile_id: z.availability_zone_profile_id,
  };
}
