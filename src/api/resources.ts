// Every resource folder's routes, in one list so app.ts stays the same as resources grow.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../service/deps.ts';
import { loadBalancerRoutes } from './loadbalancers/routes.ts';
import { networkRoutes } from './networks/routes.ts';
import { quotaRoutes } from './quotas/routes.ts';
import { providerRoutes } from './providers/routes.ts';
import { flavorProfileRoutes } from './flavorprofiles/routes.ts';
import { flavorRoutes } from './flavors/routes.ts';
import { availabilityZoneProfileRoutes } from './availabilityzoneprofiles/routes.ts';
import { availabilityZoneRoutes } from './availabilityzones/routes.ts';
import { amphoraRoutes } from './amphorae/routes.ts';
import { listenerRoutes } from './listeners/routes.ts';
import { l7policyRoutes } from './l7policies/routes.ts';
import { l7ruleRoutes } from './l7rules/routes.ts';
import { poolRoutes } from './pools/routes.ts';
import { memberRoutes } from './members/routes.ts';
import { healthMonitorRoutes } from './healthmonitors/routes.ts';
import { secretRoutes } from './secrets/routes.ts';
import { containerRoutes } from './containers/routes.ts';

export const RESOURCE_ROUTES: ((app: FastifyInstance, deps: ServiceDeps) => void)[] = [
  loadBalancerRoutes,
  quotaRoutes,
  providerRoutes,
  flavorProfileRoutes,
  flavorRoutes,
  availabilityZoneProfileRoutes,
  availabilityZoneRoutes,
  amphoraRoutes,
  listenerRoutes,
  l7policyRoutes,
  l7ruleRoutes,
  poolRoutes,
  memberRoutes,
  healthMonitorRoutes,
];

/** Neutron-compatible routes, mounted at /v2.0 only (Neutron's prefix; /v2.0/networks never meets /v2.0/lbaas). */
export const NETWORK_ROUTES: ((app: FastifyInstance, deps: ServiceDeps) => void)[] = [
  networkRoutes,
];

/** Barbican-compatible key manager routes, mounted at /v1 (Barbican's prefix). */
export const KEY_MANAGER_ROUTES: ((app: FastifyInstance, deps: ServiceDeps) => void)[] = [
  secretRoutes,
  containerRoutes,
];
