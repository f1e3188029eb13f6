// Health monitor operations. A pool has at most one monitor; every write goes through
// `underPool` (the pool must be ACTIVE and goes PENDING_UPDATE with its LB and listeners).
import { randomUUID } from 'node:crypto';
import { Errors } from '../domain/errors.ts';
import { OperatingStatus as OS, ProvisioningStatus as PS } from '../domain/enums.ts';
import type { HealthMonitorType } from '../domain/enums.ts';
import type { HealthMonitor, LoadBalancer, Pool } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { Store } from '../store/store.ts';
import type { ServiceDeps } from './deps.ts';
import { now } from './deps.ts';
import { load, visible } from './lock.ts';
import { checkQuota } from './quota.ts';
import { loadPool, LVS_PROTOCOLS, underPool } from './pools.ts';

/** Fields a health monitor body may carry (null = the client sent null). */
export interface HealthMonitorFields {
  name?: string | null;
  delay?: number | null;
  timeout?: number | null;
  max_retries?: number | null;
  max_retries_down?: number | null;
  http_method?: string | null;
  url_path?: string | null;
  expected_codes?: string | null;
  admin_state_up?: boolean | null;
  tags?: string[] | null;
  http_version?: number | null;
  domain_name?: string | null;
}

export interface HealthMonitorCreate extends HealthMonitorFields {
  type?: HealthMonitorType;
  pool_id?: string;
}

const HTTP_DEFAULTS = { http_method: 'GET', url_path: '/', expected_codes: '200' };
const HTTP_FIELDS = ['http_method', 'url_path', 'expected_codes'] as const;
const LVS_TYPES: readonly HealthMonitorType[] = ['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP'];
/** Octavia's api_settings.udp_connect_min_interval_health_monitor default. */
const UDP_CONNECT_MIN_DELAY = 3;

const isHttp = (type: HealthMonitorType) => type === 'HTTP' || type === 'HTTPS';

export async function getHealthMonitor(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<HealthMonitor> {
  return load(deps.store, ctx, 'health_monitor', id, 'Health Monitor');
}

export async function listHealthMonitors(deps: ServiceDeps, ctx: RequestContext): Promise<HealthMonitor[]> {
  const all = await deps.store.find('health_monitor', ctx.isAdmin ? {} : { project_id: ctx.projectId ?? '' });
  return all.filter((hm) => visible(ctx, hm.project_id));
}

export async function createHealthMonitor(deps: ServiceDeps, ctx: RequestContext, input: HealthMonitorCreate): Promise<HealthMonitor> {
  const pool = await loadPool(deps, ctx, input.pool_id as string);
  checkTypeForPool(pool, input.type as HealthMonitorType, input.delay);
  const hm = await underPool(deps, pool, (tx, lb, current) => insertHealthMonitor(tx, deps, lb, current, input));
  deps.log.info({ event: 'healthmonitor.create', health_monitor_id: hm.id, pool_id: pool.id });
  return hm;
}

/**
 * Validates and inserts a pool's monitor PENDING_CREATE inside a locked transaction:
 * quota, one monitor per pool, the type's rules. Shared with pool creation.
 */
export async function insertHealthMonitor(
  tx: Store, deps: ServiceDeps, _lb: LoadBalancer, pool: Pool, input: HealthMonitorCreate,
): Promise<HealthMonitor> {
  const type = input.type as HealthMonitorType;
  checkTypeForPool(pool, type, input.delay);
  const fields = createFields(type, input);
  await checkQuota(tx, deps.config.quotas, pool.project_id, 'health_monitor');
  if ((await tx.count('health_monitor', { pool_id: pool.id })) > 0) {
    throw Errors.conflict('This pool already has a health monitor');
  }
  const row: HealthMonitor = {
    id: randomUUID(),
    project_id: pool.project_id,
    name: input.name ?? null,
    description: null,
    admin_state_up: input.admin_state_up ?? true,
    provisioning_status: PS.PENDING_CREATE,
    operating_status: OS.OFFLINE,
    tags: input.tags ?? [],
    created_at: now(),
    updated_at: null,
    load_balancer_id: pool.load_balancer_id,
    pool_id: pool.id,
    type,
    delay: input.delay as number,
    timeout: input.timeout as number,
    max_retries: input.max_retries as number,
    max_retries_down: input.max_retries_down ?? 3,
    http_version: input.http_version ?? null,
    domain_name: input.domain_name ?? null,
    ...fields,
  };
  await tx.insert('health_monitor', row);
  return row;
}

/** UDP and SCTP pools take four monitor types (UDP-CONNECT with a minimum delay); others refuse the L4-only two. */
function checkTypeForPool(pool: Pool, type: HealthMonitorType, delay: number | null | undefined): void {
  if (LVS_PROTOCOLS.includes(pool.protocol)) {
    if (!LVS_TYPES.includes(type)) {
      throw Errors.validation(`The associated pool protocol is ${pool.protocol}, so only a ${LVS_TYPES.join('/')} health monitor is supported.`);
    }
    if (type === 'UDP-CONNECT' && typeof delay === 'number' && delay < UDP_CONNECT_MIN_DELAY) {
      throw Errors.validation(`The request delay value ${delay} should be larger than ${UDP_CONNECT_MIN_DELAY} for UDP-CONNECT health monitor type.`);
    }
  } else if (type === 'UDP-CONNECT' || type === 'SCTP') {
    throw Errors.validation(`The ${type} type is only supported for pools of type UDP/SCTP.`);
  }
}

/** The HTTP fields of a new monitor: defaults for HTTP(S), refused for the other types. */
function createFields(type: HealthMonitorType, input: HealthMonitorFields) {
  if (!isHttp(type)) {
    for (const f of HTTP_FIELDS) if (input[f]) throw notForType(f, type);
  }
  checkDomainName(input.domain_name, input.http_version, true);
  return {
    http_method: input.http_method || (isHttp(type) ? HTTP_DEFAULTS.http_method : null),
    url_path: input.url_path || (isHttp(type) ? HTTP_DEFAULTS.url_path : null),
    expected_codes: input.expected_codes || (isHttp(type) ? HTTP_DEFAULTS.expected_codes : null),
  };
}

/** A domain name needs HTTP/1.1 (`http_version` given on create, or set already on update). */
function checkDomainName(domain: string | null | undefined, version: number | null | undefined, needVersion: boolean): void {
  if (domain && !version && needVersion) {
    throw Errors.validation("'http_version' must be specified when 'domain_name' is provided.");
  }
  if (domain && version && version < 1.1) {
    throw Errors.invalidOption(`http_version ${version.toFixed(1)} is not a valid option for health monitors HTTP 1.1 domain name health check`);
  }
}

function notForType(field: string, type: string) {
  return Errors.invalidOption(`${field} is not a valid option for health monitors of type ${type}`);
}

export async function updateHealthMonitor(
  deps: ServiceDeps, ctx: RequestContext, id: string, input: HealthMonitorFields,
): Promise<HealthMonitor> {
  const hm = await getHealthMonitor(deps, ctx, id);
  const pool = await loadPool(deps, ctx, hm.pool_id);
  const patch = monitorPatch(hm, input);
  if (LVS_PROTOCOLS.includes(pool.protocol)) checkTypeForPool(pool, hm.type, input.delay);
  await underPool(deps, pool, async (tx) => {
    await tx.update('health_monitor', id, { ...patch, provisioning_status: PS.PENDING_UPDATE, updated_at: now() });
  });
  deps.log.info({ event: 'healthmonitor.update', health_monitor_id: id, pool_id: pool.id });
  return (await deps.store.get('health_monitor', id)) as HealthMonitor;
}

/** A PUT's changes after Octavia's rules: the timing fields cannot be cleared; null resets the HTTP ones. */
function monitorPatch(hm: HealthMonitor, input: HealthMonitorFields): Partial<HealthMonitor> {
  if (!isHttp(hm.type)) {
    for (const f of HTTP_FIELDS) if (input[f] !== undefined) throw notForType(f, hm.type);
  }
  for (const f of ['delay', 'max_retries', 'timeout'] as const) {
    if (input[f] === null) throw Errors.invalidOption(`None is not a valid option for ${f}`);
  }
  if (input.domain_name && !(hm.http_version || input.http_version)) checkDomainName(input.domain_name, null, true);
  if (hm.http_version || input.http_version) {
    checkDomainName(input.domain_name || hm.domain_name, input.http_version || hm.http_version, false);
  }
  const patch: Partial<HealthMonitor> = {};
  for (const f of ['name', 'domain_name', 'http_version', 'delay', 'timeout', 'max_retries'] as const) {
    if (input[f] !== undefined) (patch as Record<string, unknown>)[f] = input[f];
  }
  for (const f of HTTP_FIELDS) if (input[f] !== undefined) patch[f] = input[f] ?? HTTP_DEFAULTS[f];
  if (input.max_retries_down !== undefined) patch.max_retries_down = input.max_retries_down ?? 3;
  // Octavia reads a null admin_state_up as false and leaves tags alone on null.
  if (input.admin_state_up !== undefined) patch.admin_state_up = input.admin_state_up ?? false;
  if (input.tags !== undefined && input.tags !== null) patch.tags = input.tags;
  return patch;
}

export async function deleteHealthMonitor(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<void> {
  const hm = await getHealthMonitor(deps, ctx, id);
  const pool = await loadPool(deps, ctx, hm.pool_id);
  await underPool(deps, pool, async (tx) => {
    await tx.update('health_monitor', id, { provisioning_status: PS.PENDING_DELETE, updated_at: now() });
    // Octavia's delete flow sets the pool's members NO_MONITOR once the monitor is gone; the
    // worker here settles provisioning status only, so the API does it with the delete.
    await tx.updateWhere('member', { pool_id: pool.id }, { operating_status: OS.NO_MONITOR });
  });
  deps.log.info({ event: 'healthmonitor.delete', health_monitor_id: id, pool_id: pool.id });
}
