import { chown, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BackupResult, TransferProgress } from '../modules/backup/index.js';
import type { JobDefinition } from '../platform/jobs/queue.js';
import type { Platform } from './deps.js';
import type { Config } from '../platform/config/config.js';
import { derivePassword, loadOrCreateSecretKey } from '../platform/crypto/secrets.js';
import { withClient, type ConnectionTarget } from '../platform/db/connect.js';
import { quoteIdent, quoteLiteral } from '../platform/db/sql.js';
import { appError } from '../platform/errors.js';
import type { Logger } from '../platform/log/log.js';
import { embeddedDataDir, embeddedSuperuser } from '../platform/postgres/embedded.js';
import { ensurePostgresOsUser, type RunAs } from '../platform/postgres/os-user.js';
import type { RecoveryTarget } from '../platform/postgres/recovery.js';
import { leaveStartable, prepareRestoreTarget } from '../platform/postgres/restore-target.js';
import { createBackupService, startWalShipping } from './backup.js';
import { startEmbedded } from './database.js';

export interface RecoverOptions {
  /** A backup id; default the latest that restores. */
  readonly id?: string | undefined;
  readonly recovery: RecoveryTarget;
  /** The backup key, if not at `backupKeyFile` already: copied there (backups of the new timeline need it). */
  readonly keyFile?: string | undefined;
  /** The lost home's secret.key, if it was kept: copied into this home. Without it a new one is made. */
  readonly secretKeyFile?: string | undefined;
  readonly onProgress?: ((progress: TransferProgress) => void) | undefined;
  /**
   * Take the first backup of the new timeline before returning. Otherwise it is queued for
   * `steadfast up`, which takes it while it already serves (the archived WAL of the new
   * timeline, on top of the backup restored, keeps it recoverable meanwhile).
   */
  readonly backupFirst?: boolean | undefined;
  /** Each step as it begins, in words. */
  readonly onStep?: ((step: string) => void) | undefined;
}

export interface RecoverResult {
  readonly backupId: string;
  readonly repository: string;
  readonly restoredBytes: number;
  readonly walFiles: number;
  readonly reachedLsn: string | null;
  readonly timeline: number | null;
  /** Commit time of the last transaction recovered: what a person's last saved work is. */
  readonly lastTransactionAt: string | null;
  readonly tenants: number;
  /** kept: the lost home's key was given; new: made here, and every role's password reset to it. */
  readonly secretKey: 'kept' | 'new';
  /** Secrets the lost key sealed, which a new key cannot open (set up again): authenticator apps, webhook secrets. */
  readonly sealedUnderLostKey: { readonly authenticators: number; readonly webhookSecrets: number } | null;
  /** Taken (with --backup-first), or queued for `steadfast up`. */
  readonly firstBackup: { readonly id: string; readonly repositories: readonly string[] } | 'queued';
  readonly seconds: number;
}

/**
 * Brings a lost platform back on this machine from its repositories and backup key alone: the
 * latest backup (or the one `recovery` chooses) restored into this home and its WAL replayed, a
 * new timeline (whose WAL and backups never overwrite the lost primary's: segment names carry
 * the timeline), every role's password made the one this home's secret key derives, and the
 * first backup of the new timeline queued for `steadfast up` (or taken now, `backupFirst`).
 * `steadfast up` then serves the home at once.
 */
export async function recoverPlatform(config: Config, log: Logger, options: RecoverOptions): Promise<RecoverResult> {
  const started = Date.now();
  const step = options.onStep ?? (() => undefined);
  if (config.databaseUrl)
    throw appError(
      'VALIDATION_FAILED',
      'This home is set up for an external PostgreSQL (databaseUrl): recover restores the embedded one. Unset STEADFAST_DATABASE_URL, or restore your own server with its own tools.',
    );
  const runAs = await ensurePostgresOsUser(config.postgresOsUser);
  const dataDir = await embeddedDataDir(config, runAs);
  if ((await readdir(dataDir).catch(() => [])).length > 0)
    throw appError(
      'RESTORE_TARGET_NOT_EMPTY',
      `This home already has a database at ${dataDir}. Recover into a new, empty home (another STEADFAST_HOME); nothing was changed.`,
    );
  const keys = await placeKeys(config, options.keyFile, options.secretKeyFile);
  const lostKey = keys.state === 'new';

  step('restoring the latest backup and replaying the archived WAL');
  const prepared = await prepareRestoreTarget(dataDir, runAs).catch(async (error: unknown) => {
    await keys.undo();
    throw error;
  });
  const backups = createBackupService(config, log);
  let tenants = 0;
  let sealedUnderLostKey: RecoverResult['sealedUnderLostKey'] = null;
  const restored = await backups
    .restore({
      id: options.id,
      target: prepared.dataDir,
      recovery: options.recovery,
      owner: runAs,
      onProgress: options.onProgress,
      // While the recovered cluster runs (a private socket, no one else connected): its roles' passwords.
      inspect: async (target) => {
        tenants = await resetPasswords(target(config.platformDatabase), keys.secretKey);
        if (lostKey) sealedUnderLostKey = await sealedSecrets(target, config.platformDatabase);
      },
    })
    .catch(async (error: unknown) => {
      // The home as it was: the restore empties its target; the keys this run wrote go too.
      await prepared.discard();
      await keys.undo();
      throw error;
    })
    .finally(() => backups.close());
  await leaveStartable(prepared.dataDir, runAs);
  await markHistoryForArchiving(prepared.dataDir, runAs);

  let firstBackup: RecoverResult['firstBackup'] = 'queued';
  if (options.backupFirst) {
    step('taking the first backup of the new timeline, and archiving its WAL');
    const first = await firstBackupNow(config, log, options.onProgress);
    firstBackup = { id: first.record.id, repositories: first.stored };
  } else await writeFile(firstBackupDueFile(config), `${JSON.stringify({ after: restored.record.id })}\n`);
  return {
    backupId: restored.record.id,
    repository: restored.repository,
    restoredBytes: restored.bytes,
    walFiles: restored.walFiles,
    reachedLsn: restored.recovery?.reachedLsn ?? null,
    timeline: restored.recovery?.timeline ?? null,
    lastTransactionAt: restored.recovery?.lastTransactionAt ?? null,
    tenants,
    secretKey: keys.state,
    sealedUnderLostKey,
    firstBackup,
    seconds: (Date.now() - started) / 1000,
  };
}

/** The keys a recovery writes into the home, checked before anything is written; `undo` removes what it wrote. */
interface PlacedKeys {
  readonly secretKey: string;
  readonly state: 'kept' | 'new';
  undo(): Promise<void>;
}

/**
 * Puts the backup key at `backupKeyFile` (from `keyFile` when given elsewhere) and the secret key
 * in the home: the lost home's (`secretKeyFile`, or the one configured), or a new one. Every
 * input is read and checked first, so a refusal changes nothing.
 */
async function placeKeys(
  config: Config,
  keyFile: string | undefined,
  secretKeyFile: string | undefined,
): Promise<PlacedKeys> {
  const read = (file: string, what: string) =>
    readFile(file, 'utf8').then(
      (text) => text.trim(),
      () => {
        throw appError(
          what === 'backup' ? 'BACKUP_KEY_MISSING' : 'VALIDATION_FAILED',
          `Cannot read the ${what} key ${file}: check the path.`,
        );
      },
    );
  const backupHome = config.backupKeyFile;
  const backupPresent = await readFile(backupHome, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  const backupGiven =
    keyFile === undefined || path.resolve(keyFile) === backupHome ? undefined : await read(keyFile, 'backup');
  if (backupGiven === undefined && backupPresent === undefined)
    throw appError(
      'BACKUP_KEY_MISSING',
      `No backup key at ${backupHome}: give the one the lost platform used with --key-file <file> (the backups cannot be read without it).`,
    );
  if (backupGiven !== undefined && backupPresent !== undefined && backupGiven !== backupPresent)
    throw appError(
      'BACKUP_KEY_MISMATCH',
      `${backupHome} holds another backup key than ${keyFile}. Recover into a new, empty home; nothing was changed.`,
    );

  const secretHome = path.join(config.home, 'secret.key');
  const secretPresent = await readFile(secretHome, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  const secretGiven = secretKeyFile === undefined ? undefined : await read(secretKeyFile, 'secret');
  const configured = config.secretKey;
  if (secretGiven !== undefined && configured !== undefined && secretGiven !== configured)
    throw appError(
      'VALIDATION_FAILED',
      `${secretKeyFile} holds another secret key than the one configured (STEADFAST_SECRET_KEY); the platform would run under the configured one. Give one of them; nothing was changed.`,
    );
  if (
    secretGiven !== undefined &&
    secretPresent !== undefined &&
    secretGiven !== secretPresent &&
    configured === undefined
  )
    throw appError(
      'VALIDATION_FAILED',
      `${secretHome} holds another secret key than ${secretKeyFile}. Recover into a new, empty home; nothing was changed.`,
    );

  const written: string[] = [];
  const write = async (file: string, text: string) => {
    await writeFile(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
    written.push(file);
  };
  if (backupGiven !== undefined && backupPresent === undefined) await write(backupHome, backupGiven);
  let secretKey: string;
  let state: 'kept' | 'new';
  if (configured !== undefined) {
    // A key in the configuration is the operator's choice: kept, whichever home made it.
    [secretKey, state] = [configured, 'kept'];
  } else if (secretGiven !== undefined) {
    if (secretPresent === undefined) await write(secretHome, secretGiven);
    [secretKey, state] = [secretGiven, 'kept'];
  } else if (secretPresent !== undefined) {
    [secretKey, state] = [secretPresent, 'new'];
  } else {
    secretKey = await loadOrCreateSecretKey(config.home);
    written.push(secretHome);
    state = 'new';
  }
  return {
    secretKey,
    state,
    undo: async () => {
      for (const file of written) await rm(file, { force: true });
    },
  };
}

/** Sets the superuser's and every workspace role's password to what `secretKey` derives; returns how many workspaces there are. */
async function resetPasswords(platform: ConnectionTarget, secretKey: string): Promise<number> {
  return withClient(platform, async (client) => {
    // A workspace caught half-made (its row written, its role not yet) has no role to reset.
    const { rows } = await client.query<{ role_name: string; serving: boolean }>(
      `SELECT t.role_name, t.status IN ('active', 'suspended') AS serving
         FROM tenants t JOIN pg_roles r ON r.rolname = t.role_name
        WHERE t.status <> 'deleting' ORDER BY t.slug`,
    );
    for (const role of [embeddedSuperuser, ...rows.map((row) => row.role_name)])
      await client.query(
        `ALTER ROLE ${quoteIdent(role)} WITH PASSWORD ${quoteLiteral(derivePassword(secretKey, role))}`,
      );
    return rows.filter((row) => row.serving).length;
  });
}

/** How many secrets the lost key sealed: staff and people's authenticator apps, webhook signing secrets. */
async function sealedSecrets(
  target: (database: string) => ConnectionTarget,
  platformDatabase: string,
): Promise<{ authenticators: number; webhookSecrets: number }> {
  const count = (database: string, table: string, column: string) =>
    withClient(target(database), async (client) => {
      const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
      if (!exists.rows[0]?.t) return 0;
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${quoteIdent(table)} WHERE ${quoteIdent(column)} IS NOT NULL`,
      );
      return Number(rows[0]!.n);
    });
  const databases = await withClient(target(platformDatabase), async (client) => {
    const { rows } = await client.query<{ database_name: string }>(
      "SELECT database_name FROM tenants WHERE status IN ('active', 'suspended')",
    );
    return rows.map((row) => row.database_name);
  });
  let authenticators = await count(platformDatabase, 'staff', 'totp_secret');
  for (const database of databases) authenticators += await count(database, 'users', 'totp_secret');
  return { authenticators, webhookSecrets: await count(platformDatabase, 'alert_channels', 'secret_sealed') };
}

/**
 * Marks the new timeline's history files for archiving: recovery ran with archiving off, so
 * PostgreSQL did not. Archived, they tell a later recovery that this timeline is taken, so it
 * picks the next (its WAL never overwrites this one's).
 */
async function markHistoryForArchiving(dataDir: string, runAs: RunAs | undefined): Promise<void> {
  const walDir = path.join(dataDir, 'pg_wal');
  for (const name of await readdir(walDir)) {
    if (!/^[0-9A-F]{8}\.history$/.test(name)) continue;
    const done = path.join(walDir, 'archive_status', `${name}.done`);
    if (
      await stat(done).then(
        () => true,
        () => false,
      )
    )
      continue;
    const ready = path.join(walDir, 'archive_status', `${name}.ready`);
    await writeFile(ready, '');
    if (runAs) await chown(ready, runAs.uid, runAs.gid);
  }
}

/** Present in a recovered home until its first backup is queued: `steadfast up` queues it as it starts. */
const firstBackupDueFile = (config: Pick<Config, 'home'>): string => path.join(config.home, 'first-backup-due.json');

/** The first backup of the new timeline, with WAL shipping on so its history and WAL reach the repositories. */
async function firstBackupNow(
  config: Config,
  log: Logger,
  onProgress: ((progress: TransferProgress) => void) | undefined,
): Promise<BackupResult> {
  const database = await startEmbedded(config, log);
  const shipping = startWalShipping(config, log, database);
  try {
    const fresh = createBackupService(config, log, database);
    try {
      return await fresh.take(onProgress);
    } finally {
      await fresh.close();
    }
  } finally {
    await shipping?.stopStreamer();
    await database.stop();
    await shipping?.stopPusher();
  }
}

/**
 * In a home `recover` left: queues the first backup of the new timeline on the worker's queue,
 * once (the job is durable from here on), and forgets it was due.
 */
export async function queueFirstBackupIfDue(
  context: Pick<Platform, 'config' | 'jobs' | 'log'>,
  jobs: readonly JobDefinition[],
): Promise<void> {
  const due = firstBackupDueFile(context.config);
  const marker = await readFile(due, 'utf8').catch(() => undefined);
  if (marker === undefined) return;
  const backup = jobs.find((job) => job.type === 'backup.base');
  if (!backup) return;
  // No retention with it: what the lost platform left is removed only when an operator asks, or by the next nightly backup.
  await context.jobs.enqueue(
    backup,
    { retention: false, full: true },
    { dedupeKey: `recover:first-backup:${marker.trim()}` },
  );
  await rm(due, { force: true });
  context.log.info('queued the first backup of the timeline recovery started');
}
