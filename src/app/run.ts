import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { tlsEnabled, type Config } from '../platform/config/config.js';
import { loadWebTls } from '../platform/crypto/web-tls.js';
import { closeHttp, listen, type ListenSetting } from '../platform/http/listen.js';
import type { Logger } from '../platform/log/log.js';
import { findFreePort } from '../platform/postgres/supervisor.js';
import { readReplicationState } from '../platform/postgres/replication-status.js';
import type { BackupService } from '../modules/backup/index.js';
import type { LeaderLoop, SteadfastModule } from '../platform/module.js';
import type { JobDefinition } from '../platform/jobs/queue.js';
import type { Schedule } from '../platform/jobs/scheduler.js';
import { createBackupService, createDrill, startWalShipping, type WalShipping } from './backup.js';
import { withServer, type DatabaseHandle } from '../platform/db/handle.js';
import { attachDatabase, bootstrapPlatform, startEmbedded } from './database.js';
import { createPlatform, type ModuleContext, type Platform } from './deps.js';
import { buildHttp, buildHttpsRedirect, evidenceOf } from './http.js';
import { queueFirstBackupIfDue } from './recover.js';
import { buildOperatorHttp, createMetrics } from './metrics.js';
import { recordInstance } from '../platform/process/instance.js';
import { modules as allModules } from './modules.js';
import { startWorker, type Worker } from '../platform/jobs/worker.js';

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
  /** The staff console's address. */
  readonly consoleUrl?: string;
  /** On the start that made the demo tenant: its owner, and a one-time link to choose their password (for the terminal, never the log). */
  readonly firstSignIn?: { readonly email: string; readonly tenant: string; readonly link: string };
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
  const layers = new StopLayers(log);
  try {
    // A standby just promoted hands over its running PostgreSQL: serving starts without a restart.
    const database = options.database ?? (await openDatabase(config, log, roles));
    layers.push([() => database.stop()]);
    // The pusher stops after Postgres (so the WAL of its shutdown goes too); the streamer before it, after the jobs and listeners.
    const shipping = startWalShipping(config, log, database);
    if (shipping) {
      layers.first([shipping.stopPusher]);
      layers.push([shipping.stopStreamer]);
    }
    const fatal = new Promise<Error>((resolve) => database.supervisor?.once('fatal', resolve));
    await bootstrapPlatform(database, log);
    const ports = roles.http ? await choosePorts(config) : undefined;
    const port = ports?.https ?? ports?.http;
    const platform = createPlatform(config, log, database, { publicPort: port });
    layers.push([() => platform.close()]);
    const demoOwner = await prepareTenants(platform, roles);

    const localUrl = ports ? `${ports.https ? 'https' : 'http'}://127.0.0.1:${ports.https ?? ports.http}` : undefined;
    const context = moduleContext(platform, database, shipping, localUrl);
    // After the jobs and the listeners: the repositories' connections (an open SFTP session would keep the process alive).
    layers.push([() => context.backups.close()]);
    const serving = await startServing(context, roles, ports, layers.push([]));
    const entryUrl = await entryUrlOf(platform, port);
    const firstSignIn =
      demoOwner && entryUrl ? { ...demoOwner, link: `${entryUrl}/reset-password#token=${demoOwner.token}` } : undefined;
    const consoleUrl = platform.staff.consoleUrl;
    return { platform, ...serving, port, entryUrl, consoleUrl, firstSignIn, fatal, stop: () => layers.stopAll() };
  } catch (error) {
    await layers.stopAll();
    throw error;
  }
}

/**
 * Stop steps in layers: the last layer started stops first, the steps of one layer together
 * (HTTP drains while running jobs finish), then the pools, then Postgres.
 */
class StopLayers {
  private readonly layers: Array<Array<() => Promise<void>>> = [];

  constructor(private readonly log: Logger) {}

  /** Adds a layer to stop before those already added; the layer, for steps started later. */
  push(layer: Array<() => Promise<void>>): Array<() => Promise<void>> {
    this.layers.push(layer);
    return layer;
  }

  /** Adds a layer to stop after all others. */
  first(layer: Array<() => Promise<void>>): void {
    this.layers.unshift(layer);
  }

  async stopAll(): Promise<void> {
    for (const layer of this.layers.reverse()) {
      await Promise.all(
        layer.map((step) => step().catch((error: unknown) => this.log.error({ err: error }, 'error while stopping'))),
      );
    }
    this.layers.length = 0;
  }
}

/** The HTTP and worker roles this process has; each one's stop goes into `stops` as it starts. */
async function startServing(
  context: ModuleContext,
  roles: Roles,
  ports: HttpPorts | undefined,
  stops: Array<() => Promise<void>>,
): Promise<{ http?: FastifyInstance; operatorPort?: number; worker?: Worker }> {
  if (roles.http) {
    const stopWatching = await context.tenancy.watchChanges(context.database.admin);
    stops.push(stopWatching);
  }
  const listening = roles.http ? await serve(context, ports!) : undefined;
  if (listening) stops.push(listening.stop);
  let worker: Worker | undefined;
  if (roles.worker) {
    const work = moduleWork(context);
    const started = startWorker(context, work);
    worker = started;
    stops.push(() => started.stop());
    // A home `steadfast recover` left: its first backup, taken while it serves.
    await queueFirstBackupIfDue(context, work.jobs);
  }
  return { http: listening?.http, operatorPort: listening?.operatorPort, worker };
}

/** Where a person starts: the demo tenant when there is one, else the base domain (no HTTP, no URL). */
async function entryUrlOf(platform: Platform, port: number | undefined): Promise<string | undefined> {
  if (port === undefined) return undefined;
  const { config, tenancy } = platform;
  const demo = config.demoTenant ? await tenancy.findRow(config.demoTenant) : undefined;
  return demo ? tenancy.present(demo).url : `${tlsEnabled(config) ? 'https' : 'http'}://${config.baseDomain}:${port}`;
}

/**
 * The HTTP server on `port` and the operator listener (/metrics), recorded in the home for the
 * CLI; a failure half-way closes what already listens. `stop` drains both.
 */
async function serve(
  context: ModuleContext,
  ports: HttpPorts,
): Promise<{ http: FastifyInstance; operatorPort: number; stop(): Promise<void> }> {
  const { config, log } = context;
  const settings = listenSettings(config, ports);
  const tls = settings.https
    ? await loadWebTls({
        home: config.home,
        baseDomain: config.baseDomain,
        workspaces: config.demoTenant ? [config.demoTenant] : [],
        certFile: config.tlsCertFile,
        keyFile: config.tlsKeyFile,
      })
    : undefined;
  const http = await buildHttp(context, allModules, { tls });
  // With TLS the app answers on the HTTPS port, and the HTTP port only sends browsers there.
  const redirect = settings.https ? buildHttpsRedirect(ports.https!) : undefined;
  const closeAll = (graceMs: number) =>
    Promise.all([closeHttp(http, graceMs, log), redirect?.close()]).then(() => undefined);
  await listen(http, settings.https ?? settings.http);
  if (redirect) await listen(redirect, settings.http).catch(rethrowAfter(() => closeHttp(http, 0, log)));
  if (tls) log.info({ certificate: tls.source, trust: tls.caFile }, 'serving workspaces over HTTPS');
  const operator = await buildOperatorHttp(createMetrics(context), context);
  await listen(operator, settings.operator).catch(rethrowAfter(() => closeAll(0)));
  const operatorPort = (operator.server.address() as AddressInfo).port;
  const forget = await recordInstance(config.home, ports, operatorPort).catch(
    rethrowAfter(() => Promise.all([closeAll(0), operator.close()])),
  );
  const stop = async (): Promise<void> => {
    await forget();
    await Promise.all([closeAll(config.shutdownGraceSeconds * 1000), operator.close()]);
  };
  return { http, operatorPort, stop };
}

/** Undoes what was started, then fails as before. */
const rethrowAfter =
  (undo: () => Promise<unknown>) =>
  async (error: unknown): Promise<never> => {
    await undo();
    throw error;
  };

/** The ports of the HTTP role: plain HTTP, and HTTPS when TLS is on. */
export interface HttpPorts {
  readonly http: number;
  readonly https?: number;
}

async function choosePorts(config: Config): Promise<HttpPorts> {
  const pick = async (port: number) => (port === 0 ? findFreePort() : port);
  return {
    http: await pick(config.httpPort),
    ...(tlsEnabled(config) ? { https: await pick(config.httpsPort) } : {}),
  };
}

/** The ports a process with the HTTP role listens on: HTTP, HTTPS when TLS is on, and the operator port. */
export function listenSettings(
  config: Config,
  ports: HttpPorts = { http: config.httpPort, ...(tlsEnabled(config) ? { https: config.httpsPort } : {}) },
): { http: ListenSetting; https?: ListenSetting; operator: ListenSetting } {
  return {
    http: { label: 'HTTP port', host: config.httpHost, port: ports.http, names: { host: 'HOST', port: 'PORT' } },
    ...(ports.https === undefined
      ? {}
      : {
          https: {
            label: 'HTTPS port',
            host: config.httpHost,
            port: ports.https,
            names: { host: 'HOST', port: 'STEADFAST_HTTPS_PORT' },
          },
        }),
    operator: {
      label: 'operator port (/metrics)',
      host: config.operatorHost,
      port: config.operatorPort,
      names: { host: 'STEADFAST_OPERATOR_HOST', port: 'STEADFAST_OPERATOR_PORT' },
    },
  };
}

/**
 * What the modules are handed: the platform, the backup service and the restore drill, the WAL
 * shipping this process runs, and replication as this server sees it (an embedded one).
 */
function moduleContext(
  platform: Platform,
  database: DatabaseHandle,
  shipping: WalShipping | undefined,
  localUrl: string | undefined,
): ModuleContext & { backups: BackupService } {
  const { config, log } = platform;
  const backups = createBackupService(config, log, database);
  const replication =
    database.mode === 'external'
      ? undefined
      : { read: () => withServer(database, readReplicationState), expected: { mode: config.replicationMode } };
  const context: ModuleContext & { backups: BackupService } = {
    ...platform,
    backups,
    restoreDrill: createDrill(platform, backups),
    shipping,
    replication,
    localUrl,
    probes: async () => {
      const modules: readonly SteadfastModule<ModuleContext>[] = allModules;
      return (await Promise.all(modules.map((module) => module.probes?.(context) ?? []))).flat();
    },
    evidence: () => evidenceOf(context)(),
  };
  return context;
}

/** Every module's jobs, schedules and leader loops, for the worker role. */
function moduleWork(context: ModuleContext): { jobs: JobDefinition[]; schedules: Schedule[]; loops: LeaderLoop[] } {
  const modules: readonly SteadfastModule<ModuleContext>[] = allModules;
  const work = modules.map((module) => module.work?.(context) ?? { jobs: [] });
  return {
    jobs: work.flatMap((piece) => [...piece.jobs]),
    schedules: work.flatMap((piece) => [...(piece.schedules ?? [])]),
    loops: work.flatMap((piece) => [...(piece.loops ?? [])]),
  };
}

async function openDatabase(config: Config, log: Logger, roles: Roles): Promise<DatabaseHandle> {
  if (roles.ownDatabase && !config.databaseUrl) return startEmbedded(config, log);
  return attachDatabase(config, log);
}

/** The demo workspace's owner, made on the first start: an address no one receives mail at, so the link goes to the terminal. */
export const demoOwnerEmail = 'owner@example.com';
/** How long the first start's link to choose the demo owner's password lasts. */
const firstLinkHours = 24;

/**
 * Brings tenants up to date before serving: processes that run jobs also finish work a
 * crash interrupted and create the demo tenant on a platform that never had a tenant, with an
 * owner and a one-time link to choose their password.
 */
async function prepareTenants(
  platform: Platform,
  roles: Roles,
): Promise<{ tenant: string; email: string; token: string } | undefined> {
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
    const tenant = config.demoTenant;
    await tenancy.create({ kind: 'system', name: 'first-start' }, { slug: tenant, name: 'Demo workspace' });
    await platform.identity.createUser(
      tenant,
      { email: demoOwnerEmail, name: 'Demo owner', role: 'owner' },
      { actor: 'system:first-start' },
    );
    const token = await platform.identity.passwordLink(tenant, demoOwnerEmail, {
      hours: firstLinkHours,
      actor: 'system:first-start',
    });
    log.info({ slug: tenant, owner: demoOwnerEmail }, 'created the demo tenant and its owner');
    return { tenant, email: demoOwnerEmail, token };
  }
  return undefined;
}
