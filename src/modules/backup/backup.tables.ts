import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Timestamp } from '../../platform/db/schema.js';
import type { PlatformTables } from '../../platform/db/schema.js';

/** The tables of the backup module's platform migrations (migrations/platform). */
export type BackupTables = {
  backup_drills: BackupDrillsTable;
};

export interface BackupDrillsTable {
  id: Generated<string>;
  started_at: Timestamp;
  finished_at: Timestamp;
  passed: boolean;
  backup_id: string | null;
  repository: string | null;
  restore_point: string | null;
  target_lsn: string | null;
  restored_bytes: ColumnType<string, number, number>;
  duration_seconds: number;
  restore_mb_s: number | null;
  rpo_seconds: number | null;
  compared: number;
  changed: ColumnType<string[], string, string>;
  amcheck: ColumnType<{ databases: number; indexes: number; tables: number }, string, string>;
  problems: ColumnType<string[], string, string>;
  unsettled_transactions: ColumnType<number, number | undefined, number>;
}

/** The platform database as this module sees it: the platform's tables and its own. */
export const backupDb = (db: Kysely<PlatformTables>): Kysely<PlatformTables & BackupTables> =>
  db.withTables<BackupTables>();
