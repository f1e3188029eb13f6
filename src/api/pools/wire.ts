// Pool bodies on the wire: what a POST and a PUT may carry, and what a response shows.
import { Invalid, t, required, withDefault } from '../schema.ts';
import type { Field } from '../schema.ts';
import { ALPN_PROTOCOLS, LB_ALGORITHMS, POOL_PROTOCOLS, SESSION_PERSISTENCE_TYPES } from '../../domain/enums.ts';
import type { PoolView } from '../../service/pools.ts';
import { formatTime } from '../wire.ts';
import { hmSingleCreateShape, matching } from '../healthmonitors/wire.ts';
import { memberSingleCreateShape } from '../members/wire.ts';

const COOKIE_NAME = String.raw`^[^\s,;\\]+$`;

const alpnProtocol: Field<string> = {
  parse(value) {
    if (typeof value !== 'string' || !(ALPN_PROTOCOLS as readonly string[]).includes(value)) {
      throw new Invalid('Value should be a valid ALPN protocol ID');
    }
    return value;
  },
};

const spFields = {
  cookie_name: matching(t.string({ max: 255 }), new RegExp(COOKIE_NAME), COOKIE_NAME),
  persistence_timeout: t.int(),
  persistence_granularity: t.ip(),
};
export const spPostShape = { type: required(t.enum(SESSION_PERSISTENCE_TYPES)), ...spFields };
export const spPutShape = { type: t.enum(SESSION_PERSISTENCE_TYPES), ...spFields };

const tlsFields = {
  tls_container_ref: t.string({ max: 255 }),
  ca_tls_container_ref: t.string({ max: 255 }),
  crl_container_ref: t.string({ max: 255 }),
  tls_ciphers: t.string({ max: 2048 }),
  tls_versions: t.array(t.string({ max: 32 })),
  alpn_protocols: t.array(alpnProtocol),
};

export const poolPostShape = {
  name: t.string({ max: 255 }),
  description: t.string({ max: 255 }),
  admin_state_up: withDefault(t.bool(), true),
  listener_id: t.uuid(),
  loadbalancer_id: t.uuid(),
  protocol: required(t.enum(POOL_PROTOCOLS)),
  lb_algorithm: required(t.enum(LB_ALGORITHMS)),
  session_persistence: t.object(spPostShape),
  project_id: t.string({ max: 36 }),
  tenant_id: t.string({ max: 36 }),
  healthmonitor: t.object(hmSingleCreateShape),
  members: t.array(t.object(memberSingleCreateShape)),
  tags: t.array(t.string({ max: 255 })),
  tls_enabled: withDefault(t.bool(), false),
  ...tlsFields,
};

export const poolPutShape = {
  name: t.string({ max: 255 }),
  description: t.string({ max: 255 }),
  admin_state_up: t.bool(),
  lb_algorithm: t.enum(LB_ALGORITHMS),
  session_persistence: t.object(spPutShape),
  tags: t.array(t.string({ max: 255 })),
  tls_enabled: t.bool(),
  ...tlsFields,
};

export function poolToWire({ pool: p, listenerIds, memberIds, healthMonitorId }: PoolView) {
  const sp = p.session_persistence;
  return {
    id: p.id,
    name: p.name ?? '',
    description: p.description ?? '',
    provisioning_status: p.provisioning_status,
    operating_status: p.operating_status,
    admin_state_up: p.admin_state_up,
    protocol: p.protocol,
    lb_algorithm: p.lb_algorithm,
    session_persistence: sp ? {
      type: sp.type,
      cookie_name: sp.cookie_name,
      persistence_timeout: sp.persistence_timeout,
      persistence_granularity: sp.persistence_granularity,
    } : null,
    project_id: p.project_id,
    tenant_id: p.project_id,
    loadbalancers: [{ id: p.load_balancer_id }],
    listeners: listenerIds.map((id) => ({ id })),
    created_at: formatTime(p.created_at),
    updated_at: formatTime(p.updated_at),
    // Octavia leaves the key out (WSME's Unset) when the pool has no health monitor.
    ...(healthMonitorId ? { healthmonitor_id: healthMonitorId } : {}),
    members: memberIds.map((id) => ({ id })),
    tags: p.tags,
    tls_container_ref: p.tls_container_ref,
    ca_tls_container_ref: p.ca_tls_container_ref,
    crl_container_ref: p.crl_container_ref,
    tls_enabled: p.tls_enabled,
    tls_ciphers: p.tls_ciphers,
    tls_versions: p.tls_versions,
    alpn_protocols: p.alpn_protocols,
  };
}
