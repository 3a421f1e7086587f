import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { appError, asClause } from '../../platform/errors.js';
import { packReusable, type ReusableFile, type ReusableFiles } from '../../platform/postgres/file-backup.js';
import {
  checkTarAgainstManifest,
  manifestPath,
  modifiedSeconds,
  parseManifest,
  type BackupManifest,
} from '../../platform/postgres/manifest.js';
import { listBackups } from './backup.listing.js';
import { authenticRecord, readObject, type ObjectEntry } from './backup.objects.js';
import type { BackupServiceDeps, Repository } from './backup.ports.js';
import type { BackupRecord } from './backup.schema.js';

/**
 * Incremental backups, at file level as pgBackRest takes them: a backup stores only the files
 * changed since the backup it builds on, and its manifest names, for every file it left out,
 * the earlier backup that holds it (`Reference`). Its record lists those backups (`references`):
 * restore, verify and retention follow them.
 */

/** What an incremental builds on, or why it cannot (and the backup is taken full). */
export type Basis = { readonly id: string; readonly reuse: ReusableFiles } | { readonly full: string };

/**
 * The latest backup every repository holds, with its chain, taken from this cluster and
 * timeline under this key: its files, each with the backup holding it and the moment that
 * backup started (a file modified since may have changed after it was copied).
 */
export async function basisFor(
  deps: Pick<BackupServiceDeps, 'repositories' | 'log' | 'clock'>,
  key: BackupKey,
  cluster: { systemIdentifier: string; timeline: number },
): Promise<Basis> {
  const everywhere = (await listBackups(deps)).filter(
    (listing) => listing.repositories.length === deps.repositories.length,
  );
  const latest = everywhere.at(-1)?.record;
  if (!latest) return { full: 'no backup is in every repository yet' };
  if (latest.systemIdentifier !== cluster.systemIdentifier || latest.timeline !== cluster.timeline)
    return { full: `the latest backup, ${latest.id}, is of another cluster or timeline` };
  if (latest.keyFingerprint !== key.fingerprint)
    return { full: `the latest backup, ${latest.id}, was sealed with another key` };
  // Files are judged by their modification times against this clock: one that went back since proves nothing.
  if (deps.clock.now().getTime() <= Date.parse(latest.startedAt))
    return { full: `the clock is behind the start of the latest backup, ${latest.id}` };
  const missing = (latest.references ?? []).filter((id) => !everywhere.some((listing) => listing.record.id === id));
  if (missing.length > 0)
    return { full: `the latest backup, ${latest.id}, needs ${missing.join(', ')}, which not every repository holds` };
  // The first repository that gives the chain's records and the manifest intact; a damaged one is not built on.
  const failures: string[] = [];
  for (const repository of deps.repositories) {
    try {
      return await basisIn(repository, latest.id, key);
    } catch (error) {
      failures.push(`${repository.name}: ${asClause((error as Error).message)}`);
    }
  }
  return { full: `the latest backup, ${latest.id}, could not be read to build on (${failures.join('; ')})` };
}

/** The files of backup `id` as kept in `repository`, each with the start of the backup holding it (records authenticated). */
async function basisIn(repository: Repository, id: string, key: BackupKey): Promise<Basis> {
  const record = await authenticRecord(repository, id, key);
  const started = new Map([[record.id, Date.parse(record.startedAt)]]);
  for (const earlier of record.references ?? [])
    started.set(earlier, Date.parse((await authenticRecord(repository, earlier, key)).startedAt));
  const reuse: [string, ReusableFile][] = [];
  for (const file of (await manifestOf(repository, record, key)).Files) {
    const seconds = modifiedSeconds(file);
    const backup = file.Reference ?? record.id;
    const holderStarted = started.get(backup);
    if (seconds === undefined || holderStarted === undefined) continue;
    if (file['Checksum-Algorithm'] !== 'CRC32C' || !file.Checksum) continue;
    reuse.push([
      manifestPath(file),
      {
        size: file.Size,
        lastModified: file['Last-Modified']!,
        modifiedSeconds: seconds,
        modifiedBeforeMs: Math.floor(holderStarted / 1000) * 1000,
        checksum: file.Checksum,
        backup,
      },
    ]);
  }
  return { id: record.id, reuse: packReusable(reuse) };
}

/** One backup of a chain and the files a restore takes from its archives. */
export interface ChainLink {
  readonly record: BackupRecord;
  /** Every file of its archives (the backup restored), or only these (an earlier one it builds on). */
  readonly only?: ReadonlySet<string>;
  /** The bytes of those files (for progress: the rest of its archives is read, not written). */
  readonly onlyBytes?: number;
}

/**
 * The backups a restore of `record` reads, the backup itself first: for an incremental, each
 * earlier backup holding files of it, with the files to take from it. Throws
 * BACKUP_CHAIN_BROKEN, naming the missing link, when one is no longer in the repository.
 */
export async function chainOf(repository: Repository, record: BackupRecord, key: BackupKey): Promise<ChainLink[]> {
  if (!record.references?.length) return [{ record }];
  const manifest = await manifestOf(repository, record, key);
  const wanted = new Map(record.references.map((id) => [id, { names: new Set<string>(), bytes: 0 }]));
  for (const file of manifest.Files) {
    if (file.Reference === undefined) continue;
    const held = wanted.get(file.Reference);
    if (!held)
      throw appError(
        'BACKUP_CORRUPT',
        `The manifest of backup ${record.id} names backup ${file.Reference} for ${manifestPath(file)}, which its record does not list.`,
      );
    held.names.add(manifestPath(file));
    held.bytes += file.Size;
  }
  const links: ChainLink[] = [{ record }];
  for (const [id, { names: only, bytes }] of wanted) {
    const earlier = await authenticRecord(repository, id, key).catch((error: Error) => {
      throw appError(
        'BACKUP_CHAIN_BROKEN',
        `Backup ${record.id} is incremental: ${only.size} of its files are kept in backup ${id}, which ${repository.name} cannot give (${asClause(error.message)}). The chain is broken there; restore an older backup, or take a full one with "steadfast backup now".`,
        { cause: error },
      );
    });
    links.push({ record: earlier, only, onlyBytes: bytes });
  }
  return links;
}

/**
 * The problems of an incremental's chain in one repository, one sentence each: an earlier
 * backup it needs that is missing or unreadable (a broken link), whose manifest does not hold a
 * file as this one's says it does, or whose archives do not (each file this one needs read and
 * checked against its size and checksum, as a restore would read it).
 */
export async function chainProblems(
  repository: Repository,
  record: BackupRecord,
  manifest: BackupManifest,
  key: BackupKey,
  read: (holder: BackupRecord, object: ObjectEntry) => AsyncIterable<Buffer>,
): Promise<string[]> {
  const problems: string[] = [];
  for (const id of record.references ?? []) {
    const files = manifest.Files.filter((file) => file.Reference === id);
    try {
      const holder = await authenticRecord(repository, id, key);
      const held = new Map((await manifestOf(repository, holder, key)).Files.map((file) => [manifestPath(file), file]));
      for (const file of files) {
        const copy = held.get(manifestPath(file));
        if (!copy || copy.Reference !== undefined || copy.Size !== file.Size || copy.Checksum !== file.Checksum)
          problems.push(`${manifestPath(file)} is not in backup ${id} as this incremental's manifest says`);
      }
      const wanted = { ...manifest, Files: files };
      const archives = holder.objects.filter((object) => object.name.endsWith('.tar'));
      const lacking = new Map<string, number>();
      for (const object of archives) {
        const check = await checkTarAgainstManifest(read(holder, object), wanted, { partOf: true });
        problems.push(...check.problems.map((problem) => `in backup ${id}: ${problem}`));
        for (const name of check.missing ?? []) lacking.set(name, (lacking.get(name) ?? 0) + 1);
      }
      for (const [name, count] of lacking)
        if (count === archives.length)
          problems.push(`${name}, which this incremental needs, is missing from backup ${id}'s archives`);
    } catch (error) {
      problems.push(
        `the chain is broken: backup ${id}, which holds ${files.length} files of this incremental, cannot be read (${asClause((error as Error).message)})`,
      );
    }
  }
  return problems;
}

export async function manifestOf(
  repository: Repository,
  record: BackupRecord,
  key: BackupKey,
): Promise<BackupManifest> {
  return parseManifest((await readObject(repository, record, 'backup_manifest', key)).toString('utf8'));
}

/**
 * For each backup a kept one needs, the kept ones that need it: what retention keeps besides its
 * policy. A backup kept for another keeps its own chain too, so every backup listed restores.
 */
export function neededBy(records: readonly BackupRecord[], kept: ReadonlySet<string>): Map<string, string[]> {
  const byId = new Map(records.map((record) => [record.id, record]));
  const needs = new Map<string, string[]>();
  const pending = [...kept];
  const seen = new Set(kept);
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    for (const needed of byId.get(id)?.references ?? []) {
      needs.set(needed, [...(needs.get(needed) ?? []), id]);
      if (!seen.has(needed)) {
        seen.add(needed);
        pending.push(needed);
      }
    }
  }
  return needs;
}
