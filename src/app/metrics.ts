import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { registerProblemHandler } from '../platform/http/problem.js';
import { platformGauges, registerGauges } from '../platform/metrics.js';
import type { SteadfastModule } from '../platform/module.js';
import type { ModuleContext } from './deps.js';
import { modules as allModules } from './modules.js';

/**
 * The operator's metrics, in Prometheus's text format: the platform's own gauges, then each
 * module's, every value read when scraped (the platform database, the WAL pusher's state, the
 * repositories' listing at most once a minute), so nothing is kept in step by hand. `*_ok`
 * gauges are 1 when a promise is kept and 0 when status would say it needs attention, for a
 * plain alert rule. A value not known yet (no backup, no drill) is NaN, which no comparison in
 * an alert rule matches.
 */
export function createMetrics(
  context: ModuleContext,
  modules: readonly SteadfastModule<ModuleContext>[] = allModules,
): Registry {
  const registry = new Registry();
  registerGauges(registry, platformGauges(context.db));
  for (const module of modules) registerGauges(registry, module.metrics?.(context) ?? []);
  return registry;
}

/** The operator listener, on its own port, never the tenant-facing one: /metrics, and the modules' operator routes. */
export async function buildOperatorHttp(
  registry: Registry,
  context: ModuleContext,
  modules: readonly SteadfastModule<ModuleContext>[] = allModules,
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  registerProblemHandler(app);
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  for (const module of modules) await module.operatorRoutes?.(app, context);
  return app;
}
