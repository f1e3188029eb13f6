// Quota bodies on the wire. Octavia accepts both spellings of the load balancer and health
// monitor limits (the new `loadbalancer`/`healthmonitor` win when both are sent); a single
// quota answers with the old spellings only, the list with both, exactly as Octavia 11 does.
import { t } from '../schema.ts';
import type { Quota } from '../../domain/entities.ts';
import type { QuotaDefaults } from '../../config.ts';
import type { QuotaUpdate } from '../../service/quotas.ts';

/** Octavia's MIN_QUOTA (-1, unlimited) and MAX_QUOTA. */
const limit = () => t.int({ min: -1, max: 2000000000 });

export const quotaPutShape = {
  loadbalancer: limit(),
  load_balancer: limit(),
  listener: limit(),
  member: limit(),
  pool: limit(),
  healthmonitor: limit(),
  health_monitor: limit(),
  l7policy: limit(),
  l7rule: limit(),
};

type QuotaPut = { [K in keyof typeof quotaPutShape]?: number | null };

export function quotaUpdate(body: QuotaPut): QuotaUpdate {
  return {
    load_balancer: body.loadbalancer !== undefined ? body.loadbalancer : body.load_balancer,
    listener: body.listener,
    pool: body.pool,
    member: body.member,
    health_monitor: body.healthmonitor !== undefined ? body.healthmonitor : body.health_monitor,
    l7policy: body.l7policy,
    l7rule: body.l7rule,
  };
}

/** GET/PUT /quotas/{project_id} and the defaults. */
export function quotaToWire(q: QuotaDefaults) {
  return {
    load_balancer: q.load_balancer,
    listener: q.listener,
    member: q.member,
    pool: q.pool,
    health_monitor: q.health_monitor,
    l7policy: q.l7policy,
    l7rule: q.l7rule,
  };
}

/** One entry of GET /quotas: the project's own limits (null = default), under both spellings. */
export function quotaListItemToWire(q: Quota) {
  return {
    project_id: q.project_id,
    tenant_id: q.project_id,
    loadbalancer: q.load_balancer,
    load_balancer: q.load_balancer,
    listener: q.listener,
    member: q.member,
    pool: q.pool,
    healthmonitor: q.health_monitor,
    health_monitor: q.health_monitor,
    l7policy: q.l7policy,
    l7rule: q.l7rule,
  };
}
