import { sql } from 'kysely';
import { backupStaleHours, drillSummary, drillWarnings, type DrillSummary } from '../modules/backup/index.js';
import type { Config } from '../platform/config/config.js';
import { createKysely, createPool } from '../platform/db/connect.js';
import { readReplicationState, type ReplicationState } from '../platform/postgres/replication-status.js';
import {
  lagHistory,
  lastFailoverDrills,
  replicationWarnings,
  type FailoverDrillSummary,
  type LagHistory,
} from '../modules/replication/index.js';
import { readStandbyState } from '../modules/replication/index.js';
import type { PlatformTables } from '../platform/db/schema.js';
import type { Logger } from '../platform/log/log.js';
import { walSpoolDir } from '../platform/postgres/archive.js';
import { acceptsConnections, isPostmasterRunning, readPostmasterPid } from '../platform/postgres/data-dir.js';
import { ensurePostgresOsUser } from '../platform/postgres/os-user.js';
import { FsStore } from '../platform/storage/fs-store.js';
import { createBackupService } from './backup.js';
import { attachDatabase, embeddedDataDir, withServer, type DatabaseHandle } from './database.js';
import { readInstance } from './instance.js';
import { divergedCopies } from '../modules/replication/index.js';

/** What `steadfast status` reports: observed, never changed (it starts nothing). */
export interface PlatformStatus {
  readonly postgres: { mode: 'embedded' | 'external'; running: boolean; port?: number; pid?: number; dataDir?: string };
  readonly server: { running: boolean; pid?: number; httpPort?: number };
  readonly tenants?: { total: number; byStatus: Record<string, number> };
  readonly backups: {
    readonly count: number;
    readonly latest?: { id: string; finishedAt: string; ageHours: number; repositories: string[] };
    readonly repositories: Array<{ name: string; backups: number; lastWal?: string; error?: string }>;
  };
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

const spoolBacklogFiles = 50;

export async function collectStatus(config: Config, log: Logger): Promise<PlatformStatus> {
  const warnings: string[] = [];
  const instance = await readInstance(config.home);
  const server = { running: Boolean(instance), pid: instance?.pid, httpPort: instance?.httpPort };
  let postgres: PlatformStatus['postgres'];
  let walSpooled: number | undefined;
  if (config.databaseUrl) {
    postgres = { mode: 'external', running: true };
  } else {
    const dataDir = await embeddedDataDir(config, await ensurePostgresOsUser(config.postgresOsUser));
    const info = await readPostmasterPid(dataDir);
    const running = Boolean(info && acceptsConnections(info) && (await isPostmasterRunning(info)));
    postgres = {
      mode: 'embedded',
      running,
      port: running ? info!.port : undefined,
      pid: running ? info!.pid : undefined,
      dataDir,
    };
    if (!running) warnings.push('PostgreSQL is not running: start Steadfast with "npm start" (steadfast up).');
    for (const kept of await divergedCopies(dataDir)) {
      warnings.push(
        `${kept} is this node's data from before a failover, kept when it could not follow the new primary: the commits the failover lost are in it. Remove it when no longer needed.`,
      );
    }
    if (config.walArchiving) {
      walSpooled = (await new FsStore(walSpoolDir(dataDir)).list('')).filter(
        (object) => !object.key.startsWith('.') && !object.key.includes('/'),
      ).length;
      if (walSpooled > spoolBacklogFiles)
        warnings.push(
          `${walSpooled} WAL files are waiting in the spool: a backup repository is failing or slow (see the log).`,
        );
    }
  }
  // One handle on the running server for what the platform database records and for replication.
  const database = postgres.running
    ? await attachDatabase(config, log).catch((error: unknown) => {
        warnings.push(`Replication state could not be read: ${(error as Error).message}`);
        return undefined;
      })
    : undefined;
  let recorded: Awaited<ReturnType<typeof readPlatform>> | undefined;
  let replication: ReplicationState | undefined;
  try {
    recorded = database ? await readPlatform(database).catch(() => undefined) : undefined;
    replication = database
      ? await withServer(database, readReplicationState).catch((error: unknown) => {
          warnings.push(`Replication state could not be read: ${(error as Error).message}`);
          return undefined;
        })
      : undefined;
  } finally {
    await database?.stop();
  }
  if (replication)
    warnings.push(
      ...replicationWarnings(replication, {
        mode: config.replicationMode,
        standbyOf: (await readStandbyState(config.home))?.primary,
      }),
    );
  const { status: backups, oldestFinishedAt } = await backupStatus(config, log, warnings);
  if (recorded?.drills) warnings.push(...drillWarnings(recorded.drills, new Date(), oldestFinishedAt));
  for (const drill of recorded?.failoverDrills ?? []) {
    if (!drill.passed)
      warnings.push(
        `The last ${drill.mode} failover drill (${drill.finishedAt}) FAILED: ${drill.problems[0] ?? 'no reason recorded'}. Run "steadfast drill failover --mode ${drill.mode}" after fixing it.`,
      );
  }
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

/** What the platform database records: tenants by status, and the drills (absent before its migration). */
async function readPlatform(database: DatabaseHandle): Promise<{
  tenants: PlatformStatus['tenants'];
  drills?: DrillSummary;
  replicationHistory?: LagHistory[];
  failoverDrills?: FailoverDrillSummary[];
}> {
  const pool = createPool(database.admin, { max: 1 });
  const db = createKysely<PlatformTables>(pool);
  try {
    const { rows } = await sql<{
      status: string;
      n: number;
    }>`SELECT status, count(*)::int AS n FROM tenants GROUP BY status`.execute(db);
    const tenants = {
      total: rows.reduce((sum, row) => sum + row.n, 0),
      byStatus: Object.fromEntries(rows.map((row) => [row.status, row.n])),
    };
    const replicationHistory = await lagHistory(db, new Date(Date.now() - 86_400_000)).catch(() => undefined);
    return {
      tenants,
      drills: await drillSummary(db).catch(() => undefined),
      replicationHistory,
      failoverDrills: await lastFailoverDrills(db).catch(() => undefined),
    };
  } finally {
    await db.destroy();
  }
}

async function backupStatus(
  config: Config,
  log: Logger,
  warnings: string[],
): Promise<{ status: PlatformStatus['backups']; oldestFinishedAt?: string }> {
  const backups = createBackupService(config, log);
  try {
    const listings = await backups.list();
    const latest = listings.at(-1);
    const repositories = await Promise.all(
      backups.repositoryNames().map(async (name) => {
        try {
          const lastWal = await backups.lastArchivedWal(name);
          return { name, backups: listings.filter((listing) => listing.repositories.includes(name)).length, lastWal };
        } catch (error) {
          warnings.push(`Backup repository ${name} cannot be read: ${(error as Error).message}`);
          return { name, backups: 0, error: (error as Error).message };
        }
      }),
    );
    if (!latest) {
      warnings.push('There is no complete backup yet: take one with "steadfast backup now".');
      return { status: { count: 0, repositories } };
    }
    const ageHours = (Date.now() - Date.parse(latest.record.finishedAt)) / 3_600_000;
    if (ageHours > backupStaleHours)
      warnings.push(
        `The latest backup (${latest.record.id}) is ${Math.floor(ageHours)} hours old; backups are due daily.`,
      );
    return {
      status: {
        count: listings.length,
        latest: {
          id: latest.record.id,
          finishedAt: latest.record.finishedAt,
          ageHours: Math.round(ageHours * 10) / 10,
          repositories: latest.repositories,
        },
        repositories,
      },
      oldestFinishedAt: listings[0]!.record.finishedAt,
    };
  } finally {
    await backups.close();
  }
}
