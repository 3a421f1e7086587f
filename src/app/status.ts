import {
  drillSummary,
  drillWarnings,
  observeBackups,
  observeWalSpool,
  type BackupsStatus,
  type DrillSummary,
} from '../modules/backup/index.js';
import {
  divergedCopyWarnings,
  failoverDrillWarnings,
  lagHistory,
  lastFailoverDrills,
  readStandbyState,
  replicationWarnings,
  type FailoverDrillSummary,
  type LagHistory,
} from '../modules/replication/index.js';
import { TenancyRepository } from '../modules/tenancy/index.js';
import type { Config } from '../platform/config/config.js';
import { withKysely } from '../platform/db/connect.js';
import { withServer, type DatabaseHandle } from '../platform/db/handle.js';
import type { PlatformTables } from '../platform/db/schema.js';
import type { Logger } from '../platform/log/log.js';
import { acceptsConnections, isPostmasterRunning, readPostmasterPid } from '../platform/postgres/data-dir.js';
import { walSpoolDir } from '../platform/postgres/archive.js';
import { embeddedDataDir } from '../platform/postgres/embedded.js';
import { ensurePostgresOsUser } from '../platform/postgres/os-user.js';
import { readReplicationState, type ReplicationState } from '../platform/postgres/replication-status.js';
import { readInstance } from '../platform/process/instance.js';
import { FsStore } from '../platform/storage/fs-store.js';
import { createBackupService } from './backup.js';
import { attachDatabase } from './database.js';

/** What `steadfast status` reports: observed, never changed (it starts nothing). */
export interface PlatformStatus {
  readonly postgres: { mode: 'embedded' | 'external'; running: boolean; port?: number; pid?: number; dataDir?: string };
  readonly server: { running: boolean; pid?: number; httpPort?: number };
  readonly tenants?: { total: number; byStatus: Record<string, number> };
  readonly backups: BackupsStatus;
  readonly walSpooled?: number;
  /** The restore drills: the last one and when one last passed (read from the platform database). */
  readonly drills?: DrillSummary;
  /** Replication as this server sees it: its standbys and their slots, or (on a standby) what it receives. */
  readonly replication?: ReplicationState;
  /** Each standby over the last 24 hours, from the primary's samples. */
  readonly replicationHistory?: LagHistory[];
  /** The last failover drill of each replication mode (`steadfast drill failover`). */
  readonly failoverDrills?: FailoverDrillSummary[];
  /** Things an operator should act on; empty when all is well. */
  readonly warnings: string[];
}

/** What `steadfast status` sees: each piece observed on its own, what needs attention gathered as it goes. */
export async function collectStatus(config: Config, log: Logger): Promise<PlatformStatus> {
  const warnings: string[] = [];
  const instance = await readInstance(config.home);
  const server = { running: Boolean(instance), pid: instance?.pid, httpPort: instance?.httpPort };
  const { postgres, walSpooled } = config.databaseUrl
    ? { postgres: { mode: 'external' as const, running: true }, walSpooled: undefined }
    : await observeEmbedded(config, warnings);
  const { recorded, replication } = postgres.running
    ? await observeRunning(config, log, warnings)
    : { recorded: undefined, replication: undefined };
  const { status: backups, oldestFinishedAt } = await backupStatus(config, log, warnings);
  if (recorded?.drills) warnings.push(...drillWarnings(recorded.drills, new Date(), oldestFinishedAt));
  warnings.push(...failoverDrillWarnings(recorded?.failoverDrills ?? []));
  return {
    postgres,
    server,
    tenants: recorded?.tenants,
    backups,
    walSpooled,
    drills: recorded?.drills,
    replication,
    replicationHistory: recorded?.replicationHistory,
    failoverDrills: recorded?.failoverDrills,
    warnings,
  };
}

/** The embedded server from its data directory: running or not, data kept after a divergence, the WAL spool. */
async function observeEmbedded(
  config: Config,
  warnings: string[],
): Promise<{ postgres: PlatformStatus['postgres']; walSpooled?: number }> {
  const dataDir = await embeddedDataDir(config, await ensurePostgresOsUser(config.postgresOsUser));
  const info = await readPostmasterPid(dataDir);
  const running = Boolean(info && acceptsConnections(info) && (await isPostmasterRunning(info)));
  const postgres = {
    mode: 'embedded' as const,
    running,
    port: running ? info!.port : undefined,
    pid: running ? info!.pid : undefined,
    dataDir,
  };
  if (!running) warnings.push('PostgreSQL is not running: start Steadfast with "npm start" (steadfast up).');
  warnings.push(...(await divergedCopyWarnings(dataDir)));
  if (!config.walArchiving) return { postgres };
  const walSpooled = await observeWalSpool(new FsStore(walSpoolDir(dataDir)), warnings);
  return { postgres, walSpooled };
}

/** One handle on the running server for what the platform database records and for replication. */
async function observeRunning(
  config: Config,
  log: Logger,
  warnings: string[],
): Promise<{ recorded?: Awaited<ReturnType<typeof readPlatform>>; replication?: ReplicationState }> {
  const unreadable = (error: unknown): undefined => {
    warnings.push(`Replication state could not be read: ${(error as Error).message}`);
    return undefined;
  };
  const database = await attachDatabase(config, log).catch(unreadable);
  if (!database) return {};
  let recorded: Awaited<ReturnType<typeof readPlatform>> | undefined;
  let replication: ReplicationState | undefined;
  try {
    recorded = await readPlatform(database).catch(() => undefined);
    replication = await withServer(database, readReplicationState).catch(unreadable);
  } finally {
    await database.stop();
  }
  if (replication) {
    const standbyOf = (await readStandbyState(config.home))?.primary;
    warnings.push(...replicationWarnings(replication, { mode: config.replicationMode, standbyOf }));
  }
  return { recorded, replication };
}

/** What the platform database records: tenants by status, and the drills (absent before its migration). */
async function readPlatform(database: DatabaseHandle): Promise<{
  tenants: PlatformStatus['tenants'];
  drills?: DrillSummary;
  replicationHistory?: LagHistory[];
  failoverDrills?: FailoverDrillSummary[];
}> {
  return withKysely<PlatformTables, Awaited<ReturnType<typeof readPlatform>>>(database.admin, async (db) => {
    const tenants = await new TenancyRepository(db).countByStatus();
    const replicationHistory = await lagHistory(db, new Date(Date.now() - 86_400_000)).catch(() => undefined);
    return {
      tenants,
      drills: await drillSummary(db).catch(() => undefined),
      replicationHistory,
      failoverDrills: await lastFailoverDrills(db).catch(() => undefined),
    };
  });
}

async function backupStatus(
  config: Config,
  log: Logger,
  warnings: string[],
): Promise<{ status: BackupsStatus; oldestFinishedAt?: string }> {
  const backups = createBackupService(config, log);
  try {
    return await observeBackups(backups, warnings);
  } finally {
    await backups.close();
  }
}
