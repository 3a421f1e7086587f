import {
  BackupService,
  recordDrill,
  runDrill,
  WalPusher,
  WalStreamer,
  TenantRestore,
  type DrillResult,
  type Repository,
  type TenantRestoreOptions,
  type TenantRestoreResult,
  type TransferProgress,
} from '../modules/backup/index.js';
import type { TenancyService } from '../modules/tenancy/index.js';
import type { Kysely } from 'kysely';
import { systemClock, type Clock } from '../platform/clock/clock.js';
import type { Config } from '../platform/config/config.js';
import { sealPool } from '../platform/crypto/seal-pool.js';
import type { ConnectionTarget } from '../platform/db/connect.js';
import type { DatabaseHandle } from '../platform/db/handle.js';
import type { PlatformTables } from '../platform/db/schema.js';
import type { Logger } from '../platform/log/log.js';
import { postgresBackupSource } from '../platform/postgres/backup-source.js';
import { resolveBinaries } from '../platform/postgres/binaries.js';
import { ensurePostgresOsUser } from '../platform/postgres/os-user.js';
import { runRecovery } from '../platform/postgres/recovery.js';
import { postgresRestoredCopy } from '../platform/postgres/restored-copy.js';
import { scratchDirectory } from '../platform/postgres/scratch-dir.js';
import { walFlushSource } from '../platform/postgres/wal-files.js';
import { removeTree } from '../platform/storage/dirs.js';
import { FsStore } from '../platform/storage/fs-store.js';
import { localScratchSpace } from '../platform/storage/scratch-space.js';
import { objectStoreOf } from '../platform/storage/stores.js';
import { migrations } from './modules.js';

/** The configured repositories, as object stores. */
export function repositoriesOf(config: Config): Repository[] {
  return config.backupRepositories.map((repository) => ({
    name: repository.name,
    store: objectStoreOf(repository),
    retention: repository.retention,
  }));
}

/** The cluster to back up: how to reach it, and its data directory when it runs on this machine. */
export interface BackupSource {
  readonly admin: ConnectionTarget;
  readonly dataDir?: string | undefined;
}

/**
 * The backup service. `source` is the cluster to back up; listing, verifying and
 * restoring need only the repositories and the key, so they work on a new machine.
 */
export function createBackupService(
  config: Config,
  log: Logger,
  source?: BackupSource,
  keyFile?: string,
): BackupService {
  const backupLog = log.child({ module: 'backup' });
  return new BackupService({
    repositories: repositoriesOf(config),
    recover: async (run) => {
      const runAs = await ensurePostgresOsUser(config.postgresOsUser);
      return runRecovery({
        ...run,
        binaries: await resolveBinaries(runAs),
        runAs,
        log: backupLog.child({ component: 'recovery' }),
      });
    },
    scratch: localScratchSpace,
    source: source && postgresBackupSource(source.admin, source.dataDir),
    keyFile: keyFile ?? config.backupKeyFile,
    clock: systemClock,
    log: backupLog,
    timeZone: config.timeZone,
  });
}

/**
 * The WAL streamer for an embedded Postgres (walStreaming), or none: it reads the WAL Postgres
 * has flushed from `<dataDir>/pg_wal`, so it runs beside the Postgres it was given.
 */
export function createWalStreamer(
  config: Config,
  log: Logger,
  database: { admin: ConnectionTarget; dataDir?: string | undefined },
): WalStreamer | undefined {
  if (!config.walStreaming || !database.dataDir) return undefined;
  return new WalStreamer({
    ...walFlushSource(database.admin, database.dataDir),
    repositories: repositoriesOf(config),
    keyFile: config.backupKeyFile,
    clock: systemClock,
    log: log.child({ module: 'backup', component: 'wal-stream' }),
  });
}

/** The resident WAL pusher for an embedded Postgres whose archive_command fills `spool`. */
export function createWalPusher(config: Config, log: Logger, spool: string): WalPusher {
  return new WalPusher({
    spool: new FsStore(spool),
    repositories: repositoriesOf(config),
    keyFile: config.backupKeyFile,
    clock: systemClock,
    log: log.child({ module: 'backup', component: 'wal-pusher' }),
  });
}

/** The niceness of sealing (compression + encryption) in a process beside its Postgres. */
const sealingNice = 10;

/** WAL shipping beside the embedded Postgres this process started. */
export interface WalShipping {
  readonly pusher: WalPusher;
  readonly streamer?: WalStreamer | undefined;
  /** Before Postgres stops: the streamer stores what was flushed and lets go of its connection. */
  stopStreamer(): Promise<void>;
  /** After Postgres stops: the pusher stores the WAL of its shutdown too. */
  stopPusher(): Promise<void>;
}

/**
 * Starts the pusher (archive_command's spool to the repositories) and the WAL streamer for
 * an embedded Postgres this process owns, or nothing when archiving is off.
 */
export function startWalShipping(
  config: Config,
  log: Logger,
  database: { admin: ConnectionTarget; dataDir?: string | undefined; walSpool?: string | undefined },
): WalShipping | undefined {
  if (!database.walSpool) return undefined;
  // This process shares the machine with its Postgres: sealing yields the CPU to commits.
  sealPool.lowerPriority(sealingNice);
  const pusher = createWalPusher(config, log, database.walSpool);
  const streamer = createWalStreamer(config, log, database);
  pusher.start();
  streamer?.start();
  return {
    pusher,
    streamer,
    stopStreamer: async () => streamer?.stop(),
    stopPusher: () => pusher.stop(config.shutdownGraceSeconds * 1000),
  };
}

/**
 * What the drill and scratch copies need of the running platform (a Platform is one): taking
 * no more keeps this file free of the platform's own wiring, which starts WAL shipping from here.
 */
export interface BackupPlatform {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock;
  readonly database: Pick<DatabaseHandle, 'admin' | 'dataDir' | 'platformDatabase'>;
  readonly db: Kysely<PlatformTables>;
  readonly tenancy: TenancyService;
}

/**
 * The restore drill of this platform: the tenants' databases compared, the platform's own
 * checked, the scratch copy beside the data directory (or in drillDirectory), the result
 * recorded for status and metrics.
 */
export function createDrill(
  platform: BackupPlatform,
  backups: BackupService,
): (onProgress?: (progress: TransferProgress) => void) => Promise<DrillResult> {
  return async (onProgress) => {
    const { database } = platform;
    const scratch = await scratchDirectory(platform.config, database.dataDir);
    const result = await runDrill(
      {
        backups,
        source: database.admin,
        databases: () => platform.tenancy.databasesWithData(),
        checkOnly: [database.platformDatabase],
        scratchDir: scratch.dir,
        owner: scratch.owner,
        clock: platform.clock,
        log: platform.log.child({ module: 'backup', component: 'drill' }),
      },
      onProgress,
    );
    await recordDrill(platform.db, result);
    return result;
  };
}

/**
 * Brings one tenant's data back from the backups (see TenantRestore): the scratch copy where
 * drills make theirs, the tenant loaded through the tenancy service.
 */
export async function restoreTenant(
  platform: BackupPlatform,
  backups: BackupService,
  options: TenantRestoreOptions,
): Promise<TenantRestoreResult> {
  const restore = new TenantRestore({
    backups,
    tenancy: platform.tenancy,
    copies: postgresRestoredCopy(migrations.tenant),
    scratch: {
      prepare: () => scratchDirectory(platform.config, platform.database.dataDir),
      remove: removeTree,
    },
    clock: platform.clock,
  });
  return restore.run(options);
}
