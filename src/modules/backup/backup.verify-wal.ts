import type { BackupKey } from '../../platform/crypto/backup-key.js';
import { asClause } from '../../platform/errors.js';
import { formatLsn, segmentBytes } from '../../platform/postgres/lsn.js';
import type { WalSupplier } from '../../platform/postgres/wal-feed.js';
import { walSystemIdentifier } from './backup.catalog.js';
import type { BackupServiceDeps, Repository } from './backup.ports.js';
import type { BackupRecord } from './backup.schema.js';
import { walSupplier } from './backup.wal-fetch.js';
import { isSegmentName, segmentOf, segmentStartLsn } from './backup.wal-plan.js';

/** What the archived WAL of a backup looks like, as a restore from `repository` would read it. */
export interface WalCheck {
  /** Segments read and checked. */
  readonly files: number;
  readonly problems: string[];
}

/**
 * Checks the archived WAL a restore of `record` would replay, as a restore from `repository`
 * reads it (other repositories filling in): from the backup's start to the latest archived
 * segment, no holes (the segments the backup itself carries in pg_wal excepted), and each
 * segment read whole: authenticated, 16 MiB long, its first page naming this segment of this
 * cluster. A damaged archived segment is a failure even where the backup carries its own copy
 * (recovery then reads that one): a restore from an older backup replays through it, and stops.
 */
export async function verifyWal(
  deps: BackupServiceDeps,
  repository: Repository,
  record: BackupRecord,
  key: BackupKey,
  onBytes: (done: number, total: number) => void,
): Promise<WalCheck> {
  const { supplier, gaps, files } = await walSupplier(deps, repository, record, key);
  const problems: string[] = [];
  const needed = neededSegments(record);
  // The backup carries the WAL it needs itself (pg_wal in base.tar): a hole there is covered.
  for (const gap of gaps.filter((gap) => !(needed.includes(gap.from) && needed.includes(gap.to))))
    problems.push(
      `The archive lacks WAL ${gap.from} to ${gap.to} (timeline ${gap.timeline}): recovery from this backup cannot pass it.`,
    );
  const segments = files.filter(isSegmentName);
  const total = segments.length * segmentBytes;
  let done = 0;
  let checked = 0;
  for (const file of segments) {
    const problem = await checkSegment(supplier, file, record.systemIdentifier, (bytes) =>
      onBytes(done + bytes, total),
    );
    done += segmentBytes;
    checked++;
    if (problem)
      problems.push(
        needed.includes(file)
          ? `${problem} This backup carries its own copy of it, but a restore from an older backup would stop there.`
          : problem,
      );
  }
  return { files: checked, problems };
}

/** The segments from the backup's start to its end, on its timeline. */
function neededSegments(record: BackupRecord): string[] {
  const first = segmentOf(record.startLsn, record.timeline);
  const last = segmentOf(record.endLsn, record.timeline);
  const segments: string[] = [];
  for (let lsn = segmentStartLsn(first); ; lsn += BigInt(segmentBytes)) {
    const name = segmentOf(formatLsn(lsn), record.timeline);
    segments.push(name);
    if (name >= last) return segments;
  }
}

/** Reads one archived segment whole; what is wrong with it, or undefined. */
async function checkSegment(
  supplier: WalSupplier,
  file: string,
  systemIdentifier: string,
  onBytes: (bytes: number) => void,
): Promise<string | undefined> {
  const body = supplier.open(file);
  if (!body) return `WAL segment ${file} is in no repository.`;
  let bytes = 0;
  // The page header with the system identifier: 40 bytes, which a source may send in pieces.
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of body) {
      if (head.length < 40) head = Buffer.concat([head, chunk.subarray(0, 40 - head.length)]);
      bytes += chunk.length;
      onBytes(bytes);
    }
  } catch (error) {
    return `${capitalised(asClause((error as Error).message))}.`;
  }
  if (bytes !== segmentBytes) return `WAL segment ${file} holds ${bytes} bytes, not ${segmentBytes}: it is incomplete.`;
  const pageAddress = head.length >= 16 ? head.readBigUInt64LE(8) : undefined;
  if (pageAddress !== segmentStartLsn(file))
    return `WAL segment ${file} does not hold that segment: its first page is for another position.`;
  const cluster = walSystemIdentifier(head);
  if (cluster !== systemIdentifier)
    return `WAL segment ${file} belongs to another cluster (system identifier ${cluster ?? 'unknown'}, not ${systemIdentifier}).`;
  return undefined;
}

const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
