import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db/schema.js';
import { cachedReading, gauge, type GaugeDefinition } from '../../platform/metrics.js';
import { backupStaleHours, drillStaleHours, drillSummary, type DrillSummary } from './backup.drill-log.js';
import type { BackupService } from './backup.service.js';
import type { WalPusher } from './backup.wal.js';
import type { WalStreamer } from './backup.wal-stream.js';

/** Listing repositories costs requests (S3, SFTP): a scrape reuses a listing this recent. */
const listingTtlMs = 60_000;

/** The backups in the repositories, listed at most once a minute. */
export function backupGauges(backups: BackupService): GaugeDefinition[] {
  const list = cachedReading(() => backups.list().catch(() => []), listingTtlMs);
  return [
    gauge(
      'steadfast_backups',
      'Complete backups in the repositories, by repository.',
      async (g) => {
        const all = await list();
        for (const name of backups.repositoryNames())
          g.set({ repository: name }, all.filter((entry) => entry.repositories.includes(name)).length);
      },
      ['repository'],
    ),
    gauge(
      'steadfast_backup_last_success_timestamp_seconds',
      'When the latest complete backup finished (Unix time); absent before the first.',
      async (g) => {
        const latest = (await list()).at(-1);
        if (latest) g.set(Date.parse(latest.record.finishedAt) / 1000);
      },
    ),
    gauge(
      'steadfast_backup_last_full_timestamp_seconds',
      'When the latest complete full backup finished (Unix time), where the chains of the incrementals after it start.',
      async (g) => {
        const full = (await list()).filter((entry) => !entry.record.references).at(-1);
        if (full) g.set(Date.parse(full.record.finishedAt) / 1000);
      },
    ),
    gauge('steadfast_backup_ok', `1 when a backup finished within the last ${backupStaleHours} hours.`, async (g) => {
      const latest = (await list()).at(-1);
      g.set(latest && Date.now() - Date.parse(latest.record.finishedAt) <= backupStaleHours * 3_600_000 ? 1 : 0);
    }),
  ];
}

/** The WAL pusher's spool and each repository's archiving, as this process ships it. */
export function walPusherGauges(pusher: WalPusher): GaugeDefinition[] {
  return [
    gauge('steadfast_wal_spool_files', 'WAL files waiting in the local spool for a repository.', async (g) =>
      g.set((await pusher.status()).spooled),
    ),
    gauge(
      'steadfast_wal_archive_last_timestamp_seconds',
      'When the pusher last stored a WAL file in the repository (Unix time), since this process started.',
      async (g) => {
        for (const repository of (await pusher.status()).repositories)
          if (repository.lastArchivedAt)
            g.set({ repository: repository.name }, Date.parse(repository.lastArchivedAt) / 1000);
      },
      ['repository'],
    ),
    gauge(
      'steadfast_wal_archive_failing',
      '1 while storing WAL in the repository fails (the spool keeps it).',
      async (g) => {
        for (const repository of (await pusher.status()).repositories)
          g.set({ repository: repository.name }, repository.failingSince ? 1 : 0);
      },
      ['repository'],
    ),
  ];
}

/** The WAL streamer: connected, and when it last stored. */
export function walStreamerGauges(streamer: WalStreamer): GaugeDefinition[] {
  return [
    gauge('steadfast_wal_stream_connected', '1 while the WAL is streamed from Postgres as it is written.', (g) =>
      g.set(streamer.status().connected ? 1 : 0),
    ),
    gauge(
      'steadfast_wal_stream_stored_timestamp_seconds',
      'When streamed WAL was last stored in a repository (Unix time).',
      (g) => {
        const at = streamer.status().storedAt;
        if (at) g.set(Date.parse(at) / 1000);
      },
    ),
  ];
}

type LastDrill = NonNullable<DrillSummary['last']>;

/** The restore drills' record: the last one, the last that passed, and its figures. */
export function drillGauges(db: Kysely<PlatformTables>): GaugeDefinition[] {
  const drills = (): Promise<DrillSummary | undefined> => drillSummary(db).catch(() => undefined);
  const lastFigure = (name: string, help: string, pick: (last: LastDrill) => number | null): GaugeDefinition =>
    gauge(name, help, async (g) => {
      const last = (await drills())?.last;
      const value = last ? pick(last) : null;
      if (value !== null) g.set(value);
    });
  return [
    lastFigure(
      'steadfast_drill_last_timestamp_seconds',
      'When the last restore drill finished (Unix time).',
      (last) => Date.parse(last.finishedAt) / 1000,
    ),
    lastFigure('steadfast_drill_last_passed', '1 when the last restore drill passed, 0 when it failed.', (last) =>
      last.passed ? 1 : 0,
    ),
    gauge(
      'steadfast_drill_last_success_timestamp_seconds',
      'When a restore drill last passed (Unix time).',
      async (g) => {
        const at = (await drills())?.lastPassedAt;
        if (at) g.set(Date.parse(at) / 1000);
      },
    ),
    gauge(
      'steadfast_drill_ok',
      `1 when the last drill passed and one passed within the last ${drillStaleHours} hours.`,
      async (g) => {
        const summary = await drills();
        const fresh =
          summary?.lastPassedAt !== undefined &&
          Date.now() - Date.parse(summary.lastPassedAt) <= drillStaleHours * 3_600_000;
        g.set(summary?.last?.passed && fresh ? 1 : 0);
      },
    ),
    lastFigure(
      'steadfast_drill_duration_seconds',
      'How long the last restore drill took.',
      (last) => last.durationSeconds,
    ),
    lastFigure('steadfast_drill_restore_bytes', 'Bytes the last drill restored.', (last) => last.restoredBytes),
    lastFigure('steadfast_drill_restore_mb_per_second', 'Restore rate of the last drill.', (last) => last.restoreMbS),
    lastFigure(
      'steadfast_drill_rpo_seconds',
      'Measured by the last drill: seconds from its restore point to that WAL being in a repository.',
      (last) => last.rpoSeconds,
    ),
  ];
}
