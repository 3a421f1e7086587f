import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { unseal } from '../../platform/crypto/sealed.js';
import { asClause } from '../../platform/errors.js';
import type { WalSupplier } from '../../platform/postgres/wal-feed.js';
import type { StoredObject } from '../../platform/storage/store.js';
import { walFileOf, walKey } from './backup.catalog.js';
import type { BackupServiceDeps, Repository } from './backup.ports.js';
import type { BackupRecord } from './backup.schema.js';
import { isSegmentName, planWal, type WalGap } from './backup.wal-plan.js';
import { joinPieces, paddedToSegment, streamedSegments } from './backup.wal-pieces.js';

/**
 * The archived WAL a restore of `record` can replay, for recovery to fetch file by file as it
 * asks (nothing past its target is read): the files there are, in order, and the holes recovery cannot pass.
 */
export async function walSupplier(
  deps: BackupServiceDeps,
  repository: Repository,
  record: BackupRecord,
  key: BackupKey,
): Promise<{ supplier: WalSupplier; gaps: WalGap[]; files: string[] }> {
  const sources = await walSources(deps, repository);
  // Streamed pieces stand in for a segment where it was never stored whole (the last moments before a loss).
  const streamed = streamedSegments([...sources.keys()]);
  const plan = planWal([...sources.keys(), ...streamed.keys()], record);
  if (plan.gaps.length)
    deps.log.warn({ gaps: plan.gaps }, 'the archived WAL has gaps in every repository; recovery cannot pass them');
  const segments = plan.files.filter(isSegmentName);
  const planned = new Set(plan.files);
  const open = (file: string): AsyncIterable<Buffer> => {
    const source = sources.get(file)!;
    const sealed = source.store.get(walKey(file));
    const expected = { cluster: record.systemIdentifier, where: source.name };
    return named(unseal(sealed, key, walKey(file), expected), file, source.name);
  };
  const supplier: WalSupplier = {
    open: (file) => {
      if (!planned.has(file)) return undefined;
      const pieces = streamed.get(file);
      return pieces ? paddedToSegment(joinPieces(pieces, open)) : open(file);
    },
    following: (file, count) => {
      const at = segments.indexOf(file);
      return at < 0 ? [] : segments.slice(at + 1, at + 1 + count);
    },
  };
  return { supplier, gaps: plan.gaps, files: plan.files };
}

/** A WAL file's bytes; a failure to read them names the file and the repository it was read from. */
async function* named(body: AsyncIterable<Buffer>, file: string, repository: string): AsyncIterable<Buffer> {
  try {
    yield* body;
  } catch (error) {
    const reason = asClause((error as Error).message);
    throw new Error(`could not read WAL ${file} from repository ${repository}: ${reason}`, { cause: error });
  }
}

/**
 * Where each archived WAL file can be fetched from: the repository the base backup came
 * from first, then any other, so one repository that fell behind does not cut recovery short.
 */
async function walSources(deps: BackupServiceDeps, preferred: Repository): Promise<Map<string, Repository>> {
  const sources = new Map<string, Repository>();
  for (const repository of [preferred, ...deps.repositories.filter((other) => other !== preferred)]) {
    let objects: StoredObject[];
    try {
      objects = await repository.store.list('wal/');
    } catch (error) {
      deps.log.warn({ repository: repository.name, err: error }, 'cannot list archived WAL in this repository');
      continue;
    }
    for (const object of objects) {
      const file = walFileOf(object.key);
      if (!sources.has(file)) sources.set(file, repository);
    }
  }
  return sources;
}
