import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { replicationGauges, type ReplicationSource } from '../modules/replication/index.js';
import { registerProblemHandler } from '../platform/http/problem.js';
import { gauge, registerGauges, type GaugeDefinition } from '../platform/metrics.js';
import type { SteadfastModule } from '../platform/module.js';
import type { ModuleContext } from './deps.js';
import { modules as allModules } from './modules.js';
import { version } from '../platform/version.js';

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
  registerGauges(registry, platformGauges(context));
  for (const module of modules) registerGauges(registry, module.metrics?.(context) ?? []);
  return registry;
}

/** What is the platform's own: the build, the database, the job queue. */
function platformGauges({ db }: ModuleContext): GaugeDefinition[] {
  return [
    gauge('steadfast_build_info', 'Always 1; the version is in its label.', (g) => g.set({ version }, 1), ['version']),
    gauge('steadfast_postgres_up', '1 when the platform database answers.', async (g) => {
      g.set(
        await sql`SELECT 1`.execute(db).then(
          () => 1,
          () => 0,
        ),
      );
    }),
    gauge(
      'steadfast_jobs',
      'Background jobs by type and status (finished ones are pruned after 30 days).',
      async (g) => {
        const rows = await db
          .selectFrom('jobs')
          .select(['type', 'status', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy(['type', 'status'])
          .execute()
          .catch(() => []);
        for (const row of rows) g.set({ type: row.type, status: row.status }, Number(row.n));
      },
      ['type', 'status'],
    ),
  ];
}

/** Replication's gauges alone, into `registry`. */
export function registerReplicationMetrics(registry: Registry, source: ReplicationSource): void {
  registerGauges(registry, replicationGauges(source));
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
