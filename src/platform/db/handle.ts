import type pg from 'pg';
import type { PostgresSupervisor } from '../postgres/supervisor.js';
import { withClient, type ConnectionTarget } from './connect.js';

/** How this process reaches PostgreSQL, and who stops it when we are done. */
export interface DatabaseHandle {
  /** The platform database, as the administrative role. */
  readonly admin: ConnectionTarget;
  readonly platformDatabase: string;
  readonly secretKey: string;
  /** Set when this process started (and supervises) the embedded server. */
  readonly supervisor?: PostgresSupervisor;
  /** Where archive_command leaves WAL for this process to push to the repositories (embedded, archiving on). */
  readonly walSpool?: string | undefined;
  /** The embedded cluster's data directory (not known for an external database). */
  readonly dataDir?: string | undefined;
  readonly mode: 'external' | 'embedded-owned' | 'embedded-attached';
  /** Stops the embedded server if this process started it. */
  stop(): Promise<void>;
}

/** Runs `work` on the server's own database (`postgres`) as the administrative role: for what belongs to the server, not the platform (replication, recovery). */
export function withServer<R>(
  database: Pick<DatabaseHandle, 'admin'>,
  work: (client: pg.Client) => Promise<R>,
): Promise<R> {
  return withClient({ ...database.admin, database: 'postgres' }, work);
}
