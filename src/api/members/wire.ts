// Member bodies on the wire: a POST, a PUT, the batch PUT of a pool's whole member set,
// and what a response shows.
import { Errors } from '../../domain/errors.ts';
import { isObject, parseRoot, required, t, withDefault } from '../schema.ts';
import type { Parsed } from '../schema.ts';
import type { Member } from '../../domain/entities.ts';
import { formatTime } from '../wire.ts';

const port = () => t.int({ min: 1, max: 65535 });

/** A member nested in a pool body (Octavia's MemberSingleCreate). */
export const memberSingleCreateShape = {
  name: t.string({ max: 255 }),
  admin_state_up: withDefault(t.bool(), true),
  address: required(t.ip()),
  protocol_port: required(port()),
  weight: withDefault(t.int({ min: 0, max: 256 }), 1),
  backup: withDefault(t.bool(), false),
  subnet_id: t.uuid(),
  monitor_port: port(),
  monitor_address: t.ip(),
  tags: t.array(t.string({ max: 255 })),
};

export const memberPostShape = {
  ...memberSingleCreateShape,
  project_id: t.string({ max: 36 }),
  tenant_id: t.string({ max: 36 }),
};

export const memberPutShape = {
  name: t.string({ max: 255 }),
  admin_state_up: t.bool(),
  weight: t.int({ min: 0, max: 256 }),
  backup: t.bool(),
  monitor_port: port(),
  monitor_address: t.ip(),
  tags: t.array(t.string({ max: 255 })),
};

const batchShape = { members: required(t.array(t.object(memberPostShape))) };

/** `{"members": [...]}`: the batch update's body, each entry a full member POST. */
export function parseMemberBatch(body: unknown): Parsed<typeof memberPostShape>[] {
  if (!isObject(body)) throw Errors.validation('Request must be a JSON dict');
  return parseRoot(body, batchShape, 'members_').members ?? [];
}

export function memberToWire(m: Member) {
  return {
    id: m.id,
    name: m.name ?? '',
    operating_status: m.operating_status,
    provisioning_status: m.provisioning_status,
    admin_state_up: m.admin_state_up,
    address: m.address,
    protocol_port: m.protocol_port,
    weight: m.weight,
    backup: m.backup,
    subnet_id: m.subnet_id,
    project_id: m.project_id,
    tenant_id: m.project_id,
    created_at: formatTime(m.created_at),
    updated_at: formatTime(m.updated_at),
    monitor_address: m.monitor_address,
    monitor_port: m.monitor_port,
    tags: m.tags,
  };
}
