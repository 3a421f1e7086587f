import type { ConnectionTarget } from '../../platform/db/connect.js';
import { withClient } from '../../platform/db/connect.js';
import { pollUntil } from '../../platform/clock/clock.js';
import { appError } from '../../platform/errors.js';
import { parseLsn } from '../../platform/postgres/lsn.js';
import type { TlsFiles } from '../../platform/postgres/tls.js';
import { askNode } from './replication.control.client.js';
import type { NodeReport } from './replication.control.schema.js';

/*
 * What a standby taking over has of its primary's WAL: before a switchover (close enough to
 * start), and after the old primary stood down (all of it, or how much is missing).
 */

/** How far behind (bytes) a standby may be for a switchover to start: the catch-up is then a moment. */
const switchoverMaxLagBytes = 16 * 1024 * 1024;

/** What this node (a standby) has received and replayed of its primary's WAL. */
async function walPosition(local: ConnectionTarget): Promise<{ received: bigint; replayed: bigint }> {
  const { rows } = await withClient(local, (client) =>
    client.query<{ received: string | null; replayed: string | null }>(
      'SELECT pg_last_wal_receive_lsn()::text AS received, pg_last_wal_replay_lsn()::text AS replayed',
    ),
  );
  return {
    received: rows[0]!.received ? parseLsn(rows[0]!.received) : 0n,
    replayed: rows[0]!.replayed ? parseLsn(rows[0]!.replayed) : 0n,
  };
}

/**
 * Waits (every 50 ms, up to `seconds`) until this node has replayed past `target`: the old
 * primary's stand-down checkpoint, whose record starts there. Once the time is up, the bytes it
 * never received are the loss. A failed query ends the wait at once.
 */
export async function replayUntil(
  local: ConnectionTarget,
  target: bigint,
  seconds: number,
): Promise<{ caughtUp: boolean; missingBytes: number }> {
  let received = 0n;
  const timedOut = new Error('not caught up in time');
  const outcome = await pollUntil(
    async () => {
      try {
        const position = await walPosition(local);
        received = position.received;
        return position.replayed > target ? { caughtUp: true } : undefined;
      } catch (error) {
        return { failed: error };
      }
    },
    { timeoutMs: seconds * 1000, intervalMs: 50, timeoutError: () => timedOut },
  ).catch((error: unknown) => {
    if (error !== timedOut) throw error;
    return { caughtUp: false };
  });
  if ('failed' in outcome) throw outcome.failed;
  if (outcome.caughtUp) return { caughtUp: true, missingBytes: 0 };
  return { caughtUp: false, missingBytes: Number(target > received ? target - received : 0n) };
}

/** Before a switchover: the primary answers as one, and this standby streams from it, close behind. */
export async function checkReadyToSwitch(
  tls: TlsFiles,
  control: { host: string; port: number },
  local: ConnectionTarget,
): Promise<void> {
  let report: NodeReport;
  try {
    report = await askNode(tls, control, 5000);
  } catch (error) {
    throw appError(
      'FAILOVER_FAILED',
      `${(error as Error).message} A switchover needs the primary up and reachable; nothing was changed. If it is down, use "steadfast failover".`,
      { cause: error },
    );
  }
  if (report.role !== 'primary' || !report.lsn)
    throw appError(
      'FAILOVER_FAILED',
      `The node this standby follows (${report.name}) is ${report.role}, not a primary; nothing was changed.`,
    );
  const { rows } = await withClient(local, (client) =>
    client.query<{ streaming: boolean; behind: number | null }>(
      "SELECT coalesce((SELECT status = 'streaming' FROM pg_stat_wal_receiver), false) AS streaming, pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_receive_lsn())::float8 AS behind",
      [report.lsn],
    ),
  );
  const { streaming, behind } = rows[0]!;
  if (!streaming)
    throw appError(
      'FAILOVER_FAILED',
      'This standby is not streaming from the primary now (see "steadfast status"); a switchover would have to wait for it to catch up. Nothing was changed.',
    );
  if ((behind ?? 0) > switchoverMaxLagBytes)
    throw appError(
      'FAILOVER_FAILED',
      `This standby is ${((behind ?? 0) / 1048576).toFixed(0)} MB behind the primary; a switchover starts only within ${switchoverMaxLagBytes / 1048576} MB (writes would stop while it catches up). Try again when "steadfast status" shows it close.`,
    );
}
