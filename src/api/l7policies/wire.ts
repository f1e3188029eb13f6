// L7 policy bodies on the wire: what a POST and a PUT may carry, and what a response shows
// (Octavia's L7PolicyResponse: its rules by id, its rank on the listener as `position`).
import { Invalid, t, required } from '../schema.ts';
import type { Field } from '../schema.ts';
import { L7_POLICY_ACTIONS, REDIRECT_HTTP_CODES } from '../../domain/enums.ts';
import { MAX_POLICY_POSITION, MIN_POLICY_POSITION } from '../../domain/l7.ts';
import { isRedirectUrl } from '../../domain/l7-syntax.ts';
import type { L7PolicyView } from '../../service/l7policies.ts';
import { formatTime } from '../wire.ts';
import { l7ruleCreateFields } from '../l7rules/wire.ts';

/** An absolute http(s) URL as Octavia's URLType accepts it, within its 255-character column. */
const url = (): Field<string> => {
  const text = t.string({ max: 255 });
  return {
    parse(v, path) {
      if (!isRedirectUrl(text.parse(v, path))) throw new Invalid('Value must be a valid URL string');
      return v as string;
    },
  };
};

const position = () => t.int({ min: MIN_POLICY_POSITION, max: MAX_POLICY_POSITION });

export const l7policyPostShape = {
  name: t.string({ max: 255 }),
  description: t.string({ max: 255 }),
  // No default here: an explicit null means false (Octavia), absence means true (the service).
  admin_state_up: t.bool(),
  // Accepted for compatibility and ignored: a policy belongs to its load balancer's project.
  project_id: t.string({ max: 36 }),
  tenant_id: t.string({ max: 36 }),
  action: required(t.enum(L7_POLICY_ACTIONS)),
  redirect_pool_id: t.uuid(),
  redirect_url: url(),
  redirect_prefix: url(),
  // Absent means MAX_POLICY_POSITION: appended at the end of the listener's policies.
  position: position(),
  listener_id: required(t.uuid()),
  rules: t.array(t.object(l7ruleCreateFields)),
  tags: t.array(t.string({ max: 255 })),
  redirect_http_code: t.intEnum(REDIRECT_HTTP_CODES),
};

export const l7policyPutShape = {
  name: t.string({ max: 255 }),
  description: t.string({ max: 255 }),
  admin_state_up: t.bool(),
  action: t.enum(L7_POLICY_ACTIONS),
  redirect_pool_id: t.uuid(),
  redirect_url: url(),
  redirect_prefix: url(),
  position: position(),
  tags: t.array(t.string({ max: 255 })),
  redirect_http_code: t.intEnum(REDIRECT_HTTP_CODES),
};

export function l7policyToWire({ policy: p, position: rank, ruleIds }: L7PolicyView) {
  return {
    id: p.id,
    name: p.name ?? '',
    description: p.description ?? '',
    provisioning_status: p.provisioning_status,
    operating_status: p.operating_status,
    admin_state_up: p.admin_state_up,
    project_id: p.project_id,
    tenant_id: p.project_id,
    action: p.action,
    listener_id: p.listener_id,
    redirect_pool_id: p.redirect_pool_id,
    redirect_url: p.redirect_url,
    redirect_prefix: p.redirect_prefix,
    position: rank,
    rules: ruleIds.map((id) => ({ id })),
    created_at: formatTime(p.created_at),
    updated_at: formatTime(p.updated_at),
    tags: p.tags,
    redirect_http_code: p.redirect_http_code,
  };
}
