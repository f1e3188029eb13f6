// L7 rule bodies on the wire: what a POST and a PUT may carry, and what a response shows
// (Octavia's L7RuleResponse: no l7policy_id, since the path names the policy).
import { Invalid, t, required } from '../schema.ts';
import type { Field } from '../schema.ts';
import { L7_COMPARE_TYPES, L7_RULE_TYPES } from '../../domain/enums.ts';
import type { L7Rule } from '../../domain/entities.ts';
import { formatTime } from '../wire.ts';

/** A key or value: at most 255 characters on one line, as Octavia's pattern ^[^\r\n]*$ demands. */
const oneLine = (): Field<string> => {
  const text = t.string({ max: 255 });
  return {
    parse(v, path) {
      const s = text.parse(v, path);
      if (/[\r\n]/.test(s)) throw new Invalid('Value should match the pattern ^[^\\r\\n]*$');
      return s;
    },
  };
};

/** A rule as it may appear in a POST, standalone or inside a policy's `rules`. */
export const l7ruleCreateFields = {
  type: required(t.enum(L7_RULE_TYPES)),
  compare_type: required(t.enum(L7_COMPARE_TYPES)),
  key: oneLine(),
  value: required(oneLine()),
  // No defaults here: an explicit null means false (Octavia), absence means the service's default.
  invert: t.bool(),
  admin_state_up: t.bool(),
  tags: t.array(t.string({ max: 255 })),
};

export const l7rulePostShape = {
  ...l7ruleCreateFields,
  // Accepted for compatibility and ignored: a rule belongs to its load balancer's project.
  project_id: t.string({ max: 36 }),
  tenant_id: t.string({ max: 36 }),
};

export const l7rulePutShape = {
  type: t.enum(L7_RULE_TYPES),
  compare_type: t.enum(L7_COMPARE_TYPES),
  key: oneLine(),
  value: oneLine(),
  invert: t.bool(),
  admin_state_up: t.bool(),
  tags: t.array(t.string({ max: 255 })),
};

export function l7ruleToWire(rule: L7Rule) {
  return {
    id: rule.id,
    type: rule.type,
    compare_type: rule.compare_type,
    key: rule.key,
    value: rule.value,
    invert: rule.invert,
    provisioning_status: rule.provisioning_status,
    operating_status: rule.operating_status,
    created_at: formatTime(rule.created_at),
    updated_at: formatTime(rule.updated_at),
    project_id: rule.project_id,
    tenant_id: rule.project_id,
    admin_state_up: rule.admin_state_up,
    tags: rule.tags,
  };
}
