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
  app.get('/healthz', async () => ({ status: 'ok', version, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) }));

  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          return { name, ok: true, status: await check() };
        } catch (error) {
          return { name, ok: false, status: (error as Error).message };
        }
      }),
    );
    const ready = results.every((result) => result.ok);
    if (!ready) reply.status(503).header('retry-after', '5');
    return { status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(results.map(({ name, ok, status }) => [name, { ok, status }])) };
  });
}
