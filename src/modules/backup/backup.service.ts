import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../platform/clock/clock.js';
import { loadBackupKey, type BackupKey } from '../../platform/crypto/backup-key.js';
import { Crc32c } from '../../platform/checksum.js';
import { seal, sealedChunkBytes, unseal } from '../../platform/crypto/sealed.js';
import type { ConnectionTarget } from '../../platform/db/connect.js';
import { appError, isAppError } from '../../platform/errors.js';
import { TransferMeter as Meter } from '../../platform/progress.js';
import type { Logger } from '../../platform/log/log.js';
import { checkTarAgainstManifest, parseManifest } from '../../platform/postgres/manifest.js';
import type { Inspect, RecoveryOutcome, RecoveryTarget } from '../../platform/postgres/recovery.js';
import { canBackUpFiles, streamFileBackup } from '../../platform/postgres/file-backup.js';
import { identifySystem, streamBaseBackup, type BaseBackupEvent } from '../../platform/postgres/replication.js';
import { createRestorePoint } from '../../platform/postgres/restore-point.js';
import { parseLsn } from '../../platform/postgres/lsn.js';
import { emptyDirectory, requireEmptyDirectory } from '../../platform/storage/dirs.js';
import type { ObjectStore, StoredObject } from '../../platform/storage/store.js';
import { extractTar } from '../../platform/storage/tar-extract.js';
import { broadcast, pushable } from '../../platform/streams.js';
import {
  assertKeyFitsRepositories,
  backupIdAt,
  timeOfBackupId,
  claimRepository,
  backupPrefix,
  markKey,
  readRecords,
  recordIsAuthentic,
  recordKey,
  sealRecord,
  walFileOf,
  walKey,
  writeJson,
  writeRecord,
} from './backup.catalog.js';
import { planRetention, type RetentionPolicy } from './backup.retention.js';
import { isSegmentName, planWal, segmentEnding, segmentOf, type WalGap } from './backup.wal-plan.js';
import { chainOfPieces, joinPieces, paddedToSegment, partialPattern, streamedSegments } from './backup.wal-pieces.js';
import type { Repository } from './backup.ports.js';
export type { Repository } from './backup.ports.js';
import {
  backupIdSchema,
  restorePointSchema,
  type BackupListing,
  type BackupRecord,
  type TransferProgress,
} from './backup.schema.js';

export interface RetentionReport {
  readonly repository: string;
  readonly keep: string[];
  readonly remove: string[];
  readonly walFilesRemoved: number;
  /** From when to now any moment can be restored, after this retention. */
  readonly recoverableFrom?: string;
  /** Backups that never finished (no record, started over a day ago): their objects go too. */
  readonly abandoned: string[];
  /** Temporary files of writes a process died in (over a day old); counted when removed, not in a dry run. */
  readonly unfinishedWritesRemoved?: number;
  /** Why nothing was removed, when something held it back (a restore in progress). */
  readonly skipped?: string;
  readonly dryRun: boolean;
}

/** Replays fetched WAL on a restored data directory to its target (an adapter around Postgres). */
export type Recover = (run: {
  dataDir: string;
  walDir: string;
  target: RecoveryTarget;
  role: string;
  inspect?: Inspect | undefined;
}) => Promise<RecoveryOutcome>;

export interface RestoreOptions {
  readonly id?: string;
  /** The new data directory. */
  readonly target: string;
  /** Where recovery stops; `none` leaves the backup as taken (consistent at its end). Default: the latest archived WAL. */
  readonly recovery?: RecoveryTarget | 'none';
  readonly owner?: { uid: number; gid: number };
  readonly onProgress?: (progress: TransferProgress) => void;
  /** Checks the recovered cluster while it runs, before it is stopped (the nightly drill). */
  readonly inspect?: Inspect;
}

export interface RestoreResult {
  readonly record: BackupRecord;
  readonly repository: string;
  readonly files: number;
  readonly bytes: number;
  readonly walFiles: number;
  /** Holes in the archived WAL: recovery cannot pass them. */
  readonly walGaps: WalGap[];
  readonly recovery?: RecoveryOutcome;
  readonly seconds: number;
}

export interface BackupServiceDeps {
  readonly repositories: readonly Repository[];
  /** Replays WAL after a restore; without it, restores stop at the backup's end. */
  readonly recover?: Recover;
  /** A store in a local directory, for the WAL a restore fetches. */
  readonly localStore?: (dir: string) => ObjectStore;
  /** The cluster to back up, as a role allowed to replicate; not needed to list, verify or restore. */
  readonly source?: ConnectionTarget | undefined;
  /**
   * The data directory of `source` when it runs on this machine: a backup then reads the files
   * itself (the low-level backup API) instead of having a walsender stream them (BASE_BACKUP).
   */
  readonly sourceDataDir?: string | undefined;
  readonly keyFile: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** For calendar retention. */
  readonly timeZone?: string;
}

const defaultRetention: RetentionPolicy = { daily: 7, weekly: 4, monthly: 3 };
/** A restore's lock older than this is taken to be left over from a crash. */
const restoreLockStaleMs = 12 * 3600_000;
/**
 * How long a retention's lock holds restores back. Short: a restore is the emergency path and
 * must not wait half a day for a retention that died; one still deleting after this no longer
 * holds a restore back (which at worst fails over to the next repository).
 */
const retentionLockStaleMs = 15 * 60_000;
/**
 * A backup without a record this long after its start has failed or died; retention removes its
 * objects (and temporary files this old are of writes that died). No backup runs this long here.
 */
const abandonedAfterMs = 24 * 3600_000;
/** How often a restore waiting for a retention to end looks again. */
const lockPollMs = 1000;

export interface BackupResult {
  readonly record: BackupRecord;
  readonly stored: string[];
  readonly failed: Array<{ repository: string; error: string }>;
  readonly seconds: number;
}

export interface VerifyResult {
  readonly id: string;
  readonly repository: string;
  readonly ok: boolean;
  readonly files: number;
  readonly problems: string[];
}

type ObjectEntry = BackupRecord['objects'][number];

/** Postgres omits the tar trailer (two 512-byte zero blocks); we add it so each archive is a valid tar. */
const tarTrailer = Buffer.alloc(1024);

/**
 * Base backups streamed from the server over the replication protocol, compressed and
 * encrypted on our side, written to every repository at once; listing, verification
 * against Postgres's own backup manifest, and restore of the whole cluster.
 */
export class BackupService {
  constructor(private readonly deps: BackupServiceDeps) {}

  /** Takes a base backup now. Fails only if no repository could store it; `signal` stops it cleanly. */
  async take(onProgress?: (progress: TransferProgress) => void, signal?: AbortSignal): Promise<BackupResult> {
    const { clock, log, repositories, source } = this.deps;
    if (!source) throw appError('BACKUP_FAILED', 'There is no database to back up in this process.');
    const key = await this.key(true);
    const startedAt = clock.now();
    const id = backupIdAt(startedAt);
    const identity = await identifySystem(source).catch((error: unknown) => {
      throw appError(
        'BACKUP_FAILED',
        `Cannot open a replication connection to PostgreSQL: ${(error as Error).message}. The backup role needs the REPLICATION privilege and a pg_hba "replication" rule.`,
        { cause: error },
      );
    });
    const failures = new Map<string, string>();
    for (const repository of repositories) {
      await claimRepository(repository.store, identity.systemIdentifier).catch((error: Error) =>
        failures.set(repository.name, error.message),
      );
    }
    if (failures.size === repositories.length)
      throw appError(
        'BACKUP_FAILED',
        `No repository can take this backup: ${[...failures].map(([name, why]) => `${name}: ${why}`).join('; ')}`,
      );
    const objects = new Map<string, ObjectEntry[]>(repositories.map((repository) => [repository.name, []]));
    const meter = new Meter(clock, 'backing up');
    let start: { startLsn: string; timeline: number } | undefined;
    let end: { endLsn: string } | undefined;
    let sink: ArchiveSink | undefined;
    let manifest: Buffer[] | undefined;
    let sourceBytes = 0;

    const finishSink = async (): Promise<void> => {
      if (!sink) return;
      const done = sink;
      sink = undefined;
      this.collect(await done.finish(), done.name, objects, failures);
    };

    try {
      for await (const event of await this.backupStream(source, `steadfast ${id}`)) {
        signal?.throwIfAborted();
        if (event.kind === 'start') {
          start = event;
          meter.total =
            event.tablespaces.reduce((sum, space) => sum + (space.sizeKb ?? 0) * 1024, 0) + 16 * 1024 * 1024;
        } else if (event.kind === 'archive') {
          await finishSink();
          sink = this.openSink(event.name, `${backupPrefix(id)}${event.name}.sealed`, key, failures);
        } else if (event.kind === 'manifest') {
          await finishSink();
          manifest = [];
        } else if (event.kind === 'data') {
          sourceBytes += event.chunk.length;
          if (manifest) manifest.push(event.chunk);
          else await sink?.push(event.chunk);
          onProgress?.(meter.update(sourceBytes));
        } else if (event.kind === 'end') {
          end = event;
        }
      }
    } catch (error) {
      // Uploads under way are failed, so their temporary objects are removed, then the error goes on.
      await sink?.abort(error as Error);
      throw error;
    }
    await finishSink();
    if (!start || !end || !manifest)
      throw appError('BACKUP_FAILED', 'PostgreSQL ended the base backup stream early; no backup was recorded.');

    const manifestSink = this.openSink('backup_manifest', `${backupPrefix(id)}backup_manifest.sealed`, key, failures);
    for (const chunk of manifest) await manifestSink.push(chunk);
    this.collect(await manifestSink.finish(), 'backup_manifest', objects, failures);

    const stored: string[] = [];
    for (const repository of repositories) {
      if (failures.has(repository.name)) continue;
      const record = sealRecord(
        {
          format: 1,
          id,
          label: `steadfast ${id}`,
          startedAt: startedAt.toISOString(),
          finishedAt: clock.now().toISOString(),
          startLsn: start.startLsn,
          endLsn: end.endLsn,
          timeline: start.timeline,
          systemIdentifier: identity.systemIdentifier,
          postgresVersion: identity.serverVersionNum,
          keyFingerprint: key.fingerprint,
          role: source.user,
          includesWal: true,
          sourceBytes,
          objects: objects.get(repository.name)!,
        },
        key,
      );
      try {
        await writeRecord(repository.store, record);
        stored.push(repository.name);
      } catch (error) {
        failures.set(repository.name, (error as Error).message);
      }
    }
    const failed = [...failures].map(([repository, error]) => ({ repository, error }));
    for (const failure of failed) log.error(failure, 'a backup repository did not store the backup');
    if (stored.length === 0)
      throw appError(
        'BACKUP_FAILED',
        `No repository stored backup ${id}: ${failed.map((f) => `${f.repository}: ${f.error}`).join('; ')}`,
      );
    const record = (await this.find(id)).record;
    log.info({ id, stored, sourceBytes }, 'base backup complete');
    return { record, stored, failed, seconds: (clock.now().getTime() - startedAt.getTime()) / 1000 };
  }

  /** The files of the cluster: read here when it is on this machine (and has no tablespaces), else streamed by BASE_BACKUP. */
  private async backupStream(source: ConnectionTarget, label: string): Promise<AsyncIterable<BaseBackupEvent>> {
    const dataDir = this.deps.sourceDataDir;
    if (dataDir && (await canBackUpFiles(dataDir)))
      return streamFileBackup(source, dataDir, { label, fastCheckpoint: true, chunkBytes: sealedChunkBytes });
    return streamBaseBackup(source, { label, includeWal: true, fastCheckpoint: true, chunkBytes: sealedChunkBytes });
  }

  /**
   * Applies each repository's retention: removes the backups its policy does not keep
   * (their record first, so a backup never half-disappears) and the WAL no kept backup
   * needs. A repository with a restore or drill running is left alone.
   */
  async retention(options: { dryRun: boolean }): Promise<RetentionReport[]> {
    const key = await this.key(false);
    const reports: RetentionReport[] = [];
    for (const repository of this.deps.repositories) {
      try {
        reports.push(await this.retain(repository, key, options.dryRun));
      } catch (error) {
        // One unreachable repository must not stop the others' retention.
        reports.push({
          repository: repository.name,
          keep: [],
          remove: [],
          abandoned: [],
          walFilesRemoved: 0,
          skipped: `it could not be read: ${(error as Error).message}`,
          dryRun: options.dryRun,
        });
      }
    }
    return reports;
  }

  private async retain(repository: Repository, key: BackupKey, dryRun: boolean): Promise<RetentionReport> {
    // Only backups written under our key and unaltered count: a foreign record can move nothing.
    const records = (await readRecords(repository.store, () => undefined)).filter((record) =>
      recordIsAuthentic(record, key),
    );
    const plan = planRetention(
      records.map((record) => ({ id: record.id, finishedAt: new Date(record.finishedAt) })),
      repository.retention ?? defaultRetention,
      this.deps.timeZone ?? 'UTC',
    );
    const oldestKept = records.find((record) => record.id === plan.keep[0]);
    const firstNeeded = oldestKept ? segmentOf(oldestKept.startLsn, oldestKept.timeline) : undefined;
    const walObjects = (await repository.store.list('wal/')).map((object) => walFileOf(object.key));
    const whole = new Set(walObjects.filter(isSegmentName));
    const walToRemove = walObjects.filter(
      (file) =>
        (firstNeeded !== undefined && /^[0-9A-F]{24}/.test(file) && file.slice(0, 24) < firstNeeded) ||
        // A streamed partial copy whose segment has since been stored whole (the streamer stopped before tidying it).
        (partialPattern.test(file) && whole.has(file.slice(0, 24))),
    );
    const abandonedBefore = new Date(this.deps.clock.now().getTime() - abandonedAfterMs);
    const abandoned = unrecordedBackups(await repository.store.list('backups/')).filter(
      (id) => timeOfBackupId(id) < abandonedBefore,
    );
    const report = {
      repository: repository.name,
      keep: plan.keep,
      remove: plan.remove,
      abandoned,
      walFilesRemoved: walToRemove.length,
      recoverableFrom: oldestKept?.finishedAt,
      dryRun,
    };
    // Intent first, then the check: a restore starting meanwhile sees this lock and waits, or
    // this retention sees the restore's lock and removes nothing. One of them always sees the other.
    const lock = dryRun ? undefined : await this.lock(repository, 'retention');
    try {
      const restoring = await this.activeLock(repository, 'restore');
      if (restoring)
        return {
          ...report,
          remove: [],
          abandoned: [],
          walFilesRemoved: 0,
          skipped: 'a restore is running; retention waits for it to end',
        };
      if (dryRun) return report;
      for (const id of plan.remove) {
        await repository.store.delete(recordKey(id)); // the record first: the backup is gone from listings at once
        for (const object of await repository.store.list(backupPrefix(id))) await repository.store.delete(object.key);
      }
      for (const id of abandoned)
        for (const object of await repository.store.list(backupPrefix(id))) await repository.store.delete(object.key);
      for (const file of walToRemove) await repository.store.delete(walKey(file));
      const unfinishedWritesRemoved = (await repository.store.removeUnfinished?.(abandonedBefore)) ?? 0;
      if (plan.remove.length || abandoned.length || unfinishedWritesRemoved) {
        this.deps.log.info(
          {
            repository: repository.name,
            removed: plan.remove,
            abandoned,
            walFilesRemoved: walToRemove.length,
            unfinishedWritesRemoved,
          },
          'retention removed old backups',
        );
      }
      return { ...report, unfinishedWritesRemoved };
    } finally {
      await lock?.release();
    }
  }

  /**
   * Creates a named restore point and closes the WAL segment, so the point is archived
   * at once and `restore --name` can reach it. Returns its WAL position.
   */
  async mark(name: string): Promise<string> {
    const parsed = restorePointSchema.safeParse(name);
    if (!parsed.success)
      throw appError('VALIDATION_FAILED', `A restore point name ${parsed.error.issues[0]!.message}.`);
    if (!this.deps.source) throw appError('BACKUP_FAILED', 'There is no database to mark in this process.');
    const existing = await this.findMark(parsed.data);
    if (existing) {
      // Postgres stops at the first point of a name: a second one could never be reached.
      throw appError(
        'VALIDATION_FAILED',
        `A restore point named "${parsed.data}" already exists (made at ${existing.createdAt}); choose another name.`,
      );
    }
    const { lsn } = await createRestorePoint(this.deps.source, parsed.data, { switchWal: true });
    const mark = { name: parsed.data, lsn, createdAt: this.deps.clock.now().toISOString() };
    const written = await Promise.allSettled(
      this.deps.repositories.map((repository) => writeJson(repository.store, markKey(parsed.data), mark)),
    );
    if (!written.some((result) => result.status === 'fulfilled'))
      this.deps.log.error(
        { name: parsed.data },
        'the restore point exists but no repository recorded it; restore to it by time instead',
      );
    this.deps.log.info(mark, 'created a restore point');
    return lsn;
  }

  /** A restore point made with mark(), as recorded in the repositories. */
  private async findMark(name: string): Promise<{ name: string; lsn: string; createdAt: string } | undefined> {
    for (const repository of this.deps.repositories) {
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of repository.store.get(markKey(name))) chunks.push(chunk);
        return JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name: string; lsn: string; createdAt: string };
      } catch {
        // not in this repository (or unreadable): try the next
      }
    }
    return undefined;
  }

  repositoryNames(): string[] {
    return this.deps.repositories.map((repository) => repository.name);
  }

  /** The newest WAL segment a repository holds, for status. */
  async lastArchivedWal(name: string): Promise<string | undefined> {
    const segments = (await this.repository(name).store.list('wal/'))
      .map((object) => walFileOf(object.key))
      .filter(isSegmentName);
    return segments.sort().at(-1);
  }

  /**
   * Whether some repository holds the WAL up to `lsn` (an end position, as a commit or
   * restore point returns it) on `timeline`: the whole segment, or streamed pieces reaching that far.
   */
  async walHeldUpTo(lsn: string, timeline: number): Promise<boolean> {
    const { segment, within: needed } = segmentEnding(parseLsn(lsn), timeline);
    for (const repository of this.deps.repositories) {
      const files = (await repository.store.list(`wal/${segment}`).catch(() => [])).map((object) =>
        walFileOf(object.key),
      );
      if (files.includes(segment) || chainOfPieces(files).end >= needed) return true;
    }
    return false;
  }

  /** Closes the repositories' connections (SFTP), so a command can exit. */
  async close(): Promise<void> {
    await Promise.all(this.deps.repositories.map((repository) => repository.store.close?.()));
  }

  /** Complete backups across all repositories, oldest first, with where each is kept. */
  async list(): Promise<BackupListing[]> {
    const byId = new Map<string, { record: BackupRecord; repositories: string[] }>();
    for (const repository of this.deps.repositories) {
      let records: BackupRecord[];
      try {
        records = await readRecords(repository.store, (key, why) =>
          this.deps.log.warn({ repository: repository.name, key, why }, 'skipping an unreadable backup record'),
        );
      } catch (error) {
        this.deps.log.warn({ repository: repository.name, err: error }, 'cannot list a backup repository');
        continue;
      }
      for (const record of records) {
        const entry = byId.get(record.id) ?? { record, repositories: [] };
        entry.repositories.push(repository.name);
        byId.set(record.id, entry);
      }
    }
    return [...byId.values()].sort((a, b) => a.record.id.localeCompare(b.record.id));
  }

  /**
   * Checks a backup (default: the latest) in every repository holding it: each object's
   * checksum, then every file against Postgres's manifest after decrypting.
   */
  async verify(id?: string, onProgress?: (progress: TransferProgress) => void): Promise<VerifyResult[]> {
    const key = await this.key(false);
    const listing = await this.find(id);
    const results: VerifyResult[] = [];
    for (const name of listing.repositories) {
      const repository = this.repository(name);
      try {
        const record = await this.authenticRecord(repository, listing.record.id, key);
        const manifest = parseManifest(
          (await this.readAll(repository, record, 'backup_manifest', key)).toString('utf8'),
        );
        const base = this.objectOf(record, 'base.tar');
        const meter = new Meter(this.deps.clock, `verifying in ${name}`, base.plainBytes);
        const check = await checkTarAgainstManifest(
          this.metered(this.open(repository, base, key), meter, onProgress),
          manifest,
        );
        results.push({
          id: record.id,
          repository: name,
          ok: check.problems.length === 0,
          files: check.files,
          problems: check.problems,
        });
      } catch (error) {
        results.push({
          id: listing.record.id,
          repository: name,
          ok: false,
          files: 0,
          problems: [(error as Error).message],
        });
      }
    }
    return results;
  }

  /**
   * Restores the whole cluster from a backup into an empty directory, then replays the
   * archived WAL to the target (default: as far as the archive goes) and promotes it.
   * The first repository whose copy is intact is used; a damaged copy is abandoned at
   * its first bad chunk and the next repository is tried.
   */
  async restore(options: RestoreOptions): Promise<RestoreResult> {
    const key = await this.key(false);
    const recovery = options.recovery ?? { kind: 'latest' as const };
    if (recovery !== 'none' && (!this.deps.recover || !this.deps.localStore))
      throw new Error('this BackupService cannot replay WAL (no recover adapter)');
    const listing = options.id ? await this.find(options.id) : await this.backupFor(recovery);
    await requireEmptyDirectory(options.target);
    const startedAt = this.deps.clock.now();
    const errors: string[] = [];
    // What the caller's inspection throws is about the data, not the copy: no other repository would do better.
    // Nor is a failure after a successful inspection: it has acted (a tenant restored) and must not act twice.
    let inspection: { failed?: unknown; done?: boolean } = {};
    const inspect: Inspect | undefined =
      options.inspect &&
      (async (target) => {
        try {
          await options.inspect!(target);
          inspection = { done: true };
        } catch (error) {
          inspection = { failed: error };
          throw error;
        }
      });
    for (const name of listing.repositories) {
      const repository = this.repository(name);
      const lock = await this.lock(repository, 'restore');
      try {
        await this.awaitRetention(repository);
        const record = await this.authenticRecord(repository, listing.record.id, key);
        const { files, bytes } = await this.extractBase(repository, record, key, options);
        let walFiles = 0;
        let walGaps: WalGap[] = [];
        let outcome: RecoveryOutcome | undefined;
        if (recovery !== 'none') {
          const walDir = `${options.target}.wal-restore`;
          const sources = await this.walSources(repository);
          // Streamed pieces stand in for a segment where it was never stored whole (the last moments before a loss).
          const streamed = streamedSegments([...sources.keys()]);
          const plan = planWal([...sources.keys(), ...streamed.keys()], record);
          walGaps = plan.gaps;
          if (plan.gaps.length)
            this.deps.log.warn(
              { gaps: plan.gaps },
              'the archived WAL has gaps in every repository; recovery cannot pass them',
            );
          const staging = this.deps.localStore!(walDir);
          const open = (file: string): AsyncIterable<Buffer> =>
            unseal(sources.get(file)!.store.get(walKey(file)), key, walKey(file));
          for (const file of plan.files) {
            const pieces = streamed.get(file);
            await staging.put(file, pieces ? paddedToSegment(joinPieces(pieces, open)) : open(file));
          }
          walFiles = plan.files.length;
          outcome = await this.deps.recover!({
            dataDir: options.target,
            walDir,
            target: recovery,
            role: record.role,
            inspect,
          });
        }
        this.deps.log.info(
          { id: record.id, repository: name, files, bytes, walFiles, outcome },
          'restored a base backup',
        );
        return {
          record,
          repository: name,
          files,
          bytes,
          walFiles,
          walGaps,
          recovery: outcome,
          seconds: (this.deps.clock.now().getTime() - startedAt.getTime()) / 1000,
        };
      } catch (error) {
        await emptyDirectory(options.target);
        if (isAppError(error) && error.code === 'BACKUP_KEY_MISMATCH') throw error;
        if (inspection.failed !== undefined) throw inspection.failed;
        if (inspection.done) throw error;
        errors.push(`${name}: ${(error as Error).message}`);
        this.deps.log.warn(
          { repository: name, err: error },
          'restore from this repository failed; trying the next one',
        );
      } finally {
        await lock.release();
      }
    }
    throw appError(
      'RESTORE_FAILED',
      `Backup ${listing.record.id} could not be restored from any repository: ${errors.join('; ')}. The target directory was left empty.`,
    );
  }

  private async extractBase(
    repository: Repository,
    record: BackupRecord,
    key: BackupKey,
    options: RestoreOptions,
  ): Promise<{ files: number; bytes: number }> {
    let files = 0;
    let bytes = 0;
    for (const object of record.objects.filter((entry) => entry.name.endsWith('.tar'))) {
      const meter = new Meter(this.deps.clock, `restoring from ${repository.name}`, object.plainBytes);
      const extracted = await extractTar(this.open(repository, object, key), options.target, {
        owner: options.owner,
        handOver: true,
        onBytes: (done) => options.onProgress?.(meter.update(done)),
      });
      files += extracted.files;
      bytes += extracted.bytes;
    }
    return { files, bytes };
  }

  /**
   * Where each archived WAL file can be fetched from: the repository the base backup came
   * from first, then any other, so one repository that fell behind does not cut recovery short.
   */
  private async walSources(preferred: Repository): Promise<Map<string, Repository>> {
    const sources = new Map<string, Repository>();
    for (const repository of [preferred, ...this.deps.repositories.filter((other) => other !== preferred)]) {
      let objects: StoredObject[];
      try {
        objects = await repository.store.list('wal/');
      } catch (error) {
        this.deps.log.warn({ repository: repository.name, err: error }, 'cannot list archived WAL in this repository');
        continue;
      }
      for (const object of objects) {
        const file = walFileOf(object.key);
        if (!sources.has(file)) sources.set(file, repository);
      }
    }
    return sources;
  }

  /** The backup a restore without an id starts from: the latest that finished before its target. */
  private async backupFor(recovery: RecoveryTarget | 'none'): Promise<BackupListing> {
    if (recovery === 'none' || recovery.kind === 'latest' || recovery.kind === 'immediate') return this.find();
    if (recovery.kind === 'time') return this.findBefore(recovery.at);
    const mark = await this.findMark(recovery.name);
    if (!mark)
      throw appError(
        'RESTORE_FAILED',
        `No repository records a restore point named "${recovery.name}". Restore points are made with "steadfast backup mark <name>".`,
      );
    return this.findBefore(new Date(mark.createdAt));
  }

  /** The latest backup that had finished by `at`: recovery can start from it and reach `at`. */
  private async findBefore(at: Date): Promise<BackupListing> {
    const all = await this.list();
    const usable = all.filter((listing) => Date.parse(listing.record.finishedAt) <= at.getTime());
    if (usable.length === 0) {
      const earliest = all[0]?.record.finishedAt;
      throw appError(
        'RESTORE_FAILED',
        earliest
          ? `${at.toISOString()} is before the end of the earliest backup (${earliest}); the recoverable window starts there.`
          : 'There is no backup to restore from yet.',
      );
    }
    return usable.at(-1)!;
  }

  /**
   * Marks a restore (or drill) or a retention in progress in a repository: retention keeps what
   * a restore reads, and a restore waits for a retention under way.
   */
  private async lock(
    repository: Repository,
    what: 'restore' | 'retention',
  ): Promise<{ key: string; release(): Promise<void> }> {
    const key = `locks/${what}-${backupIdAt(this.deps.clock.now())}-${Math.random().toString(16).slice(2, 10)}.json`;
    try {
      await writeJson(repository.store, key, { what, since: this.deps.clock.now().toISOString() });
    } catch {
      return { key, release: async () => undefined }; // a read-only repository: nothing to protect from this process
    }
    return { key, release: () => repository.store.delete(key).catch(() => undefined) };
  }

  /** The key of a live lock of this kind in the repository. */
  private async activeLock(repository: Repository, what: 'restore' | 'retention'): Promise<string | undefined> {
    const now = this.deps.clock.now().getTime();
    const staleMs = what === 'restore' ? restoreLockStaleMs : retentionLockStaleMs;
    for (const object of await repository.store.list(`locks/${what}-`)) {
      const match = /^locks\/[a-z]+-(\d{8}T\d{6}Z)-/.exec(object.key);
      if (!match) continue;
      const since = timeOfBackupId(match[1]!).getTime();
      if (now - since < staleMs) return object.key;
    }
    return undefined;
  }

  /** Waits while a retention is removing things from the repository (it may be removing this backup). */
  private async awaitRetention(repository: Repository): Promise<void> {
    let told = false;
    while (await this.activeLock(repository, 'retention')) {
      if (!told)
        this.deps.log.info(
          { repository: repository.name },
          'a retention is running in this repository; the restore waits for it to end',
        );
      told = true;
      await sleep(lockPollMs);
    }
  }

  private async key(create: boolean): Promise<BackupKey> {
    const { key, created } = await loadBackupKey(this.deps.keyFile, { create });
    if (create)
      await assertKeyFitsRepositories(
        this.deps.repositories.map((repository) => repository.store),
        key,
        this.deps.keyFile,
      );
    if (created)
      this.deps.log.warn(
        { keyFile: this.deps.keyFile, fingerprint: key.fingerprint },
        'created a new backup encryption key: copy it somewhere safe, off this machine; without it the backups cannot be restored',
      );
    return key;
  }

  private async find(id?: string): Promise<BackupListing> {
    if (id !== undefined && !backupIdSchema.safeParse(id).success) {
      throw appError(
        'VALIDATION_FAILED',
        `"${id}" is not a backup id: ${backupIdSchema.safeParse(id).error!.issues[0]!.message}.`,
      );
    }
    const all = await this.list();
    const found = id ? all.find((listing) => listing.record.id === id) : all.at(-1);
    if (!found) {
      throw appError(
        'BACKUP_NOT_FOUND',
        id
          ? `No repository holds a complete backup ${id}. Run "steadfast backup list" to see the backups.`
          : 'There is no complete backup in any repository yet. Take one with "steadfast backup now".',
      );
    }
    return found;
  }

  private repository(name: string): Repository {
    return this.deps.repositories.find((repository) => repository.name === name)!;
  }

  private async authenticRecord(repository: Repository, id: string, key: BackupKey): Promise<BackupRecord> {
    const record = (await readRecords(repository.store, () => undefined)).find((candidate) => candidate.id === id);
    if (!record) throw appError('BACKUP_NOT_FOUND', `Backup ${id} is no longer in ${repository.name}.`);
    if (record.keyFingerprint !== key.fingerprint) {
      throw appError(
        'BACKUP_KEY_MISMATCH',
        `Backup ${id} was encrypted with key ${record.keyFingerprint}, but the key given is ${key.fingerprint}. Use the key file that was in use when it was taken.`,
      );
    }
    if (!recordIsAuthentic(record, key))
      throw appError('BACKUP_CORRUPT', `The metadata of backup ${id} in ${repository.name} was altered or damaged.`);
    return record;
  }

  private objectOf(record: BackupRecord, name: string): ObjectEntry {
    const object = record.objects.find((entry) => entry.name === name);
    if (!object) throw appError('BACKUP_CORRUPT', `Backup ${record.id} has no ${name}.`);
    return object;
  }

  /** The object's plaintext, its stored bytes checked against the recorded checksum. */
  private open(repository: Repository, object: ObjectEntry, key: BackupKey): AsyncIterable<Buffer> {
    return unseal(checked(repository.store.get(object.key), object, repository.name), key, object.key);
  }

  private async readAll(repository: Repository, record: BackupRecord, name: string, key: BackupKey): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.open(repository, this.objectOf(record, name), key)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  private async *metered(
    source: AsyncIterable<Buffer>,
    meter: Meter,
    onProgress?: (progress: TransferProgress) => void,
  ): AsyncGenerator<Buffer> {
    let done = 0;
    for await (const chunk of source) {
      done += chunk.length;
      onProgress?.(meter.update(done));
      yield chunk;
    }
  }

  private openSink(name: string, key: string, sealing: BackupKey, failures: Map<string, string>): ArchiveSink {
    const repositories = this.deps.repositories.filter((repository) => !failures.has(repository.name));
    return new ArchiveSink(name, key, sealing, repositories, name.endsWith('.tar'));
  }

  private collect(
    results: Map<string, (StoredObject & { plainBytes: number }) | Error>,
    name: string,
    objects: Map<string, ObjectEntry[]>,
    failures: Map<string, string>,
  ): void {
    for (const [repository, result] of results) {
      if (result instanceof Error) failures.set(repository, result.message);
      else
        objects
          .get(repository)!
          .push({ name, key: result.key, bytes: result.bytes, crc32c: result.crc32c!, plainBytes: result.plainBytes });
    }
  }
}

/** One archive on its way to every repository: sealed once, written to each at once. */
class ArchiveSink {
  private readonly input = pushable<Buffer>(4);
  private readonly results: Promise<Map<string, (StoredObject & { plainBytes: number }) | Error>>;
  private plainBytes = 0;

  constructor(
    readonly name: string,
    key: string,
    sealing: BackupKey,
    repositories: readonly Repository[],
    private readonly tar: boolean,
  ) {
    // The chunks pushed here come from the replication stream and are not used again: they move to the workers uncopied.
    const fan = broadcast(seal(this.input, sealing, key, { handOver: true }), repositories.length);
    const errors: string[] = [];
    const puts = repositories.map((repository, index) =>
      repository.store.put(key, fan.outputs[index]!).then(
        (stored) => ({ ...stored, plainBytes: this.plainBytes }),
        (error: Error) => {
          errors.push(`${repository.name}: ${error.message}`);
          fan.drop(index, error);
          return error;
        },
      ),
    );
    // If every repository has failed, nobody reads the input any more: make pushes fail.
    void fan.done.then(
      () => this.input.fail(appError('BACKUP_FAILED', `No repository could store the backup: ${errors.join('; ')}`)),
      (error: Error) => this.input.fail(error),
    );
    this.results = Promise.all(puts).then(
      (settled) => new Map(repositories.map((repository, index) => [repository.name, settled[index]!])),
    );
  }

  async push(chunk: Buffer): Promise<void> {
    this.plainBytes += chunk.length;
    await this.input.push(chunk);
  }

  /** Fails every upload of this archive; resolves once they have given up (and cleaned up). */
  async abort(error: Error): Promise<void> {
    this.input.fail(error);
    await this.results.catch(() => undefined);
  }

  async finish(): Promise<Map<string, (StoredObject & { plainBytes: number }) | Error>> {
    if (this.tar) await this.push(tarTrailer);
    this.input.end();
    return this.results;
  }
}

/** Passes a stored object through, failing at its end if it does not match its recorded checksum. */
async function* checked(
  source: AsyncIterable<Buffer>,
  object: ObjectEntry,
  repository: string,
): AsyncGenerator<Buffer> {
  // Backups taken before CRC-32C carry a SHA-256.
  const crc = new Crc32c();
  const sha = object.crc32c === undefined ? createHash('sha256') : undefined;
  let bytes = 0;
  for await (const chunk of source) {
    if (sha) sha.update(chunk);
    else crc.update(chunk);
    bytes += chunk.length;
    yield chunk;
  }
  const matches = sha ? sha.digest('hex') === object.sha256 : crc.hex() === object.crc32c;
  if (bytes !== object.bytes || !matches) {
    throw appError(
      'BACKUP_CORRUPT',
      `${object.key} in ${repository} does not match its recorded checksum (${bytes} of ${object.bytes} bytes): it was damaged or truncated.`,
    );
  }
}

/** Ids of backups that have objects in the listing but no record: unfinished, failed or dying. */
function unrecordedBackups(objects: readonly StoredObject[]): string[] {
  const ids = new Set<string>();
  const recorded = new Set<string>();
  for (const { key } of objects) {
    const id = key.split('/')[1];
    if (!id || !backupIdSchema.safeParse(id).success) continue;
    ids.add(id);
    if (key === recordKey(id)) recorded.add(id);
  }
  return [...ids].filter((id) => !recorded.has(id)).sort();
}
