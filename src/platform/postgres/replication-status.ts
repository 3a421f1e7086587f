import type pg from 'pg';

/** A standby as its primary sees it (pg_stat_replication, with its slot). */
export interface StandbySeen {
  readonly name: string;
  readonly address: string | null;
  readonly state: string;
  readonly syncState: string;
  readonly sentLsn: string | null;
  readonly replayLsn: string | null;
  /** WAL written here that the standby has not replayed yet. */
  readonly lagBytes: number | null;
  /** How long the last commits took to be written, flushed and replayed there (null once it has caught up and all is idle). */
  readonly writeLagMs: number | null;
  readonly flushLagMs: number | null;
  readonly replayLagMs: number | null;
}

/** A physical slot a standby holds (or held) here. */
export interface SlotSeen {
  readonly name: string;
  readonly active: boolean;
  /** reserved, extended, unreserved or lost (lost: past max_slot_wal_keep_size; the standby must re-join). */
  readonly walStatus: string | null;
  /** WAL kept for it now. */
  readonly retainedBytes: number | null;
  /** WAL that may still be written before it is lost (null: no cap). */
  readonly safeWalBytes: number | null;
}

export type ReplicationState =
  | {
      readonly role: 'primary';
      readonly timeline: number;
      readonly currentLsn: string;
      readonly standbys: readonly StandbySeen[];
      readonly slots: readonly SlotSeen[];
      readonly synchronousStandbyNames: string;
    }
  | {
      readonly role: 'standby';
      readonly timeline: number;
      /** The walreceiver: null when it is not running (the primary unreachable, or refused). */
      readonly receiver: {
        readonly status: string;
        readonly primaryHost: string | null;
        readonly primaryPort: number | null;
        readonly lastMessageAt: string | null;
        readonly slot: string | null;
      } | null;
      readonly receivedLsn: string | null;
      readonly replayedLsn: string | null;
      /** Received but not yet replayed. */
      readonly replayBacklogBytes: number | null;
      readonly lastReplayedCommitAt: string | null;
    };

const ms = (column: string): string => `(extract(epoch FROM ${column}) * 1000)::float8`;

// The timeline now: on a primary from the name of the WAL file being written (pg_control_checkpoint
// lags until the next checkpoint after a promotion), on a standby from what it receives.
const timelineNow = `CASE WHEN pg_is_in_recovery() THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver), (SELECT timeline_id FROM pg_control_checkpoint()))
                          ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END`;

/** Whether the server is a standby (in recovery). */
export async function isInRecovery(client: pg.ClientBase): Promise<boolean> {
  return (await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby')).rows[0]!.standby;
}

/** Where a server is: standby or not, its cluster, timeline, and WAL position (written on a primary, replayed on a standby). */
export async function readNodePosition(
  client: pg.ClientBase,
): Promise<{ standby: boolean; systemIdentifier: string; timeline: number; lsn: string | null }> {
  const { rows } = await client.query<{
    standby: boolean;
    systemIdentifier: string;
    timeline: number;
    lsn: string | null;
  }>(
    `SELECT pg_is_in_recovery() AS standby, (SELECT system_identifier::text FROM pg_control_system()) AS "systemIdentifier", ${timelineNow} AS timeline,
            CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text AS lsn`,
  );
  return rows[0]!;
}

/** What replication looks like from this server, primary or standby. */
export async function readReplicationState(client: pg.ClientBase): Promise<ReplicationState> {
  const { rows } = await client.query<{ standby: boolean; timeline: number }>(
    `SELECT pg_is_in_recovery() AS standby, ${timelineNow} AS timeline`,
  );
  const { standby, timeline } = rows[0]!;
  return standby ? readAsStandby(client, timeline) : readAsPrimary(client, timeline);
}

type PrimaryState = Extract<ReplicationState, { role: 'primary' }>;
type StandbyState = Extract<ReplicationState, { role: 'standby' }>;

/** A primary's view: the standbys streaming from it, and the slots it keeps WAL for. */
async function readAsPrimary(client: pg.ClientBase, timeline: number): Promise<PrimaryState> {
  const current = await client.query<{ lsn: string; names: string }>(
    "SELECT pg_current_wal_lsn()::text AS lsn, current_setting('synchronous_standby_names') AS names",
  );
  const standbys = await client.query<StandbySeen>(
    `SELECT application_name AS name, host(client_addr) AS address, state, sync_state AS "syncState", sent_lsn::text AS "sentLsn", replay_lsn::text AS "replayLsn",
            pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS "lagBytes",
            ${ms('write_lag')} AS "writeLagMs", ${ms('flush_lag')} AS "flushLagMs", ${ms('replay_lag')} AS "replayLagMs"
       FROM pg_stat_replication ORDER BY application_name`,
  );
  const slots = await client.query<SlotSeen>(
    `SELECT slot_name AS name, active, wal_status AS "walStatus", pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 AS "retainedBytes", safe_wal_size::float8 AS "safeWalBytes"
       FROM pg_replication_slots WHERE slot_type = 'physical' AND NOT temporary ORDER BY slot_name`,
  );
  return {
    role: 'primary',
    timeline,
    currentLsn: current.rows[0]!.lsn,
    standbys: standbys.rows,
    slots: slots.rows,
    synchronousStandbyNames: current.rows[0]!.names,
  };
}

/** A standby's view: its walreceiver, and how far it has received and replayed. */
async function readAsStandby(client: pg.ClientBase, timeline: number): Promise<StandbyState> {
  const receiver = await client.query<
    Omit<NonNullable<StandbyState['receiver']>, 'lastMessageAt'> & { lastMessageAt: Date | null }
  >(
    'SELECT status, sender_host AS "primaryHost", sender_port AS "primaryPort", last_msg_receipt_time AS "lastMessageAt", slot_name AS slot FROM pg_stat_wal_receiver',
  );
  const positions = await client.query<{
    received: string | null;
    replayed: string | null;
    backlog: number | null;
    replayedAt: Date | null;
  }>(
    `SELECT pg_last_wal_receive_lsn()::text AS received, pg_last_wal_replay_lsn()::text AS replayed,
            pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 AS backlog, pg_last_xact_replay_timestamp() AS "replayedAt"`,
  );
  const row = receiver.rows[0];
  const position = positions.rows[0]!;
  return {
    role: 'standby',
    timeline,
    receiver: row ? { ...row, lastMessageAt: row.lastMessageAt?.toISOString() ?? null } : null,
    receivedLsn: position.received,
    replayedLsn: position.replayed,
    replayBacklogBytes: position.backlog,
    lastReplayedCommitAt: position.replayedAt?.toISOString() ?? null,
  };
}
