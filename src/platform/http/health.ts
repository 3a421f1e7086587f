import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves with a short status, or rejects with why it is not ready. */
  check(): Promise<string>;
}

/**
 * `/healthz`: the process is alive (for restarts). `/readyz`: it can serve (for load
 * balancers): every check passes. Both answer JSON on any host.
 */
export function registerHealthRoutes(app: FastifyInstance, checks: readonly ReadinessCheck[], version: string): void {
  const startedAt = Date.now();
  app.get('/healthz', async () => ({
    status: 'ok',
    version,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
  }));

  // Requests arriving while a check runs share its answer: under a burst of probes the
  // database sees one query at a time, and no answer is older than one round trip.
  const inFlight = new Map<string, Promise<{ name: string; ok: boolean; status: string }>>();
  const run = ({ name, check }: ReadinessCheck) => {
    let pending = inFlight.get(name);
    if (!pending) {
      pending = check()
        .then((status) => ({ name, ok: true, status }))
        .catch((error: Error) => ({ name, ok: false, status: error.message }))
        .finally(() => inFlight.delete(name));
      inFlight.set(name, pending);
    }
    return pending;
  };

  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(checks.map(run));
    const ready = results.every((result) => result.ok);
    if (!ready) reply.status(503).header('retry-after', '5');
    return {
      status: ready ? 'ready' : 'not_ready',
      checks: Object.fromEntries(results.map(({ name, ok, status }) => [name, { ok, status }])),
    };
  });
}
