import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { drillRoutes } from '../modules/replication/index.js';
import { tenancyRoutes } from '../modules/tenancy/index.js';
import { latestMigration } from '../platform/db/migrator.js';
import { registerResponseHeaders } from '../platform/http/headers.js';
import { registerHealthRoutes, type ReadinessCheck } from '../platform/http/health.js';
import { registerProblemHandler } from '../platform/http/problem.js';
import { registerDatabaseRetry } from '../platform/http/retry.js';
import type { Platform } from './deps.js';
import { version } from './version.js';

/** Builds the tenant-facing HTTP server (not listening): plugins, health, modules. */
export async function buildHttp(platform: Platform): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: platform.log.child({ component: 'http' }) as FastifyBaseLogger,
    // One log line per request only when debugging; errors are logged by the problem handler.
    logController: new LogController({
      disableRequestLogging: platform.log.level !== 'debug' && platform.log.level !== 'trace',
    }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: 1024 * 1024,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  registerProblemHandler(app);
  registerResponseHeaders(app);
  // Before any route: each is wrapped to ride out a failover.
  registerDatabaseRetry(app, platform.config.databaseRetrySeconds);
  registerHealthRoutes(app, readinessChecks(platform, await latestMigration('platform')), version);
  await app.register(tenancyRoutes, { tenancy: platform.tenancy, baseDomain: platform.config.baseDomain });
  const token = platform.config.drillWriteToken;
  if (token)
    await app.register(drillRoutes, {
      tenancy: platform.tenancy,
      baseDomain: platform.config.baseDomain,
      db: platform.db,
      token,
    });
  return app;
}

/** One round trip answers both: the query reaching Postgres, and the schema version it returns. */
function readinessChecks(platform: Platform, expectedMigration: string): ReadinessCheck[] {
  return [
    {
      name: 'postgres',
      check: async () => {
        let applied: string | null | undefined;
        try {
          const { rows } = await sql<{ name: string | null }>`SELECT max(name) AS name FROM kysely_migration`.execute(
            platform.db,
          );
          applied = rows[0]?.name;
        } catch (error) {
          throw new Error(`unreachable: ${(error as Error).message}`);
        }
        if (applied !== expectedMigration)
          throw new Error(
            `reachable, but the platform database is at ${applied ?? 'nothing'} and this build expects ${expectedMigration}; run "steadfast migrate"`,
          );
        return `reachable, migrations current (${applied})`;
      },
    },
  ];
}
