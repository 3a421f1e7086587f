import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { sealedChunkBytes } from '../../platform/crypto/sealed.js';
import { appError, asClause } from '../../platform/errors.js';
import type { ReusableFiles } from '../../platform/postgres/file-backup.js';
import { TransferMeter } from '../../platform/progress.js';
import { backupIdAt, claimRepository, sealRecord, writeRecord } from './backup.catalog.js';
import { basisFor, type Basis } from './backup.chain.js';
import { backupKey } from './backup.keys.js';
import { findBackup } from './backup.listing.js';
import { authenticRecord } from './backup.objects.js';
import type { ObjectEntry } from './backup.objects.js';
import type { BackupServiceDeps, BackupSource, Repository } from './backup.ports.js';
import type { BackupRecord, TransferProgress } from './backup.schema.js';
import { BackupUpload } from './backup.upload.js';

export interface TakeOptions {
  /**
   * Store only the files changed since the latest backup every repository holds (see
   * backup.chain.ts). Taken full when there is none to build on, or the source cannot.
   */
  readonly incremental?: boolean;
}

export interface BackupResult {
  readonly record: BackupRecord;
  readonly stored: string[];
  readonly failed: Array<{ repository: string; error: string }>;
  readonly seconds: number;
  /** Why a backup asked to be incremental was taken full. */
  readonly fullBecause?: string;
}

/** What the source's stream told of the backup, once it ended well. */
interface Streamed {
  readonly startLsn: string;
  readonly timeline: number;
  readonly endLsn: string;
  readonly sourceBytes: number;
  readonly references: readonly string[];
}

/**
 * Takes a base backup now: the source's stream sealed once and written to every repository at
 * once, then a record in each repository that stored all of it. Fails only if no repository
 * could store it; `signal` stops it cleanly.
 */
export async function takeBackup(
  deps: BackupServiceDeps,
  onProgress?: (progress: TransferProgress) => void,
  signal?: AbortSignal,
  options: TakeOptions = {},
): Promise<BackupResult> {
  const { clock, log, source } = deps;
  if (!source) throw appError('BACKUP_FAILED', 'There is no database to back up in this process.');
  const key = await backupKey(deps, true);
  const startedAt = clock.now();
  const id = backupIdAt(startedAt);
  const identity = await identify(source);
  const failures = await claimRepositories(deps.repositories, identity.systemIdentifier);
  // The earlier backup's files are read while PostgreSQL checkpoints for this one.
  const basisRead = options.incremental ? basisFor(deps, key, identity) : Promise.resolve(undefined);
  basisRead.catch(() => undefined); // a source that does not wait for it (BASE_BACKUP) leaves its failure here
  const upload = new BackupUpload(deps.repositories, id, key, failures, identity.systemIdentifier);
  const label = `steadfast ${id}`;
  const reuse = basisRead.then((basis) => (basis && 'reuse' in basis ? basis.reuse : undefined));
  reuse.then(undefined, () => undefined); // as for basisRead: its failure is thrown below
  const streamed = await storeStream(deps, source, upload, { label, reuse }, onProgress, signal);
  const basis = await basisRead;
  // In the schema's order: the record's MAC is over its JSON.
  const stored = await writeRecords(deps, upload, key, streamed.references, (objects) => ({
    format: streamed.references.length > 0 ? 2 : 1,
    id,
    label,
    startedAt: startedAt.toISOString(),
    finishedAt: clock.now().toISOString(),
    startLsn: streamed.startLsn,
    endLsn: streamed.endLsn,
    timeline: streamed.timeline,
    systemIdentifier: identity.systemIdentifier,
    postgresVersion: identity.serverVersionNum,
    keyFingerprint: key.fingerprint,
    role: source.role,
    includesWal: true,
    sourceBytes: streamed.sourceBytes,
    ...(streamed.references.length > 0 ? { references: [...streamed.references] } : {}),
    objects,
  }));
  const failed = [...failures].map(([repository, error]) => ({ repository, error }));
  for (const failure of failed) log.error(failure, 'a backup repository did not store the backup');
  if (stored.length === 0)
    throw appError(
      'BACKUP_FAILED',
      `No repository stored backup ${id}: ${failed.map((f) => `${f.repository}: ${f.error}`).join('; ')}`,
    );
  const record = (await findBackup(deps, id)).record;
  const fullBecause = !options.incremental || record.references ? undefined : whyFull(basis);
  log.info(
    { id, stored, sourceBytes: streamed.sourceBytes, references: record.references, fullBecause },
    record.references ? 'incremental backup complete' : 'base backup complete',
  );
  return {
    record,
    stored,
    failed,
    seconds: (clock.now().getTime() - startedAt.getTime()) / 1000,
    ...(fullBecause ? { fullBecause } : {}),
  };
}

async function identify(source: BackupSource): ReturnType<BackupSource['identify']> {
  return source.identify().catch((error: unknown) => {
    throw appError(
      'BACKUP_FAILED',
      `Cannot open a replication connection to PostgreSQL: ${(error as Error).message}. The backup role needs the REPLICATION privilege and a pg_hba "replication" rule.`,
      { cause: error },
    );
  });
}

/** Claims each repository for this cluster; returns why each that refused did. Fails if all did. */
async function claimRepositories(
  repositories: readonly Repository[],
  systemIdentifier: string,
): Promise<Map<string, string>> {
  const failures = new Map<string, string>();
  for (const repository of repositories) {
    await claimRepository(repository.store, systemIdentifier).catch((error: Error) =>
      failures.set(repository.name, error.message),
    );
  }
  if (failures.size === repositories.length)
    throw appError(
      'BACKUP_FAILED',
      `No repository can take this backup: ${[...failures].map(([name, why]) => `${name}: ${why}`).join('; ')}`,
    );
  return failures;
}

/** Writes the source's archives, then its manifest, to the repositories. */
async function storeStream(
  deps: BackupServiceDeps,
  source: BackupSource,
  upload: BackupUpload,
  request: { label: string; reuse: PromiseLike<ReusableFiles | undefined> },
  onProgress?: (progress: TransferProgress) => void,
  signal?: AbortSignal,
): Promise<Streamed> {
  const meter = new TransferMeter(deps.clock, 'backing up');
  let start: { startLsn: string; timeline: number } | undefined;
  let end: { endLsn: string; references: readonly string[] } | undefined;
  let manifest: Buffer[] | undefined;
  let sourceBytes = 0;
  try {
    for await (const event of await source.stream({ ...request, chunkBytes: sealedChunkBytes })) {
      signal?.throwIfAborted();
      if (event.kind === 'start') {
        start = event;
        meter.total = event.tablespaces.reduce((sum, space) => sum + (space.sizeKb ?? 0) * 1024, 0) + 16 * 1024 * 1024;
      } else if (event.kind === 'archive') await upload.open(event.name);
      else if (event.kind === 'manifest') {
        await upload.close();
        manifest = [];
      } else if (event.kind === 'data') {
        sourceBytes += event.chunk.length;
        if (manifest) manifest.push(event.chunk);
        else await upload.push(event.chunk);
        onProgress?.(meter.update(sourceBytes));
      } else if (event.kind === 'end') end = { endLsn: event.endLsn, references: event.references ?? [] };
    }
  } catch (error) {
    // Uploads under way are failed, so their temporary objects are removed, then the error goes on.
    await upload.abort(error as Error);
    throw error;
  }
  await upload.close();
  if (!start || !end || !manifest)
    throw appError('BACKUP_FAILED', 'PostgreSQL ended the base backup stream early; no backup was recorded.');
  await upload.open('backup_manifest');
  for (const chunk of manifest) await upload.push(chunk);
  await upload.close();
  return { startLsn: start.startLsn, timeline: start.timeline, ...end, sourceBytes };
}

/** Why a backup asked to be incremental came out full. */
function whyFull(basis: Basis | undefined): string {
  if (basis && 'full' in basis) return basis.full;
  return 'no file was unchanged since the backup before, or the source sends every file (a cluster on another machine, or with tablespaces)';
}

/**
 * A record in each repository that stored every object; returns their names. An incremental's
 * record is written only where every backup it needs is still there (a retention may have run
 * meanwhile): elsewhere it would be a chain broken from the start.
 */
async function writeRecords(
  deps: BackupServiceDeps,
  upload: BackupUpload,
  key: BackupKey,
  references: readonly string[],
  recordOf: (objects: ObjectEntry[]) => Omit<BackupRecord, 'mac'>,
): Promise<string[]> {
  const stored: string[] = [];
  for (const repository of deps.repositories) {
    if (upload.failures.has(repository.name)) continue;
    try {
      for (const id of references)
        await authenticRecord(repository, id, key).catch((error: Error) => {
          throw new Error(`backup ${id}, which this incremental needs, is gone from it (${asClause(error.message)})`);
        });
      await writeRecord(repository.store, sealRecord(recordOf(upload.objects.get(repository.name)!), key));
      stored.push(repository.name);
    } catch (error) {
      upload.failures.set(repository.name, (error as Error).message);
    }
  }
  return stored;
}
