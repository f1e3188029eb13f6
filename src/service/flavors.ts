// Flavors: named, operator-defined load balancer sizes built on a flavor profile. Everyone
// may read them; only admins write. Names are unique; a flavor a live load balancer uses
// cannot be deleted, and its profile never changes after creation.
import { randomUUID } from 'node:crypto';
import { Errors } from '../domain/errors.ts';
import { ProvisioningStatus as PS } from '../domain/enums.ts';
import type { Flavor } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { Store } from '../store/store.ts';
import type { ServiceDeps } from './deps.ts';
import { admin } from './flavorprofiles.ts';

export interface FlavorCreate {
  name: string;
  description?: string | null;
  enabled?: boolean;
  flavor_profile_id: string;
}

export interface FlavorUpdate {
  name?: string | null;
  description?: string | null;
  enabled?: boolean | null;
}

export async function listFlavors(deps: ServiceDeps, _ctx: RequestContext): Promise<Flavor[]> {
  return deps.store.find('flavor');
}

export async function getFlavor(deps: ServiceDeps, _ctx: RequestContext, id: string): Promise<Flavor> {
  const found = await deps.store.get('flavor', id);
  if (!found) throw Errors.notFound('Flavor', id);
  return found;
}

export async function createFlavor(deps: ServiceDeps, ctx: RequestContext, input: FlavorCreate): Promise<Flavor> {
  admin(ctx);
  const row: Flavor = {
    id: randomUUID(),
    name: input.name,
    description: input.description ?? '',
    enabled: input.enabled ?? true,
    flavor_profile_id: input.flavor_profile_id,
  };
  await unique(input.name, () => deps.store.transaction(async (tx) => {
    if (!(await tx.get('flavor_profile', input.flavor_profile_id))) {
      throw Errors.invalidField('flavor_profile_id', input.flavor_profile_id, 'Flavor profile not found.');
    }
    await nameFree(tx, input.name);
    await tx.insert('flavor', row);
  }));
  deps.log.info({ event: 'flavor.create', flavor_id: row.id, flavor_profile_id: row.flavor_profile_id });
  return row;
}

export async function updateFlavor(deps: ServiceDeps, ctx: RequestContext, id: string, input: FlavorUpdate): Promise<Flavor> {
  admin(ctx);
  if (input.name === null) throw Errors.invalidOption('None is not a valid option for name');
  const patch: Partial<Flavor> = {};
  if (input.name !== undefined) patch.name = input.name;
  if (input.description !== undefined) patch.description = input.description ?? '';
  if (input.enabled !== undefined && input.enabled !== null) patch.enabled = input.enabled;
  const updated = await unique(input.name ?? '', () => deps.store.transaction(async (tx) => {
    const current = await tx.get('flavor', id);
    if (!current) throw Errors.notFound('Flavor', id);
    if (patch.name !== undefined && patch.name !== current.name) await nameFree(tx, patch.name);
    await tx.update('flavor', id, patch);
    return { ...current, ...patch };
  }));
  deps.log.info({ event: 'flavor.update', flavor_id: id });
  return updated;
}

export async function deleteFlavor(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<void> {
  admin(ctx);
  await deps.store.transaction(async (tx) => {
    if (!(await tx.get('flavor', id))) throw Errors.notFound('Flavor', id);
    const users = await tx.count('load_balancer', { flavor_id: id });
    const gone = await tx.count('load_balancer', { flavor_id: id, provisioning_status: PS.DELETED });
    // DELETED load balancers are records of the past, not users (Octavia would refuse until they are purged).
    if (users - gone > 0) throw Errors.conflict(`Flavor ${id} is in use and cannot be modified.`);
    await tx.delete('flavor', { id });
  });
  deps.log.info({ event: 'flavor.delete', flavor_id: id });
}

async function nameFree(tx: Store, name: string): Promise<void> {
  if ((await tx.count('flavor', { name })) > 0) throw duplicate(name);
}

const duplicate = (name: string) => Errors.conflict(`A flavor of ${name} already exists.`);

/** Runs a write whose name check may lose a race on PostgreSQL: the unique index answers then. */
async function unique<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicate(name);
    throw err;
  }
}

/** A duplicate key from either database (better-sqlite3 or pg). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
