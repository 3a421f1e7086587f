import type { FastifyInstance } from 'fastify';
import type { Config } from '../platform/config/config.js';
import { appError, isAppError } from '../platform/errors.js';
import type { Logger } from '../platform/log/log.js';
import { findFreePort } from '../platform/postgres/supervisor.js';
import { attachDatabase, bootstrapPlatform, startEmbedded, type DatabaseHandle } from './database.js';
import { createPlatform, type Platform } from './deps.js';
import { buildHttp } from './http.js';
import { recordInstance } from './instance.js';
import { startWorker, type Worker } from './worker.js';

export interface Roles {
  /** Serve HTTP. */
  readonly http: boolean;
  /** Run jobs and, when leader, schedules. */
  readonly worker: boolean;
  /** Start and supervise the embedded Postgres (`up`), rather than attach to a running one. */
  readonly ownDatabase: boolean;
}

export interface RunningPlatform {
  readonly platform: Platform;
  readonly http?: FastifyInstance;
  readonly worker?: Worker;
  /** The HTTP port actually listened on. */
  readonly port?: number;
  /** URL of the demo tenant when there is one, else of the base domain. */
  readonly entryUrl?: string;
  /** Resolves with an error when the platform cannot go on (Postgres keeps crashing). */
  readonly fatal: Promise<Error>;
  /** Drains HTTP, stops the worker, closes pools and stops Postgres if we own it. */
  stop(): Promise<void>;
}

/**
 * Starts the roles of one Steadfast process in order: database, schema, recovery of
 * interrupted work, tenant migrations, demo tenant, HTTP, worker. A failure at any step
 * stops what was already started, so nothing is left running.
 */
export async function startPlatform(config: Config, log: Logger, roles: Roles): Promise<RunningPlatform> {
  const undo: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const step of undo.reverse()) await step().catch((error: unknown) => log.error({ err: error }, 'error while stopping'));
    undo.length = 0;
  };
  try {
    const database = await openDatabase(config, log, roles);
    undo.push(() => database.stop());
    const fatal = new Promise<Error>((resolve) => database.supervisor?.once('fatal', resolve));
    const { created } = await bootstrapPlatform(database, log);
    const port = roles.http ? (config.httpPort === 0 ? await findFreePort() : config.httpPort) : undefined;
    const platform = createPlatform(config, log, database, { publicPort: port });
    undo.push(() => platform.close());
    await prepareTenants(platform, created);

    let http: FastifyInstance | undefined;
    if (roles.http) {
      http = await buildHttp(platform);
      await listen(http, config.httpHost, port!);
      const server = http;
      undo.push(() => closeHttp(server, config.shutdownGraceSeconds * 1000, log));
      undo.push(await recordInstance(config.home, port!));
    }
    let worker: Worker | undefined;
    if (roles.worker) {
      worker = startWorker(platform);
      const started = worker;
      undo.push(() => started.stop());
    }
    const demo = config.demoTenant ? await platform.tenancy.findRow(config.demoTenant) : undefined;
    const entryUrl = port === undefined ? undefined : demo ? platform.tenancy.present(demo).url : `http://${config.baseDomain}:${port}`;
    return { platform, http, worker, port, entryUrl, fatal, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function openDatabase(config: Config, log: Logger, roles: Roles): Promise<DatabaseHandle> {
  if (roles.ownDatabase && !config.databaseUrl) return startEmbedded(config, log);
  return attachDatabase(config, log);
}

async function prepareTenants(platform: Platform, firstStart: boolean): Promise<void> {
  const { tenancy, config, log } = platform;
  const recovered = await tenancy.recoverInterrupted();
  if (recovered.undone.length || recovered.deleted.length) log.warn(recovered, 'finished tenant work a crash had interrupted');
  let loggedAt = 0;
  const result = await tenancy.migrateAll(({ done, total, slug }) => {
    // A line a second at most, and the last one: a thousand tenants make a readable log.
    if (done < total && Date.now() - loggedAt < 1000) return;
    loggedAt = Date.now();
    log.info({ done, total, slug }, 'migrating tenant databases');
  });
  if (result.failed.length) log.error({ failed: result.failed }, 'some tenant databases could not be migrated; run "steadfast migrate" after fixing the cause');
  if (firstStart && config.demoTenant) {
    await tenancy.create({ kind: 'system', name: 'first-start' }, { slug: config.demoTenant, name: 'Demo workspace' });
    log.info({ slug: config.demoTenant }, 'created the demo tenant');
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw appError('HTTP_PORT_IN_USE', `Port ${port} is already in use by another program. Stop that program, or start Steadfast on another port, e.g. PORT=${port + 1} npm start.`);
    }
    if (isAppError(error)) throw error;
    throw appError('HTTP_PORT_IN_USE', `Cannot listen on ${host}:${port}: ${(error as Error).message}. Check HOST and PORT.`, { cause: error });
  }
}

/** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
async function closeHttp(app: FastifyInstance, graceMs: number, log: Logger): Promise<void> {
  const timer = setTimeout(() => {
    log.warn('requests still running after the shutdown grace period; closing their connections');
    app.server.closeAllConnections();
  }, graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}
