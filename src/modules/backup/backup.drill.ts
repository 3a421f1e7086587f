import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../../platform/clock/clock.js';
import { withClient, type ConnectionTarget } from '../../platform/db/connect.js';
import type { Logger } from '../../platform/log/log.js';
import {
  amcheckDatabase,
  describeDifference,
  fingerprintDatabase,
  type DatabaseFingerprint,
} from '../../platform/postgres/fingerprint.js';
import {
  awaitTransactionsUnderWay,
  committedAmong,
  createRestorePoint,
} from '../../platform/postgres/restore-point.js';
import { removeTree } from '../../platform/storage/dirs.js';
import { backupIdAt } from './backup.catalog.js';
import type { TransferProgress } from './backup.schema.js';
import type { BackupService } from './backup.service.js';

/** A database the drill compares between the primary and the restored copy (a tenant's). */
export interface DrilledDatabase {
  readonly name: string;
  readonly database: string;
}

export interface DrillResult {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly passed: boolean;
  readonly backupId?: string;
  readonly repository?: string;
  /** The restore point the copy was recovered to, and its WAL position on the primary. */
  readonly restorePoint?: string;
  readonly targetLsn?: string;
  readonly restoredBytes: number;
  readonly durationSeconds: number;
  /** Restore rate of the base backup, MB/s. */
  readonly restoreMbS?: number;
  /** Seconds from the restore point's commit on the primary to its WAL being in a repository: what a lost primary disk would have cost. */
  readonly rpoSeconds?: number;
  /** Databases found identical to what the primary had at the restore point. */
  readonly compared: number;
  /** Databases written to while the drill took the primary's fingerprints: checked with amcheck only. */
  readonly changed: string[];
  /**
   * Transactions whose commit reached the WAL before the restore point but was still not
   * visible on the primary when the drill fingerprinted it (a commit waiting for a synchronous
   * standby does that). With any, no database can be compared exactly: all are checked by amcheck only.
   */
  readonly unsettledTransactions?: number;
  readonly amcheck: { databases: number; indexes: number; tables: number };
  /** Why it failed; empty when it passed. */
  readonly problems: string[];
}

export interface DrillDeps {
  readonly backups: BackupService;
  /** The primary, as a superuser (reads every database). */
  readonly source: ConnectionTarget;
  /** The databases to compare (the tenants'), listed when the drill starts. */
  readonly databases: () => Promise<DrilledDatabase[]>;
  /** Extra databases to check with amcheck only (the platform's own, written to all the time). */
  readonly checkOnly?: readonly string[];
  /** A directory on a disk with room for the whole cluster; the drill works in a new directory under it and removes it. */
  readonly scratchDir: string;
  readonly owner?: { uid: number; gid: number } | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  /** How long to wait for the restore point's WAL to reach a repository. Default 5 minutes. */
  readonly archiveWaitMs?: number;
  /** How long to wait for the transactions under way at the restore point to end before fingerprinting again. Default 10 s. */
  readonly settleWaitMs?: number;
}

export type DrillProgress = TransferProgress;

/**
 * The nightly proof that the backups restore: the latest base backup plus the archived
 * WAL is recovered, in a scratch directory with archiving off, to a restore point made
 * for the drill, then checked with amcheck and compared database by database against what
 * the primary held at that point.
 *
 * "What the primary held at that point" under live writes: each database is fingerprinted
 * on the primary before and after the restore point is made. Where the two agree, nothing
 * changed across the point and the copy must match them exactly; where they differ, the
 * database was written to meanwhile and is reported as such and checked by amcheck only.
 * A commit can be in the WAL before the point yet not visible for a moment after it (its
 * flush, or a synchronous standby, is still pending), so the second fingerprints wait for the
 * transactions under way at the point to end; one that never does is looked up in the copy.
 */
export async function runDrill(deps: DrillDeps, onProgress?: (progress: DrillProgress) => void): Promise<DrillResult> {
  const { clock, log } = deps;
  const started = clock.now();
  const run: DrillRun = {
    deps,
    started,
    scratch: path.join(deps.scratchDir, `drill-${backupIdAt(started)}`),
    partial: {},
    findings: {
      problems: [],
      changed: [],
      amcheck: { databases: 0, indexes: 0, tables: 0 },
      compared: 0,
      unsettled: 0,
    },
    onProgress,
    phase: (name) => onProgress?.({ phase: name, doneBytes: 0, bytesPerSecond: 0 }),
  };
  try {
    await drillSteps(run);
  } catch (error) {
    run.findings.problems.push((error as Error).message);
  } finally {
    await removeTree(run.scratch);
    await removeTree(`${run.scratch}.wal-restore`);
  }
  const finished = clock.now();
  const { problems, changed, amcheck, compared, unsettled } = run.findings;
  const drill: DrillResult = {
    ...run.partial,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    passed: problems.length === 0,
    restoredBytes: run.partial.restoredBytes ?? 0,
    durationSeconds: round((finished.getTime() - started.getTime()) / 1000),
    compared,
    changed,
    ...(unsettled ? { unsettledTransactions: unsettled } : {}),
    amcheck,
    problems,
  };
  if (unsettled)
    log.warn(
      { unsettled },
      'the restore drill compared no database exactly: transactions committed before its restore point were not yet visible on the primary (a synchronous standby not answering?)',
    );
  if (drill.passed) log.info({ ...drill, changed: changed.length }, 'restore drill passed');
  else log.error(drill, 'restore drill FAILED: the latest backup did not restore to what the primary had');
  return drill;
}

/** One drill under way: what it has found so far, and what it has learnt for its result. */
interface DrillRun {
  readonly deps: DrillDeps;
  readonly started: Date;
  readonly scratch: string;
  readonly partial: { -readonly [K in keyof DrillResult]?: DrillResult[K] };
  readonly findings: {
    readonly problems: string[];
    readonly changed: string[];
    readonly amcheck: { databases: number; indexes: number; tables: number };
    compared: number;
    /** Transactions committed in the copy that the primary's second fingerprints did not see. */
    unsettled: number;
  };
  readonly onProgress: ((progress: DrillProgress) => void) | undefined;
  phase(name: string): void;
}

/** The drill's steps in order; a step that throws ends it with that problem. */
async function drillSteps(run: DrillRun): Promise<void> {
  const { deps, partial, phase } = run;
  const latest = (await deps.backups.list()).at(-1);
  if (!latest) throw new Error('there is no complete backup to restore; take one with "steadfast backup now"');
  partial.backupId = latest.record.id;

  phase('fingerprinting the primary');
  const databases = await deps.databases();
  const before = await fingerprintAll(deps.source, databases);
  // Recovery stops at the first point of a name: two drills in one second must not share one.
  const restorePoint = `steadfast-drill-${backupIdAt(run.started)}-${randomBytes(4).toString('hex')}`;
  const point = await createRestorePoint(deps.source, restorePoint, { switchWal: false });
  const pointAt = deps.clock.now();
  partial.restorePoint = restorePoint;
  partial.targetLsn = point.lsn;
  // The wait for the point to reach a repository runs alongside the second fingerprints, so it measures only itself.
  const archived = waitForArchive(deps.backups, point, pointAt, deps.clock, deps.archiveWaitMs ?? 300_000);
  archived.catch(() => undefined);
  const lingering = await awaitTransactionsUnderWay(deps.source, deps.settleWaitMs ?? 10_000);
  const after = await fingerprintAll(deps.source, databases);

  phase('waiting for the restore point to be archived');
  partial.rpoSeconds = await archived;

  const restored = await restoreAndCheck(run, latest.record.id, restorePoint, databases, lingering);
  compareWithPrimary(run, databases, before, after, restored);
}

/** Restores the backup to the restore point and, while the copy runs, fingerprints and amchecks its databases. */
async function restoreAndCheck(
  run: DrillRun,
  id: string,
  restorePoint: string,
  databases: readonly DrilledDatabase[],
  lingering: readonly string[],
): Promise<Map<string, DatabaseFingerprint>> {
  const { deps, partial, findings } = run;
  const restored = new Map<string, DatabaseFingerprint>();
  const result = await deps.backups.restore({
    id,
    target: run.scratch,
    owner: deps.owner,
    recovery: { kind: 'name', name: restorePoint },
    onProgress: run.onProgress,
    inspect: async (restoredTarget) => {
      run.phase('checking the restored copy');
      if (lingering.length) {
        // Where the copy cannot say, every one of them is taken as committed: that only forgoes the exact comparison.
        const committed = await withClient(restoredTarget('postgres'), (client) =>
          committedAmong(client, lingering),
        ).catch((error: Error) => {
          deps.log.warn({ err: error }, 'the restored copy could not say which transactions it holds committed');
          return lingering;
        });
        findings.unsettled = committed.length;
      }
      for (const database of [...databases.map((entry) => entry.database), ...(deps.checkOnly ?? [])]) {
        await withClient(restoredTarget(database), async (client) => {
          if (databases.some((entry) => entry.database === database))
            restored.set(database, await fingerprintDatabase(client));
          const check = await amcheckDatabase(client);
          findings.amcheck.databases++;
          findings.amcheck.indexes += check.indexes;
          findings.amcheck.tables += check.tables;
          findings.problems.push(...check.problems.map((problem) => `amcheck in ${database}: ${problem}`));
        }).catch((error: Error) =>
          findings.problems.push(`${database} could not be checked in the restored copy: ${error.message}`),
        );
      }
    },
  });
  partial.repository = result.repository;
  partial.restoredBytes = result.bytes;
  partial.restoreMbS = result.seconds > 0 ? round(result.bytes / 1048576 / result.seconds) : undefined;
  return restored;
}

/** Each database unchanged across the restore point must be identical in the copy; a changed one is only noted. */
function compareWithPrimary(
  run: DrillRun,
  databases: readonly DrilledDatabase[],
  before: Map<string, DatabaseFingerprint>,
  after: Map<string, DatabaseFingerprint>,
  restored: Map<string, DatabaseFingerprint>,
): void {
  const { findings } = run;
  for (const { name, database } of databases) {
    const first = before.get(database);
    const second = after.get(database);
    if (!first || !second) continue; // gone from the primary while the drill ran (a deleted tenant)
    if (first.digest !== second.digest || findings.unsettled > 0) {
      findings.changed.push(name);
      continue;
    }
    const copy = restored.get(database);
    if (!copy) continue; // already reported: it could not be checked
    const differences = describeDifference(first, copy);
    if (differences.length)
      findings.problems.push(
        `${name} differs from the primary at the restore point: ${differences.slice(0, 5).join('; ')}`,
      );
    else findings.compared++;
  }
}

/** Fingerprints each database on the primary; a database that is gone is left out. */
async function fingerprintAll(
  source: ConnectionTarget,
  databases: readonly DrilledDatabase[],
): Promise<Map<string, DatabaseFingerprint>> {
  const fingerprints = new Map<string, DatabaseFingerprint>();
  for (const { database } of databases) {
    try {
      fingerprints.set(database, await withClient({ ...source, database }, fingerprintDatabase));
    } catch (error) {
      if ((error as { code?: string }).code !== '3D000') throw error; // 3D000: the database does not exist (any more)
    }
  }
  return fingerprints;
}

/** Waits until some repository holds the WAL up to the point (streamed or archived); returns the seconds since `since`. */
async function waitForArchive(
  backups: BackupService,
  point: { lsn: string; timeline: number },
  since: Date,
  clock: Clock,
  timeoutMs: number,
): Promise<number> {
  for (;;) {
    if (await backups.walHeldUpTo(point.lsn, point.timeline))
      return round((clock.now().getTime() - since.getTime()) / 1000);
    if (clock.now().getTime() - since.getTime() > timeoutMs) {
      throw new Error(
        `the WAL holding the drill's restore point (${point.lsn}) reached no repository within ${Math.round(timeoutMs / 1000)} s: WAL archiving is stalled, so recent commits are not protected (see "steadfast status")`,
      );
    }
    await sleep(250);
  }
}

const round = (value: number): number => Math.round(value * 1000) / 1000;
