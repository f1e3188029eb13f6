// Availability zone profile bodies on the wire.
import { t, required } from '../schema.ts';
import type { AvailabilityZoneProfile } from '../../domain/entities.ts';

export const azProfilePostShape = {
  name: required(t.string({ max: 255 })),
  provider_name: required(t.string({ max: 255 })),
  availability_zone_data: required(t.string({ max: 4096 })),
};

export const azProfilePutShape = {
  name: t.string({ max: 255 }),
  provider_name: t.string({ max: 255 }),
  availability_zone_data: t.string({ max: 4096 }),
};

export function azProfileToWire(p: AvailabilityZoneProfile) {
  return { id: p.id, name: p.name, provider_name: p.provider_name, availability_zone_data: p.availability_zone_data };
}
