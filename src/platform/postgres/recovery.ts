import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { ConnectionTarget } from '../db/connect.js';
import { appError, asClause } from '../errors.js';
import type { Logger } from '../log/log.js';
import type { PostgresBinaries } from './binaries.js';
import type { RunAs } from './os-user.js';
import { findFreePort, PostgresSupervisor } from './supervisor.js';
import { isInRecovery } from './replication-status.js';
import { restoreCommand, WalFeed, type WalSupplier } from './wal-feed.js';

/** Where recovery stops: the end of the archived WAL, a moment, a named restore point, or the backup's end. */
export type RecoveryTarget =
  | { readonly kind: 'latest' }
  | { readonly kind: 'time'; readonly at: Date }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'immediate' };

export interface RecoveryOutcome {
  readonly reachedLsn: string;
  /** Archived WAL files recovery was handed (not those fetched ahead and never needed). */
  readonly walFiles: number;
  readonly timeline: number;
  /** Commit time of the last transaction replayed, if any was. */
  readonly lastTransactionAt: string | null;
  readonly seconds: number;
}

export interface RecoveryRun {
  readonly dataDir: string;
  /** Where archived WAL comes from; fetched as recovery asks for it, beside the data directory, removed afterwards. */
  readonly wal: WalSupplier;
  readonly target: RecoveryTarget;
  /** A role that exists in the restored cluster (the one the backup was taken as). */
  readonly role: string;
  readonly binaries: PostgresBinaries;
  readonly runAs?: RunAs | undefined;
  readonly log: Logger;
  /** Runs against the recovered cluster once it is promoted, before it is stopped (a drill's checks). */
  readonly inspect?: Inspect | undefined;
}

/** Checks a recovered cluster; `target` names a database of it, reached as a superuser through its private socket. */
export type Inspect = (target: (database: string) => ConnectionTarget) => Promise<void>;

const finishTimeoutMs = 6 * 3600_000;

/**
 * Replays archived WAL on a restored data directory up to its target, promotes it and
 * stops it, leaving a consistent cluster on a new timeline. Postgres runs with no TCP
 * listener and a private socket, archiving off, so the copy cannot be mistaken for the
 * primary. Archived WAL is fetched as recovery asks for it (see WalFeed and restoreCommand):
 * a file that cannot be read stops recovery with an error naming it, unless it lies past the
 * target and recovery never needed it.
 */
export async function runRecovery(run: RecoveryRun): Promise<RecoveryOutcome> {
  const started = Date.now();
  const socketDir = await mkdtemp(path.join(tmpdir(), 'steadfast-recovery-'));
  const walDir = `${run.dataDir}.wal-restore`;
  const feed = new WalFeed(walDir, run.wal, {
    owner: run.runAs,
    log: run.log,
    localWal: path.join(run.dataDir, 'pg_wal'),
  });
  let supervisor: PostgresSupervisor | undefined;
  try {
    await prepare(run, socketDir, walDir);
    feed.start();
    supervisor = new PostgresSupervisor({
      dataDir: run.dataDir,
      binaries: run.binaries,
      superuser: run.role,
      superuserPassword: '',
      port: await findFreePort(),
      maxConnections: 10,
      runAs: run.runAs,
      log: run.log,
      restartOnCrash: false,
      // Accepting connections only once promoted: no hot standby, so no need to match the primary's limits.
      startTimeoutMs: finishTimeoutMs,
      hbaRules: '# A recovery run: only its own process, through a private socket.\nlocal all all trust\n',
      settings: {
        listen_addresses: '',
        unix_socket_directories: socketDir,
        archive_mode: 'off',
        hot_standby: 'off',
        restore_command: restoreCommand(walDir, run.target.kind === 'latest' ? 'stop' : 'end'),
        ...targetSettings(run.target),
      },
    });
    const server = supervisor;
    // Without its feed, restore_command would wait for ever: a broken feed ends the recovery.
    const feedBroken = feed.broken.catch((error: Error) => {
      throw appError('RESTORE_FAILED', `Recovery stopped: ${asClause(error.message)}.`, { cause: error });
    });
    feedBroken.catch(() => undefined);
    const starting = server.start().catch((error: Error) => {
      throw explain(error, run.target, feed.failure);
    });
    starting.catch(() => undefined);
    await Promise.race([starting, feedBroken]);
    const crashed = new Promise<never>((_, reject) => {
      server.once('crash', () =>
        reject(explain(new Error(server.recentLog.slice(-15).join('\n')), run.target, feed.failure)),
      );
      feedBroken.catch(reject);
    });
    crashed.catch(() => undefined);
    const client = await Promise.race([
      connectWhenPromoted({ host: socketDir, port: server.port, user: run.role, database: 'postgres' }),
      crashed,
    ]).catch(async (error: unknown) => {
      // No socket any more, or the connection cut while Postgres stopped (recovery failed, which pg
      // reports as "Connection terminated unexpectedly", with no code): its own reason, which the
      // crash handler brings a moment later, says more than this connect error.
      if ((error as { code?: string }).code !== '57P03') await Promise.race([crashed, sleep(5000)]);
      throw feed.failure ? explain(error as Error, run.target, feed.failure) : error;
    });
    try {
      await Promise.race([waitForPromotion(client), crashed]);
      const { rows } = await client.query<{ lsn: string; tli: number; last: Date | null }>(
        'SELECT pg_current_wal_lsn()::text AS lsn, (SELECT timeline_id FROM pg_control_checkpoint()) AS tli, pg_last_xact_replay_timestamp() AS last',
      );
      const row = rows[0]!;
      if (feed.failure)
        run.log.warn(
          { err: feed.failure },
          'a WAL file PostgreSQL read ahead could not be read; recovery reached its target without it',
        );
      await run.inspect?.((database) => ({
        host: socketDir,
        port: server.port,
        user: run.role,
        password: '',
        database,
      }));
      await client.query('CHECKPOINT');
      return {
        reachedLsn: row.lsn,
        walFiles: feed.handedOver,
        timeline: row.tli,
        lastTransactionAt: row.last?.toISOString() ?? null,
        seconds: (Date.now() - started) / 1000,
      };
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    await supervisor?.stop();
    await feed.stop();
    await rm(socketDir, { recursive: true, force: true });
    await rm(walDir, { recursive: true, force: true });
  }
}

/** The private socket directory, the WAL directory and recovery.signal, owned by the Postgres user. */
async function prepare(run: RecoveryRun, socketDir: string, walDir: string): Promise<void> {
  await chmod(socketDir, 0o700);
  await rm(walDir, { recursive: true, force: true }); // left by a run that was killed
  await mkdir(walDir, { mode: 0o700 });
  await writeFile(path.join(run.dataDir, 'recovery.signal'), '');
  const owner = run.runAs;
  if (!owner) return;
  for (const target of [socketDir, walDir, path.join(run.dataDir, 'recovery.signal')])
    await chown(target, owner.uid, owner.gid);
}

function targetSettings(target: RecoveryTarget): Record<string, string> {
  const common = { recovery_target_timeline: 'latest', recovery_target_action: 'promote' };
  // A numeric offset: Postgres refuses time zone abbreviations here, the 'Z' of ISO 8601 included.
  if (target.kind === 'time')
    return { ...common, recovery_target_time: target.at.toISOString().replace('T', ' ').replace('Z', '+00') };
  if (target.kind === 'name') return { ...common, recovery_target_name: target.name };
  if (target.kind === 'immediate') return { ...common, recovery_target: 'immediate' };
  return { ...common };
}

/** The last FATAL or PANIC line of PostgreSQL's output, without its prefix. */
function postgresComplaint(output: string): string | undefined {
  const lines = output.split('\n').filter((line) => /\b(FATAL|PANIC):/.test(line));
  return lines.at(-1)?.replace(/^.*?\b(FATAL|PANIC):\s*/, '');
}

/** Connects once the server accepts connections, which without hot standby means: recovery is over. */
async function connectWhenPromoted(config: pg.ClientConfig): Promise<pg.Client> {
  const deadline = Date.now() + finishTimeoutMs;
  for (;;) {
    const client = new pg.Client(config);
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      // 57P03: still in recovery (starting up); anything else is a real failure.
      if ((error as { code?: string }).code !== '57P03' || Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

async function waitForPromotion(client: pg.Client): Promise<void> {
  const deadline = Date.now() + finishTimeoutMs;
  while (Date.now() < deadline) {
    if (!(await isInRecovery(client))) return;
    await sleep(100);
  }
  throw appError('RESTORE_FAILED', 'Recovery did not finish within six hours.');
}

function explain(error: Error, target: RecoveryTarget, walFailure: Error | undefined): Error {
  if (walFailure) {
    // PostgreSQL's own last complaint, when it is not just the restore_command the failure made fail.
    const said = postgresComplaint(error.message);
    return appError(
      'RESTORE_FAILED',
      `Recovery stopped: ${asClause(walFailure.message)}. Nothing past that WAL file can be replayed from this repository.` +
        (said && !/restore_command|recovery ended before/.test(said) ? ` PostgreSQL said: ${said}` : ''),
      { cause: walFailure },
    );
  }
  if (/recovery ended before configured recovery target was reached/.test(error.message)) {
    const what =
      target.kind === 'time'
        ? `the moment ${target.at.toISOString()}`
        : target.kind === 'name'
          ? `the restore point "${target.name}"`
          : 'the target';
    return appError(
      'RESTORE_FAILED',
      `The archived WAL ends before ${what}: it cannot be reached from this backup. Choose an earlier target (see "steadfast backup list" for the recoverable window).`,
      { cause: error },
    );
  }
  return appError('RESTORE_FAILED', `PostgreSQL could not recover the restored data: ${error.message}`, {
    cause: error,
  });
}
