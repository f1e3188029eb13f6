// Every resource folder's routes, in one list so app.ts stays the same as resources grow.
import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../service/deps.ts';
import { loadBalancerRoutes } from './loadbalancers/routes.ts';
import { quotaRoutes } from './quotas/routes.ts';

export const RESOURCE_ROUTES: ((app: FastifyInstance, deps: ServiceDeps) => void)[] = [
  loadBalancerRoutes,
  quotaRoutes,
];
