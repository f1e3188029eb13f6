// Amphora responses on the wire: Octavia's AmphoraResponse, which spells the load balancer
// id `loadbalancer_id`, and its per-listener statistics.
import type { Amphora } from '../../domain/entities.ts';
import type { AmphoraStats } from '../../service/amphorae.ts';
import { formatTime } from '../wire.ts';

export function amphoraToWire(a: Amphora) {
  return {
    id: a.id,
    loadbalancer_id: a.load_balancer_id,
    compute_id: a.compute_id,
    lb_network_ip: a.lb_network_ip,
    vrrp_ip: a.vrrp_ip,
    ha_ip: a.ha_ip,
    vrrp_port_id: a.vrrp_port_id,
    ha_port_id: a.ha_port_id,
    cert_expiration: formatTime(a.cert_expiration),
    cert_busy: a.cert_busy,
    role: a.role,
    status: a.status,
    vrrp_interface: a.vrrp_interface,
    vrrp_id: a.vrrp_id,
    vrrp_priority: a.vrrp_priority,
    cached_zone: a.cached_zone,
    created_at: formatTime(a.created_at),
    updated_at: formatTime(a.updated_at),
    image_id: a.image_id,
    compute_flavor: a.compute_flavor,
  };
}

export function amphoraStatsToWire(s: AmphoraStats) {
  return {
    id: s.amphora_id,
    listener_id: s.listener_id,
    loadbalancer_id: s.load_balancer_id,
    active_connections: s.active_connections,
    bytes_in: s.bytes_in,
    bytes_out: s.bytes_out,
    request_errors: s.request_errors,
    total_connections: s.total_connections,
  };
}
