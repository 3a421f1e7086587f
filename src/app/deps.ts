import type { Kysely } from 'kysely';
import type pg from 'pg';
import { IdentityService, StaffService, SupportService } from '../modules/identity/index.js';
import { TenancyRepository, TenancyService, TenantProvisioner } from '../modules/tenancy/index.js';
import { WorkService } from '../modules/work/index.js';
import { StatusService, statusTitleOf } from '../modules/status/index.js';
import { AlertsService, draftIncidents } from '../modules/alerts/index.js';
import { systemClock, type Clock } from '../platform/clock/clock.js';
import { tlsEnabled, type Config } from '../platform/config/config.js';
import { createKysely, createPool } from '../platform/db/connect.js';
import type { PlatformTables } from '../platform/db/schema.js';
import { TenantPoolRegistry } from '../platform/db/tenant-pools.js';
import { JobQueue } from '../platform/jobs/queue.js';
import { Mail } from '../platform/mail/mail.js';
import type { Logger } from '../platform/log/log.js';
import type { BackupModuleContext } from '../modules/backup/index.js';
import type { ReplicationModuleContext } from '../modules/replication/index.js';
import type { DatabaseHandle } from '../platform/db/handle.js';
import type { Evidence } from '../platform/evidence.js';
import type { Probe } from '../platform/probes.js';
import { migrations } from './modules.js';

/** Everything a role of this process (HTTP, worker, CLI command) works with. */
export interface Platform {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock;
  readonly database: DatabaseHandle;
  readonly db: Kysely<PlatformTables>;
  readonly pool: pg.Pool;
  readonly tenantPools: TenantPoolRegistry;
  readonly jobs: JobQueue;
  /** Outgoing mail: kept in the outbox, delivered by a job when SMTP is configured. */
  readonly mail: Mail;
  readonly tenancy: TenancyService;
  readonly identity: IdentityService;
  readonly work: WorkService;
  /** The platform's staff (the console) and their support grants into workspaces. */
  readonly staff: StaffService;
  readonly support: SupportService;
  /** Monitoring's record: components, what probes found, incidents, maintenance, uptime. */
  readonly status: StatusService;
  /** Alert rules over each probe round, and where alerts go. */
  readonly alerts: AlertsService;
  /** Closes pools; the database handle is stopped by whoever opened it. */
  close(): Promise<void>;
}

/**
 * What the modules are handed (app/modules.ts): the platform, and the services a role of this
 * process has beside it (backups and the drill, WAL shipping, replication as this server sees it).
 */
export interface ModuleContext extends Platform {
  readonly backups?: BackupModuleContext['backups'];
  readonly restoreDrill?: BackupModuleContext['restoreDrill'];
  readonly shipping?: BackupModuleContext['shipping'];
  readonly replication?: ReplicationModuleContext['replication'];
  /** Every module's probes for this round (the status module runs them). */
  readonly probes?: () => Promise<readonly Probe[]>;
  /** Every module's evidence for the trust page (the status module publishes it). */
  readonly evidence?: () => Promise<readonly Evidence[]>;
  /** Where this process serves HTTP (`http://127.0.0.1:<port>`), when it does: the web app's and API's probes reach it there. */
  readonly localUrl?: string | undefined;
}

export interface PlatformOptions {
  readonly clock?: Clock;
  /** Size of the control-plane pool. */
  readonly platformPoolMax?: number;
  /** Port shown in tenant URLs (the HTTP server's actual port). */
  readonly publicPort?: number;
}

/** Wires adapters into services. No I/O happens until something is called. */
export function createPlatform(
  config: Config,
  log: Logger,
  database: DatabaseHandle,
  options: PlatformOptions = {},
): Platform {
  const clock = options.clock ?? systemClock;
  const pool = createPool(database.admin, { max: options.platformPoolMax ?? 10, applicationName: 'steadfast' });
  const db = createKysely<PlatformTables>(pool);
  const cluster = { ...database.admin };
  const tenantPools = new TenantPoolRegistry({
    cluster,
    secretKey: database.secretKey,
    perTenantMax: config.tenantPoolMaxConnections,
    totalMax: config.tenantPoolsMaxConnections,
    idleSeconds: config.tenantPoolIdleSeconds,
  });
  const tenancy = createTenancy(config, log, database, { db, tenantPools, clock, publicPort: options.publicPort });
  const mail = new Mail(db, clock, config);
  const identity = new IdentityService({
    databases: (slug, work) => tenancy.withDatabase(slug, work),
    clock,
    sessions: { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours },
    secretKey: database.secretKey,
    mail,
  });
  const staff = new StaffService({
    db,
    clock,
    secretKey: database.secretKey,
    consoleUrl: publicUrl(config, `console.${config.baseDomain}`, options.publicPort),
  });
  const work = new WorkService({
    databases: (slug, work) => tenancy.withDatabase(slug, work),
    clock,
    listen: (slug, channel, handlers) => tenancy.listen(slug, channel, handlers),
    log: log.child({ module: 'work' }),
    attachments: {
      fileBytes: config.attachmentMaxMb * 1024 * 1024,
      workspaceBytes: config.workspaceAttachmentsMb * 1024 * 1024,
    },
  });
  const status = new StatusService({
    db,
    clock,
    log: log.child({ module: 'status' }),
    publicUrl: config.publicUrl ?? publicUrl(config, config.baseDomain, options.publicPort),
    probeIntervalSeconds: config.probeIntervalSeconds,
    mail,
    secretKey: database.secretKey,
    statusUrl: publicUrl(config, `status.${config.baseDomain}`, options.publicPort),
    statusTitle: statusTitleOf(config),
    tenants: async () =>
      (await tenancy.list()).filter((tenant) => tenant.status === 'active' || tenant.status === 'suspended'),
  });
  const alerts = new AlertsService({
    db,
    clock,
    log: log.child({ module: 'alerts' }),
    mail,
    secretKey: database.secretKey,
    platform: config.baseDomain,
    consoleUrl: staff.consoleUrl,
    onNotice: draftIncidents(status),
  });
  return {
    config,
    log,
    clock,
    database,
    db,
    pool,
    tenantPools,
    jobs: new JobQueue(db),
    mail,
    tenancy,
    identity,
    work,
    staff,
    support: new SupportService({
      db,
      clock,
      staff,
      identity,
      workspace: async (slug) => tenancy.present(await tenancy.resolveActive(slug)),
      mail,
    }),
    status,
    alerts,
    async close() {
      mail.close();
      await work.live.close();
      await tenantPools.closeAll();
      await db.destroy();
    },
  };
}

/** The address a browser uses for `host` on this platform: https on the HTTPS port when TLS is on. */
function publicUrl(config: Config, host: string, publicPort?: number): string {
  const port = publicPort ?? (tlsEnabled(config) ? config.httpsPort : config.httpPort);
  return `${tlsEnabled(config) ? 'https' : 'http'}://${host}${[80, 443].includes(port) ? '' : `:${port}`}`;
}

/** Tenancy: the registry in the platform database, the cluster's databases and roles, the tenants' pools. */
function createTenancy(
  config: Config,
  log: Logger,
  database: DatabaseHandle,
  parts: { db: Kysely<PlatformTables>; tenantPools: TenantPoolRegistry; clock: Clock; publicPort?: number | undefined },
): TenancyService {
  const provisioner = new TenantProvisioner({
    admin: parts.db,
    cluster: { ...database.admin },
    secretKey: database.secretKey,
    platformDatabase: database.platformDatabase,
    connectionLimit: config.tenantRoleMaxConnections,
    tenantMigrations: migrations.tenant,
  });
  return new TenancyService({
    repository: new TenancyRepository(parts.db),
    provisioner,
    pools: parts.tenantPools,
    clock: parts.clock,
    log: log.child({ module: 'tenancy' }),
    region: config.region,
    baseDomain: config.baseDomain,
    publicPort: parts.publicPort ?? (tlsEnabled(config) ? config.httpsPort : config.httpPort),
    publicScheme: tlsEnabled(config) ? 'https' : 'http',
  });
}
