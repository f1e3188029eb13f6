// Flavor bodies on the wire.
import { t, required, withDefault } from '../schema.ts';
import type { Flavor } from '../../domain/entities.ts';

export const flavorPostShape = {
  name: required(t.string({ max: 255 })),
  description: t.string({ max: 255 }),
  enabled: withDefault(t.bool(), true),
  flavor_profile_id: required(t.uuid()),
};

/** The profile is fixed at creation: flavor_profile_id here is an unknown attribute (400). */
export const flavorPutShape = {
  name: t.string({ max: 255 }),
  description: t.string({ max: 255 }),
  enabled: t.bool(),
};

export function flavorToWire(f: Flavor) {
  return {
    id: f.id,
    name: f.name,
    description: f.description ?? '',
    enabled: f.enabled,
    flavor_profile_id: f.flavor_profile_id,
  };
}
