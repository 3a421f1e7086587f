import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { unseal } from '../../platform/crypto/sealed.js';
import type { StoredObject } from '../../platform/storage/store.js';
import { walFileOf, walKey } from './backup.catalog.js';
import type { BackupServiceDeps, Repository } from './backup.ports.js';
import type { BackupRecord } from './backup.schema.js';
import { planWal, type WalGap } from './backup.wal-plan.js';
import { joinPieces, paddedToSegment, streamedSegments } from './backup.wal-pieces.js';

/** The archived WAL the backup needs, into `walDir`, for recovery to replay. */
export async function fetchWal(
  deps: BackupServiceDeps,
  repository: Repository,
  record: BackupRecord,
  key: BackupKey,
  walDir: string,
): Promise<{ walFiles: number; walGaps: WalGap[] }> {
  const sources = await walSources(deps, repository);
  // Streamed pieces stand in for a segment where it was never stored whole (the last moments before a loss).
  const streamed = streamedSegments([...sources.keys()]);
  const plan = planWal([...sources.keys(), ...streamed.keys()], record);
  if (plan.gaps.length)
    deps.log.warn({ gaps: plan.gaps }, 'the archived WAL has gaps in every repository; recovery cannot pass them');
  const staging = deps.scratch.store(walDir);
  const open = (file: string): AsyncIterable<Buffer> =>
    unseal(sources.get(file)!.store.get(walKey(file)), key, walKey(file));
  for (const file of plan.files) {
    const pieces = streamed.get(file);
    await staging.put(file, pieces ? paddedToSegment(joinPieces(pieces, open)) : open(file));
  }
  return { walFiles: plan.files.length, walGaps: plan.gaps };
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
