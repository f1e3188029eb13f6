// Health monitor bodies on the wire: what a POST and a PUT may carry, and what a response shows.
import { Invalid, t, required, withDefault } from '../schema.ts';
import type { Field } from '../schema.ts';
import { HEALTH_MONITOR_TYPES, HTTP_METHODS, HTTP_VERSIONS } from '../../domain/enums.ts';
import type { HealthMonitor } from '../../domain/entities.ts';
import { formatTime } from '../wire.ts';

/** A string that must match a pattern; the refusal names the pattern, as WSME's does. */
export function matching(f: Field<string>, pattern: RegExp, source = pattern.source): Field<string> {
  return {
    ...f,
    parse(value, path) {
      const s = f.parse(value, path);
      if (!pattern.test(s)) throw new Invalid(`Value should match the pattern ${source}`);
      return s;
    },
  };
}

const EXPECTED_CODES = String.raw`^(\d{3}(\s*,\s*\d{3})*)$|^(\d{3}-\d{3})$`;
const DOMAIN_NAME = String.raw`^(?=.{1,253}\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9-_]{1,63}(?<!-)(?:\.|$))+$`;

/**
 * A URL path as Octavia's url_path check takes it: starts with '/', no whitespace, no
 * authority ('//host'), no brackets in the path part. Control characters are refused too,
 * because the value ends up in the load balancer's configuration.
 */
export function isUrlPath(v: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (!v.startsWith('/') || /\s|[\x00-\x1f\x7f]/.test(v)) return false;
  const path = v.split(/[?#]/, 1)[0];
  if (/[[\]]/.test(path)) return false;
  if (path.startsWith('//')) return path.slice(2).split('/', 1)[0] === '';
  return true;
}

const urlPath: Field<string> = {
  parse(value, path) {
    const s = t.string().parse(value, path);
    if (!isUrlPath(s)) throw new Invalid('Value must be a valid URL Path string');
    return s;
  },
};

const common = {
  name: t.string({ max: 255 }),
  http_method: t.enum(HTTP_METHODS),
  url_path: urlPath,
  expected_codes: matching(t.string(), new RegExp(EXPECTED_CODES), EXPECTED_CODES),
  tags: t.array(t.string({ max: 255 })),
  http_version: t.float(HTTP_VERSIONS),
  domain_name: matching(t.string({ min: 1, max: 255 }), new RegExp(DOMAIN_NAME), DOMAIN_NAME),
};

/** A health monitor nested in a pool body (Octavia's HealthMonitorSingleCreate). */
export const hmSingleCreateShape = {
  ...common,
  type: required(t.enum(HEALTH_MONITOR_TYPES)),
  delay: required(t.int({ min: 0 })),
  timeout: required(t.int({ min: 0 })),
  max_retries_down: withDefault(t.int({ min: 1, max: 10 }), 3),
  max_retries: required(t.int({ min: 1, max: 10 })),
  admin_state_up: withDefault(t.bool(), true),
};

export const hmPostShape = {
  ...hmSingleCreateShape,
  pool_id: required(t.uuid()),
  project_id: t.string({ max: 36 }),
  tenant_id: t.string({ max: 36 }),
};

export const hmPutShape = {
  ...common,
  delay: t.int({ min: 0 }),
  timeout: t.int({ min: 0 }),
  max_retries_down: t.int({ min: 1, max: 10 }),
  max_retries: t.int({ min: 1, max: 10 }),
  admin_state_up: t.bool(),
};

export function healthMonitorToWire(hm: HealthMonitor) {
  return {
    id: hm.id,
    name: hm.name ?? '',
    type: hm.type,
    delay: hm.delay,
    timeout: hm.timeout,
    max_retries: hm.max_retries,
    max_retries_down: hm.max_retries_down,
    http_method: hm.http_method,
    url_path: hm.url_path,
    expected_codes: hm.expected_codes,
    admin_state_up: hm.admin_state_up,
    project_id: hm.project_id,
    tenant_id: hm.project_id,
    pools: [{ id: hm.pool_id }],
    provisioning_status: hm.provisioning_status,
    operating_status: hm.operating_status,
    created_at: formatTime(hm.created_at),
    updated_at: formatTime(hm.updated_at),
    tags: hm.tags,
    http_version: hm.http_version,
    domain_name: hm.domain_name,
  };
}
