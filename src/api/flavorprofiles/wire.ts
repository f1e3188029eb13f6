// Flavor profile bodies on the wire.
import { t, required } from '../schema.ts';
import type { FlavorProfile } from '../../domain/entities.ts';

export const flavorProfilePostShape = {
  name: required(t.string({ max: 255 })),
  provider_name: required(t.string({ max: 255 })),
  flavor_data: required(t.string({ max: 4096 })),
};

export const flavorProfilePutShape = {
  name: t.string({ max: 255 }),
  provider_name: t.string({ max: 255 }),
  flavor_data: t.string({ max: 4096 }),
};

export function flavorProfileToWire(p: FlavorProfile) {
  return { id: p.id, name: p.name, provider_name: p.provider_name, flavor_data: p.flavor_data };
}
