import type pg from 'pg';
import { pollUntil } from '../clock/clock.js';
import { withClient, type ConnectionTarget } from '../db/connect.js';

/** A named restore point: its WAL position and the timeline it was made on. */
export interface RestorePoint {
  readonly lsn: string;
  readonly timeline: number;
}

/**
 * Creates a named restore point on the server (`pg_create_restore_point`). With `switchWal`
 * the WAL segment is closed too, so the point reaches the archive at once instead of at the
 * next archive_timeout; without it, the WAL goes on as it would (the drill measures that).
 */
export async function createRestorePoint(
  server: ConnectionTarget,
  name: string,
  options: { switchWal: boolean },
): Promise<RestorePoint> {
  return withClient({ ...server, database: 'postgres' }, async (client) => {
    // The timeline from the segment's name: pg_control_checkpoint() lags a promotion until the next checkpoint.
    const { rows } = await client.query<RestorePoint>(
      "SELECT lsn::text, ('x' || left(pg_walfile_name(lsn), 8))::bit(32)::int AS timeline FROM pg_create_restore_point($1) AS lsn",
      [name],
    );
    if (options.switchWal) await client.query('SELECT pg_switch_wal()');
    return rows[0]!;
  });
}

/**
 * Waits up to `timeoutMs` for the transactions the server has under way now to end (visibly
 * committed or rolled back); returns those still under way. One of them may already have its
 * commit record in the WAL, before a restore point made just now, while no new snapshot sees
 * it yet: a commit becomes visible only once its WAL is flushed (and, with synchronous
 * replication, once a standby has confirmed it).
 */
export async function awaitTransactionsUnderWay(server: ConnectionTarget, timeoutMs: number): Promise<string[]> {
  return withClient({ ...server, database: 'postgres' }, async (client) => {
    // Not a snapshot's list of running transactions: it leaves out those newer than every
    // finished one. Each backend's 32-bit xid is widened against the newest full one.
    const listed = await client.query<{ xid: string }>(
      `WITH next AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS full_xid),
            running AS (SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity WHERE backend_xid IS NOT NULL)
       SELECT (full_xid - full_xid % 4294967296 + xid
               - CASE WHEN xid - full_xid % 4294967296 > 2147483648 THEN 4294967296 ELSE 0 END
               + CASE WHEN full_xid % 4294967296 - xid > 2147483648 THEN 4294967296 ELSE 0 END)::text AS xid
       FROM next, running`,
    );
    let running = listed.rows.map((row) => row.xid);
    if (running.length === 0) return running;
    await pollUntil(
      async () => {
        const { rows } = await client.query<{ xid: string }>(
          // Not pg_xact_status: it says "committed" as soon as the commit log does, before the commit is visible.
          'SELECT xid::text FROM unnest($1::xid8[]) AS xid WHERE NOT pg_visible_in_snapshot(xid, pg_current_snapshot())',
          [running],
        );
        running = rows.map((row) => row.xid);
        return running.length === 0;
      },
      { timeoutMs, intervalMs: 20 },
    ).catch(() => undefined); // the time is up: those left are still running
    return running;
  });
}

/**
 * Which of the transactions committed in this server's history. One it never reached (its id
 * is "in the future" here, as in a copy recovered to a point before it) did not.
 */
export async function committedAmong(client: pg.ClientBase, xids: readonly string[]): Promise<string[]> {
  const committed: string[] = [];
  for (const xid of xids) {
    const status = await client
      .query<{ status: string | null }>('SELECT pg_xact_status($1::xid8) AS status', [xid])
      .then(({ rows }) => rows[0]!.status)
      .catch((error: { code?: string }) => {
        if (error.code === '22023') return null; // "transaction ID … is in the future"
        throw error;
      });
    if (status === 'committed') committed.push(xid);
  }
  return committed;
}
