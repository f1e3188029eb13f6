// GET /healthcheck, as oslo.middleware's healthcheck answers beside Octavia's API: "OK" (200)
// while the service can do its job, 503 with the reasons when it cannot. The one reason today
// is the health role's circuit breaker: with it open, amphorae that died are not being
// replaced, which an operator's monitoring must see without reading logs. Unauthenticated,
// as oslo's; it names counts, never ids.
import type { FastifyInstance } from 'fastify';

export interface FailoverState {
  breaker: 'closed' | 'open';
  /** Amphorae that needed a failover at the last check. */
  due: number;
}

export function healthcheckRoutes(app: FastifyInstance, failover: () => FailoverState | undefined, threshold: number) {
  app.get('/healthcheck', async (req, reply) => {
    const state = failover();
    const reasons = state?.breaker === 'open'
      ? [`automatic failover is held by the circuit breaker: ${state.due} amphorae are due, failover_threshold is ${threshold}`]
      : [];
    reply.code(reasons.length > 0 ? 503 : 200);
    if (/application\/json/.test(req.headers.accept ?? '')) return { detailed: false, reasons: reasons.length > 0 ? reasons : ['OK'] };
    return reply.type('text/plain').send(reasons.length > 0 ? reasons.join('\n') : 'OK');
  });
}
