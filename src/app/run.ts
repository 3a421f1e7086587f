import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../platform/config/config.js';
import { appError, isAppError } from '../platform/errors.js';
import type { Logger } from '../platform/log/log.js';
import { findFreePort } from '../platform/postgres/supervisor.js';
import { readReplicationState } from '../platform/postgres/replication-status.js';
import type { BackupService } from '../modules/backup/index.js';
import type { SteadfastModule } from '../platform/module.js';
import type { JobDefinition } from '../platform/jobs/queue.js';
import type { Schedule } from '../platform/jobs/scheduler.js';
import { createBackupService, createDrill, startWalShipping, type WalShipping } from './backup.js';
import { withServer, type DatabaseHandle } from '../platform/db/handle.js';
import { attachDatabase, bootstrapPlatform, startEmbedded } from './database.js';
import { createPlatform, type ModuleContext, type Platform } from './deps.js';
import { buildHttp } from './http.js';
import { buildOperatorHttp, createMetrics } from './metrics.js';
import { recordInstance } from './instance.js';
import { modules as allModules } from './modules.js';
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
  /** Where /metrics is served. */
  readonly operatorPort?: number;
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
 * stops what was already started, so nothing is left running (a database handed over in
 * `options` included: the platform owns it from then on).
 */
export async function startPlatform(
  config: Config,
  log: Logger,
  roles: Roles,
  options: { database?: DatabaseHandle } = {},
): Promise<RunningPlatform> {
  // Stop steps in layers: the last layer started stops first, the steps of one layer together
  // (HTTP drains while running jobs finish), then the pools, then Postgres.
  const layers: Array<Array<() => Promise<void>>> = [];
  const stopAll = async (): Promise<void> => {
    for (const layer of layers.reverse()) {
      await Promise.all(
        layer.map((step) => step().catch((error: unknown) => log.error({ err: error }, 'error while stopping'))),
      );
    }
    layers.length = 0;
  };
  try {
    // A standby just promoted hands over its running PostgreSQL: serving starts without a restart.
    const database = options.database ?? (await openDatabase(config, log, roles));
    layers.push([() => database.stop()]);
    // The pusher stops after Postgres (so the WAL of its shutdown goes too); the streamer before it, after the jobs and listeners.
    const shipping = startWalShipping(config, log, database);
    if (shipping) {
      layers.unshift([shipping.stopPusher]);
      layers.push([shipping.stopStreamer]);
    }
    const fatal = new Promise<Error>((resolve) => database.supervisor?.once('fatal', resolve));
    await bootstrapPlatform(database, log);
    const port = roles.http ? (config.httpPort === 0 ? await findFreePort() : config.httpPort) : undefined;
    const platform = createPlatform(config, log, database, { publicPort: port });
    layers.push([() => platform.close()]);
    await prepareTenants(platform, roles);

    const serving: Array<() => Promise<void>> = [];
    layers.push(serving);
    const context = moduleContext(platform, database, shipping);
    const listening = roles.http ? await serve(context, port!) : undefined;
    if (listening) serving.push(listening.stop);
    let worker: Worker | undefined;
    if (roles.worker) {
      const started = startWorker(platform, moduleWork(context));
      worker = started;
      serving.push(() => started.stop());
    }
    // After the jobs and the listeners: the repositories' connections (an open SFTP session would keep the process alive).
    layers.push([() => context.backups.close()]);
    const demo = config.demoTenant ? await platform.tenancy.findRow(config.demoTenant) : undefined;
    const entryUrl =
      port === undefined
        ? undefined
        : demo
          ? platform.tenancy.present(demo).url
          : `http://${config.baseDomain}:${port}`;
    const { http, operatorPort } = listening ?? {};
    return { platform, http, worker, port, operatorPort, entryUrl, fatal, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The HTTP server on `port` and the operator listener (/metrics), recorded in the home for the
 * CLI; a failure half-way closes what already listens. `stop` drains both.
 */
async function serve(
  context: ModuleContext,
  port: number,
): Promise<{ http: FastifyInstance; operatorPort: number; stop(): Promise<void> }> {
  const { config, log } = context;
  const http = await buildHttp(context);
  await listen(http, config.httpHost, port, { host: 'HOST', port: 'PORT' });
  const operator = await buildOperatorHttp(createMetrics(context), context);
  await listen(operator, config.operatorHost, config.operatorPort, {
    host: 'STEADFAST_OPERATOR_HOST',
    port: 'STEADFAST_OPERATOR_PORT',
  }).catch(async (error: unknown) => {
    await closeHttp(http, 0, log);
    throw error;
  });
  const operatorPort = (operator.server.address() as AddressInfo).port;
  const forget = await recordInstance(config.home, port, operatorPort).catch(async (error: unknown) => {
    await Promise.all([closeHttp(http, 0, log), operator.close()]);
    throw error;
  });
  const stop = async (): Promise<void> => {
    await forget();
    await Promise.all([closeHttp(http, config.shutdownGraceSeconds * 1000, log), operator.close()]);
  };
  return { http, operatorPort, stop };
}

/**
 * What the modules are handed: the platform, the backup service and the restore drill, the WAL
 * shipping this process runs, and replication as this server sees it (an embedded one).
 */
function moduleContext(
  platform: Platform,
  database: DatabaseHandle,
  shipping: WalShipping | undefined,
): ModuleContext & { backups: BackupService } {
  const { config, log } = platform;
  const backups = createBackupService(config, log, database);
  const replication =
    database.mode === 'external'
      ? undefined
      : { read: () => withServer(database, readReplicationState), expected: { mode: config.replicationMode } };
  return { ...platform, backups, restoreDrill: createDrill(platform, backups), shipping, replication };
}

/** Every module's jobs and schedules, for the worker role. */
function moduleWork(context: ModuleContext): { jobs: JobDefinition[]; schedules: Schedule[] } {
  const modules: readonly SteadfastModule<ModuleContext>[] = allModules;
  const work = modules.map((module) => module.work?.(context) ?? { jobs: [] });
  return {
    jobs: work.flatMap((piece) => [...piece.jobs]),
    schedules: work.flatMap((piece) => [...(piece.schedules ?? [])]),
  };
}

async function openDatabase(config: Config, log: Logger, roles: Roles): Promise<DatabaseHandle> {
  if (roles.ownDatabase && !config.databaseUrl) return startEmbedded(config, log);
  return attachDatabase(config, log);
}

/**
 * Brings tenants up to date before serving: processes that run jobs also finish work a
 * crash interrupted and create the demo tenant on a platform that never had a tenant.
 */
async function prepareTenants(platform: Platform, roles: Roles): Promise<void> {
  const { tenancy, config, log } = platform;
  if (roles.worker) {
    const recovered = await tenancy.recoverInterrupted();
    if (recovered.undone.length || recovered.deleted.length || recovered.failed.length)
      log.warn(recovered, 'finished tenant work a crash had interrupted');
  }
  let loggedAt = 0;
  const result = await tenancy.migrateAll(({ done, total, slug }) => {
    // A line a second at most, and the last one: a thousand tenants make a readable log.
    if (done < total && Date.now() - loggedAt < 1000) return;
    loggedAt = Date.now();
    log.info({ done, total, slug }, 'migrating tenant databases');
  });
  if (result.failed.length)
    log.error(
      { failed: result.failed },
      'some tenant databases could not be migrated; run "steadfast migrate" after fixing the cause',
    );
  if (roles.worker && config.demoTenant && (await tenancy.neverHadTenants())) {
    await tenancy.create({ kind: 'system', name: 'first-start' }, { slug: config.demoTenant, name: 'Demo workspace' });
    log.info({ slug: config.demoTenant }, 'created the demo tenant');
  }
}

/** Listens, or says which setting to change (`names`: the environment variables of host and port). */
async function listen(
  app: FastifyInstance,
  host: string,
  port: number,
  names: { host: string; port: string },
): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw appError(
        'HTTP_PORT_IN_USE',
        `Port ${port} is already in use by another program. Stop that program, or start Steadfast on another port, e.g. ${names.port}=${port + 1} npm start.`,
      );
    }
    if (isAppError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'EACCES'
        ? 'ports below 1024 need root or CAP_NET_BIND_SERVICE; choose a port above 1024'
        : code === 'EADDRNOTAVAIL'
          ? `this machine has no such address; check ${names.host}`
          : `check ${names.host} and ${names.port}`;
    throw appError('HTTP_LISTEN_FAILED', `Cannot listen on ${host}:${port}: ${(error as Error).message}; ${hint}.`, {
      cause: error,
    });
  }
}

/** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
async function closeHttp(app: FastifyInstance, graceMs: number, log: Logger): Promise<void> {
  // Keep-alive connections become idle as their last response is sent; close them as they
  // do, or a client holding one open would make every shutdown wait the whole grace period.
  const sweeper = setInterval(() => app.server.closeIdleConnections(), 100);
  const timer = setTimeout(() => {
    log.warn('requests still running after the shutdown grace period; closing their connections');
    app.server.closeAllConnections();
  }, graceMs);
  try {
    await app.close();
  } finally {
    clearInterval(sweeper);
    clearTimeout(timer);
  }
}
