// Member operations, always under one pool (/pools/{pool_id}/members). Every write goes
// through `underPool`: the pool must be ACTIVE, and it goes PENDING_UPDATE with its LB and
// the listeners using it. The batch PUT replaces the pool's member set in one lock.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { Errors } from '../domain/errors.ts';
import { OperatingStatus as OS, ProvisioningStatus as PS } from '../domain/enums.ts';
import { MUTABLE } from '../domain/status.ts';
import type { LoadBalancer, Member, Pool } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { Store } from '../store/store.ts';
import type { ServiceDeps } from './deps.ts';
import { now } from './deps.ts';
import { load } from './lock.ts';
import { checkQuota } from './quota.ts';
import { loadPool, LVS_PROTOCOLS, providerChecks, providerRefusal, underPool } from './pools.ts';

/** Fields a member PUT may carry (null = the client sent null). */
export interface MemberFields {
  name?: string | null;
  admin_state_up?: boolean | null;
  weight?: number | null;
  backup?: boolean | null;
  monitor_port?: number | null;
  monitor_address?: string | null;
  tags?: string[] | null;
}

export interface MemberCreate extends MemberFields {
  address?: string;
  protocol_port?: number;
  subnet_id?: string | null;
}

/** Octavia's networking.reserved_ips default: the metadata address is never a member. */
const RESERVED_IPS = ['169.254.169.254'];

export async function listMembers(deps: ServiceDeps, ctx: RequestContext, poolId: string): Promise<Member[]> {
  await pathPool(deps, ctx, poolId);
  return deps.store.find('member', { pool_id: poolId });
}

/**
 * The pool in a /pools/{pool_id}/members path. Octavia's router looks it up before any
 * member handler runs and answers a missing one from its HTTP layer (not a fault body).
 */
async function pathPool(deps: ServiceDeps, ctx: RequestContext, poolId: string): Promise<Pool> {
  if (!(await deps.store.get('pool', poolId))) throw Errors.parentNotFound('Pool', poolId);
  return loadPool(deps, ctx, poolId);
}

/** A member of this pool: one of another pool is not found here, as in Octavia. */
export async function getMember(deps: ServiceDeps, ctx: RequestContext, poolId: string, id: string): Promise<Member> {
  return memberOf(deps, ctx, await pathPool(deps, ctx, poolId), id);
}

async function memberOf(deps: ServiceDeps, ctx: RequestContext, pool: Pool, id: string): Promise<Member> {
  const member = await load(deps.store, ctx, 'member', id, 'Member');
  if (member.pool_id !== pool.id) throw Errors.notFound('Member', id);
  return member;
}

export async function createMember(deps: ServiceDeps, ctx: RequestContext, poolId: string, input: MemberCreate): Promise<Member> {
  const pool = await pathPool(deps, ctx, poolId);
  checkAddress(input.address as string);
  await checkSubnets(deps.store, pool, [input]);
  const member = await underPool(deps, pool, async (tx, lb, current, listenerIds) => {
    await checkQuota(tx, deps.config.quotas, current.project_id, 'member');
    const [row] = await insertMembers(tx, lb, current, [input], listenerIds);
    return row;
  });
  deps.log.info({ event: 'member.create', member_id: member.id, pool_id: poolId });
  return member;
}

/**
 * Validates and inserts members PENDING_CREATE inside a locked transaction (the caller has
 * checked the quota): one address and port per pool, the provider's address-family rule.
 * Shared with pool creation.
 */
export async function insertMembers(
  tx: Store, lb: LoadBalancer, pool: Pool, inputs: MemberCreate[], listenerIds: string[],
): Promise<Member[]> {
  inputs.forEach((m) => checkAddress(m.address as string));
  const existing = await tx.find('member', { pool_id: pool.id });
  const taken = new Set(existing.map((m) => memberKey(m)));
  for (const m of inputs) {
    const key = memberKey(m);
    if (taken.has(key)) throw duplicate(m);
    taken.add(key);
  }
  checkFamilies(lb, pool, listenerIds, inputs.map((m) => m.address as string));
  const monitored = (await tx.count('health_monitor', { pool_id: pool.id })) > 0;
  const rows = inputs.map((m) => newMember(pool, m, monitored));
  for (const row of rows) await tx.insert('member', row);
  return rows;
}

function newMember(pool: Pool, m: MemberCreate, monitored: boolean): Member {
  return {
    id: randomUUID(),
    project_id: pool.project_id,
    name: m.name ?? null,
    description: null,
    admin_state_up: m.admin_state_up ?? true,
    provisioning_status: PS.PENDING_CREATE,
    // db/prepare.py: OFFLINE until a monitor reports, NO_MONITOR when there is none.
    operating_status: monitored ? OS.OFFLINE : OS.NO_MONITOR,
    tags: m.tags ?? [],
    created_at: now(),
    updated_at: null,
    load_balancer_id: pool.load_balancer_id,
    pool_id: pool.id,
    address: m.address as string,
    protocol_port: m.protocol_port as number,
    weight: m.weight ?? 1,
    backup: m.backup ?? false,
    subnet_id: m.subnet_id ?? null,
    monitor_address: m.monitor_address ?? null,
    monitor_port: m.monitor_port ?? null,
  };
}

export async function updateMember(
  deps: ServiceDeps, ctx: RequestContext, poolId: string, id: string, input: MemberFields,
): Promise<Member> {
  const pool = await pathPool(deps, ctx, poolId);
  const member = await memberOf(deps, ctx, pool, id);
  await underPool(deps, pool, async (tx) => {
    await tx.update('member', id, { ...memberPatch(input), provisioning_status: PS.PENDING_UPDATE, updated_at: now() });
  });
  deps.log.info({ event: 'member.update', member_id: id, pool_id: poolId });
  return (await deps.store.get('member', member.id)) as Member;
}

/** A PUT's changes: null resets weight and backup to their defaults, admin_state_up to false. */
function memberPatch(input: MemberFields): Partial<Member> {
  const patch: Partial<Member> = {};
  if (input.name !== undefined) patch.name = input.name;
  if (input.admin_state_up !== undefined) patch.admin_state_up = input.admin_state_up ?? false;
  if (input.weight !== undefined) patch.weight = input.weight ?? 1;
  if (input.backup !== undefined) patch.backup = input.backup ?? false;
  if (input.monitor_port !== undefined) patch.monitor_port = input.monitor_port;
  if (input.monitor_address !== undefined) patch.monitor_address = input.monitor_address;
  // Octavia leaves tags alone when null is sent.
  if (input.tags !== undefined && input.tags !== null) patch.tags = input.tags;
  return patch;
}

export async function deleteMember(deps: ServiceDeps, ctx: RequestContext, poolId: string, id: string): Promise<void> {
  const pool = await pathPool(deps, ctx, poolId);
  await memberOf(deps, ctx, pool, id);
  await underPool(deps, pool, async (tx) => {
    await tx.update('member', id, { provisioning_status: PS.PENDING_DELETE, updated_at: now() });
  });
  deps.log.info({ event: 'member.delete', member_id: id, pool_id: poolId });
}

/**
 * The batch PUT: the pool's members become the given set. Entries matched by address and
 * port update the existing member, new ones are created, the missing ones are deleted
 * (left alone with `additive_only`). A batch that changes nothing answers without locking.
 */
export async function batchUpdateMembers(
  deps: ServiceDeps, ctx: RequestContext, poolId: string, entries: MemberCreate[], additiveOnly: boolean,
): Promise<void> {
  const pool = await pathPool(deps, ctx, poolId);
  const before = new Set((await deps.store.find('member', { pool_id: poolId })).map(memberKey));
  if (entries.length === 0 && before.size === 0) return refuseIfLocked(deps.store, pool);
  // Subnets are checked for new members only (a member's subnet never changes), before the lock.
  await checkSubnets(deps.store, pool, entries.filter((m) => !before.has(memberKey(m))));
  await underPool(deps, pool, async (tx, lb, current, listenerIds) => {
    const existing = new Map((await tx.find('member', { pool_id: poolId })).map((m) => [memberKey(m), m]));
    const wanted = new Set(entries.map((m) => memberKey(m)));
    const created = entries.filter((m) => !existing.has(memberKey(m)));
    const updated = entries.filter((m) => existing.has(memberKey(m)));
    const missing = [...existing.values()].filter((m) => !wanted.has(memberKey(m)));
    const growth = additiveOnly ? created.length : created.length - missing.length;
    if (growth > 0) await checkQuota(tx, deps.config.quotas, current.project_id, 'member', growth);
    const kept = additiveOnly ? missing.map((m) => m.address) : [];
    checkFamilies(lb, current, listenerIds, [...entries.map((m) => m.address as string), ...kept]);
    if (created.length > 0) await insertMembers(tx, lb, current, created, listenerIds);
    for (const m of updated) {
      const id = existing.get(memberKey(m))!.id;
      await tx.update('member', id, { ...batchPatch(m), provisioning_status: PS.PENDING_UPDATE, updated_at: now() });
    }
    if (!additiveOnly) {
      for (const m of missing) await tx.update('member', m.id, { provisioning_status: PS.PENDING_DELETE, updated_at: now() });
    }
  });
  deps.log.info({ event: 'member.batch_update', pool_id: poolId, members: entries.length, additive_only: additiveOnly });
}

/** A batch entry updating a member: like a POST, absent fields take their defaults. */
function batchPatch(m: MemberCreate): Partial<Member> {
  const patch: Partial<Member> = {
    admin_state_up: m.admin_state_up ?? true,
    weight: m.weight ?? 1,
    backup: m.backup ?? false,
    monitor_address: m.monitor_address ?? null,
    monitor_port: m.monitor_port ?? null,
  };
  if (m.name !== undefined) patch.name = m.name;
  if (m.subnet_id !== undefined) patch.subnet_id = m.subnet_id;
  if (m.tags !== undefined && m.tags !== null) patch.tags = m.tags;
  return patch;
}

/** A no-op batch still refuses, as Octavia's takes the locks before it finds nothing to do. */
async function refuseIfLocked(store: Store, pool: Pool): Promise<void> {
  if (pool.provisioning_status !== PS.ACTIVE) throw Errors.immutable('Pool', pool.id);
  const lb = await store.get('load_balancer', pool.load_balancer_id);
  if (!lb || lb.provisioning_status === PS.DELETED) throw Errors.notFound('Load Balancer', pool.load_balancer_id);
  if (!MUTABLE.includes(lb.provisioning_status)) throw Errors.immutable('Load Balancer', lb.id);
}

function memberKey(m: { address?: string; protocol_port?: number }): string {
  return `${m.address}|${m.protocol_port}`;
}

function duplicate(m: MemberCreate) {
  return Errors.conflict(`Another member on this pool is already using ip ${m.address} on protocol_port ${m.protocol_port}`);
}

function checkAddress(address: string): void {
  // The reserved list holds IPv4 addresses, which isIP-valid input spells one way only.
  if (RESERVED_IPS.includes(address)) throw Errors.invalidOption(`${address} is not a valid option for member address`);
}

/**
 * Member subnets must exist in the network model (Octavia asks Neutron). The noop provider
 * stands for Octavia's noop network driver, which knows every subnet, as its VIPs do.
 */
async function checkSubnets(store: Store, pool: Pool, members: MemberCreate[]): Promise<void> {
  const wanted = [...new Set(members.map((m) => m.subnet_id).filter((s): s is string => !!s))];
  if (wanted.length === 0) return;
  const lb = await store.get('load_balancer', pool.load_balancer_id);
  if (lb && !providerChecks(lb)) return;
  const known = new Set((await store.subnets()).map((s) => s.id));
  const missing = wanted.find((id) => !known.has(id));
  if (missing) throw Errors.invalidOption(`Subnet ${missing} not found.`);
}

/**
 * The amphora provider's rule for UDP and SCTP pools in use by a listener: each member's
 * address family must be one the load balancer has a VIP in.
 */
function checkFamilies(lb: LoadBalancer, pool: Pool, listenerIds: string[], addresses: string[]): void {
  if (!providerChecks(lb) || !LVS_PROTOCOLS.includes(pool.protocol) || listenerIds.length === 0) return;
  const vips = [lb.vip_address, ...lb.additional_vips.map((v) => v.ip_address)].filter((a): a is string => !!a);
  const families = new Set(vips.map((a) => isIP(a)));
  if (addresses.some((a) => !families.has(isIP(a)))) {
    throw providerRefusal(lb, "This provider doesn't support mixing IPv4 and IPv6 addresses for its VIP and members "
      + `in ${pool.protocol} load balancers.`);
  }
}
