/** Backup: base backups to several repositories, verification against Postgres's manifest, restore. */
export {
  BackupService,
  type Repository,
  type BackupResult,
  type VerifyResult,
  type RetentionReport,
  type RestoreOptions,
  type RestoreResult,
  type PassedOver,
} from './backup.service.js';
export type { BackupServiceDeps, BackupSource, Recover, ScratchSpace } from './backup.ports.js';
export { backupIdSchema, type BackupListing, type BackupRecord, type TransferProgress } from './backup.schema.js';
export { WalPusher, type ArchiveStatus } from './backup.wal.js';
export { WalStreamer, type WalStreamStatus } from './backup.wal-stream.js';
export { baseBackupJob, baseBackupSchedule, restoreDrillJob, restoreDrillSchedule } from './backup.jobs.js';
export { runDrill, type DrillDeps, type DrillResult, type DrilledDatabase } from './backup.drill.js';
export {
  backupStaleHours,
  recordDrill,
  drillStaleHours,
  drillSummary,
  drillWarnings,
  type DrillSummary,
} from './backup.drill-log.js';
export { backupModule, type BackupModuleContext } from './backup.module.js';
export { observeBackups, observeWalSpool, type BackupsStatus } from './backup.status.js';
export {
  TenantRestore,
  type TenantRestoreDeps,
  type TenantRestoreOptions,
  type TenantRestoreResult,
  type TenantDirectory,
  type RestoredCopy,
  type ScratchDirectory,
} from './backup.tenant-restore.js';
