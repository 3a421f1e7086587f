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
