import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import type { Config } from '../../platform/config/config.js';
import type { PlatformTables } from '../../platform/db/schema.js';
import type { GaugeDefinition } from '../../platform/metrics.js';
import type { ModuleWork, SteadfastModule } from '../../platform/module.js';
import type { Probe } from '../../platform/probes.js';
import type { DrillProgress, DrillResult } from './backup.drill.js';
import { baseBackupJob, baseBackupSchedule, restoreDrillJob, restoreDrillSchedule } from './backup.jobs.js';
import { backupGauges, drillGauges, walPusherGauges, walStreamerGauges } from './backup.metrics.js';
import { backupEvidence } from './backup.evidence.js';
import { drillProbe, repositoryProbes, walArchiveProbe } from './backup.probes.js';
import type { BackupService } from './backup.service.js';
import type { WalPusher } from './backup.wal.js';
import type { WalStreamer } from './backup.wal-stream.js';

/** What the backup module needs of the running platform; the services exist where this process has them. */
export interface BackupModuleContext {
  readonly config: Pick<Config, 'backupSchedule' | 'backupFullSchedule' | 'drillSchedule' | 'timeZone'>;
  readonly db: Kysely<PlatformTables>;
  readonly clock: Clock;
  readonly backups?: BackupService | undefined;
  /** Restores the latest backup to scratch space, checks it and records the result. */
  readonly restoreDrill?: ((onProgress: (progress: DrillProgress) => void) => Promise<DrillResult>) | undefined;
  /** WAL shipping beside an embedded PostgreSQL this process started. */
  readonly shipping?: { readonly pusher: WalPusher; readonly streamer?: WalStreamer | undefined } | undefined;
}

/** The backup and the restore drill, each scheduled when a schedule is configured. */
function backupWork({ config, backups, restoreDrill, clock }: BackupModuleContext): ModuleWork {
  if (!backups || !restoreDrill) return { jobs: [] };
  const fulls = config.backupFullSchedule ? { cron: config.backupFullSchedule, timeZone: config.timeZone } : undefined;
  const backup = baseBackupJob(backups, { fulls, clock });
  const drill = restoreDrillJob(restoreDrill);
  const schedules = [];
  if (config.backupSchedule) schedules.push(baseBackupSchedule(backup, config.backupSchedule, config.timeZone));
  if (config.drillSchedule) schedules.push(restoreDrillSchedule(drill, config.drillSchedule, config.timeZone));
  return { jobs: [backup, drill], schedules };
}

function backupMetrics({ db, backups, shipping }: BackupModuleContext): GaugeDefinition[] {
  return [
    ...(backups ? backupGauges(backups) : []),
    ...(shipping ? walPusherGauges(shipping.pusher) : []),
    ...(shipping?.streamer ? walStreamerGauges(shipping.streamer) : []),
    ...drillGauges(db),
  ];
}

/** The WAL archive where this process ships WAL, and each repository where it has the backups. */
function backupProbes({ db, backups, shipping }: BackupModuleContext): Probe[] {
  return [
    ...(shipping ? [walArchiveProbe(shipping.pusher)] : []),
    ...(backups ? [...repositoryProbes(backups), drillProbe(db)] : []),
  ];
}

/** Backup's part of the platform: the nightly backup and drill, their record, their gauges and probes. */
export const backupModule: SteadfastModule<BackupModuleContext> = {
  name: 'backup',
  migrations: { platform: fileURLToPath(new URL('./migrations/platform', import.meta.url)) },
  work: backupWork,
  probes: backupProbes,
  evidence: ({ db, backups, clock }) => backupEvidence(db, backups, clock),
  metrics: backupMetrics,
};
