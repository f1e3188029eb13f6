// The network model clients resolve ids against (vip_subnet_id, member subnet_id, ...), read
// through a Neutron-compatible API. Fulcrum's networks are deployment-wide and shared by
// every project; ports are the VIP ports of live load balancers. At first start a loopback
// network exists, so a fresh deployment can place VIPs without any setup.
import { Errors } from '../domain/errors.ts';
import { ProvisioningStatus as PS } from '../domain/enums.ts';
import type { LoadBalancer, Network, Subnet } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { Store } from '../store/store.ts';
import type { ServiceDeps } from './deps.ts';
import { now } from './deps.ts';
import { visible } from './lock.ts';

/** Fixed ids, so two processes starting together create the same loopback network, once. */
export const LOOPBACK = {
  networkId: '6f1c7a2e-3b8d-4c51-9e0a-0f00fa11c0de',
  subnetId: '6f1c7a2e-3b8d-4c51-9e0a-0f00fa11c0df',
  name: 'fulcrum-loopback',
  cidr: '127.42.0.0/16',
  gatewayIp: '127.42.0.1',
} as const;

export async function listNetworks(deps: ServiceDeps, _ctx: RequestContext): Promise<Network[]> {
  return deps.store.networks();
}

export async function getNetwork(deps: ServiceDeps, _ctx: RequestContext, id: string): Promise<Network> {
  const found = (await deps.store.networks()).find((n) => n.id === id);
  if (!found) throw Errors.notFound('Network', id);
  return found;
}

export async function listSubnets(deps: ServiceDeps, _ctx: RequestContext): Promise<Subnet[]> {
  return deps.store.subnets();
}

export async function getSubnet(deps: ServiceDeps, _ctx: RequestContext, id: string): Promise<Subnet> {
  const found = (await deps.store.subnets()).find((s) => s.id === id);
  if (!found) throw Errors.notFound('Subnet', id);
  return found;
}

/** VIP ports: one per live load balancer the caller may see. */
export async function listPorts(deps: ServiceDeps, ctx: RequestContext): Promise<LoadBalancer[]> {
  const lbs = await deps.store.find('load_balancer', ctx.isAdmin ? {} : { project_id: ctx.projectId ?? '' });
  return lbs.filter((lb) => lb.vip_port_id && lb.provisioning_status !== PS.DELETED && visible(ctx, lb.project_id));
}

export async function getPort(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<LoadBalancer> {
  const [lb] = await deps.store.find('load_balancer', { vip_port_id: id });
  if (!lb || lb.provisioning_status === PS.DELETED || !visible(ctx, lb.project_id)) throw Errors.notFound('Port', id);
  return lb;
}

/** Creates the loopback network and subnet when the deployment has no network at all. */
export async function ensureLoopbackNetwork(store: Store, log: ServiceDeps['log']): Promise<void> {
  if ((await store.networks()).length > 0) return;
  const created = now();
  try {
    await store.transaction((tx) => tx.insertNetwork(
      { id: LOOPBACK.networkId, project_id: '', name: LOOPBACK.name, created_at: created },
      [{
        id: LOOPBACK.subnetId, network_id: LOOPBACK.networkId, project_id: '', name: LOOPBACK.name,
        cidr: LOOPBACK.cidr, ip_version: 4, gateway_ip: LOOPBACK.gatewayIp, created_at: created,
      }],
    ));
  } catch (err) {
    // Another process won the race: its network is the same one.
    if ((await store.networks()).some((n) => n.id === LOOPBACK.networkId)) return;
    throw err;
  }
  log.info({ event: 'network.loopback_created', network_id: LOOPBACK.networkId, cidr: LOOPBACK.cidr });
}
