import { z } from 'zod';

/** A backup's id: the moment it started, e.g. 20261124T020000Z. */
export const backupIdSchema = z
  .string()
  .regex(/^\d{8}T\d{6}Z$/, 'a backup id looks like 20261124T020000Z (see "steadfast backup list")');

/**
 * backup.json: a backup's metadata, written to each repository after all its objects,
 * so its presence marks the copy complete. Plain JSON (no secret in it), authenticated
 * with an HMAC under the backup key so that it cannot be altered unnoticed.
 */
export const backupRecordSchema = z.object({
  /** 2: an incremental, which versions that cannot follow its chain do not list (they would restore it incomplete). */
  format: z.union([z.literal(1), z.literal(2)]),
  id: backupIdSchema,
  label: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  startLsn: z.string(),
  endLsn: z.string(),
  timeline: z.number().int().positive(),
  systemIdentifier: z.string(),
  postgresVersion: z.number().int(),
  keyFingerprint: z.string(),
  /** The role the backup was taken as; it exists in the restored cluster. */
  role: z.string(),
  includesWal: z.boolean(),
  /** Bytes Postgres sent (the uncompressed archives and manifest). */
  sourceBytes: z.number(),
  /**
   * An incremental backup's chain: the earlier backups that hold the files it left out as
   * unchanged (its manifest names each file's). Absent on a full backup, which holds them all.
   */
  references: z.array(backupIdSchema).optional(),
  objects: z.array(
    z.object({
      /** `base.tar`, a tablespace's `<oid>.tar`, or `backup_manifest`. */
      name: z.string(),
      key: z.string(),
      bytes: z.number(),
      /** Checksum of the stored bytes: CRC-32C; backups taken by earlier versions carry a SHA-256 instead. */
      crc32c: z.string().optional(),
      sha256: z.string().optional(),
      plainBytes: z.number(),
    }),
  ),
  mac: z.string(),
});
export type BackupRecord = z.infer<typeof backupRecordSchema>;

/** A backup as listed: its record and the repositories holding a complete copy. */
export interface BackupListing {
  readonly record: BackupRecord;
  readonly repositories: string[];
}

/** Long work reports this as it goes (bytes, rate, ETA); the CLI draws it. */
export type { TransferProgress } from '../../platform/progress.js';

/** Postgres keeps restore point names to 63 bytes; we keep them readable too. */
export const restorePointSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(60, 'must be at most 60 characters')
  .regex(/^[\w.:@+-]+$/, 'may hold only letters, digits and . : @ + - _');
