// Load balancer bodies on the wire: what a POST and a PUT may carry, and what a response shows.
import { t, required, withDefault } from '../schema.ts';
import type { LoadBalancer } from '../../domain/entities.ts';
import { formatTime } from '../wire.ts';

const additionalVip = t.object({ subnet_id: required(t.uuid()), ip_address: t.ip() });

export const lbPostShape = {
  name: t.string({ max: 255 }),
  description: t.string({ max: 255 }),
  admin_state_up: withDefault(t.bool(), true),
  vip_address: t.ip(),
  vip_port_id: t.uuid(),
  vip_subnet_id: t.uuid(),
  vip_network_id: t.uuid(),
  vip_qos_policy_id: t.uuid(),
  additional_vips: withDefault(t.array(additionalVip), []),
  project_id: t.string({ max: 36 }),
  tenant_id: t.string({ max: 36 }),
  listeners: withDefault(t.array(t.raw()), []),
  pools: withDefault(t.array(t.raw()), []),
  provider: t.string({ max: 64 }),
  tags: t.array(t.string({ max: 255 })),
  flavor_id: t.uuid(),
  availability_zone: t.string({ max: 255 }),
};

export const lbPutShape = {
  name: t.string({ max: 255 }),
  description: t.string({ max: 255 }),
  vip_qos_policy_id: t.uuid(),
  admin_state_up: t.bool(),
  tags: t.array(t.string({ max: 255 })),
};

export interface LoadBalancerView {
  loadBalancer: LoadBalancer;
  listenerIds: string[];
  poolIds: string[];
}

export function loadBalancerToWire({ loadBalancer: lb, listenerIds, poolIds }: LoadBalancerView) {
  return {
    id: lb.id,
    name: lb.name ?? '',
    description: lb.description ?? '',
    provisioning_status: lb.provisioning_status,
    operating_status: lb.operating_status,
    admin_state_up: lb.admin_state_up,
    project_id: lb.project_id,
    tenant_id: lb.project_id,
    created_at: formatTime(lb.created_at),
    updated_at: formatTime(lb.updated_at),
    vip_address: lb.vip_address,
    vip_port_id: lb.vip_port_id,
    vip_subnet_id: lb.vip_subnet_id,
    vip_network_id: lb.vip_network_id,
    additional_vips: lb.additional_vips,
    listeners: listenerIds.map((id) => ({ id })),
    pools: poolIds.map((id) => ({ id })),
    provider: lb.provider,
    flavor_id: lb.flavor_id,
    vip_qos_policy_id: lb.vip_qos_policy_id,
    tags: lb.tags,
    availability_zone: lb.availability_zone,
  };
}
