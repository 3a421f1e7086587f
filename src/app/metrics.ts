import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { Gauge, Registry } from 'prom-client';
import { backupStaleHours, drillStaleHours, drillSummary, type BackupService, type WalPusher, type WalStreamer } from '../modules/backup/index.js';
import { registerProblemHandler } from '../platform/http/problem.js';
import type { Platform } from './deps.js';
import { version } from './version.js';

/** Listing repositories costs requests (S3, SFTP): a scrape reuses a listing this recent. */
const listingTtlMs = 60_000;

export interface MetricsSources {
  readonly platform: Platform;
  readonly backups?: BackupService | undefined;
  readonly pusher?: WalPusher | undefined;
  readonly streamer?: WalStreamer | undefined;
}

/**
 * The operator's metrics, in Prometheus's text format: every value is read when scraped
 * (the platform database, the WAL pusher's state, the repositories' listing at most once a
 * minute), so nothing is kept in step by hand. `*_ok` gauges are 1 when a promise is kept and
 * 0 when status would say it needs attention, for a plain alert rule. A value not known yet
 * (no backup, no drill) is NaN, which no comparison in an alert rule matches.
 */
export function createMetrics(sources: MetricsSources): Registry {
  const { platform, backups, pusher, streamer } = sources;
  const registry = new Registry();
  const gauge = (name: string, help: string, collect: (g: Gauge) => Promise<void> | void, labelNames: string[] = []): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        if (labelNames.length === 0) this.set(Number.NaN);
        await collect(this);
      },
    });
  };

  gauge('steadfast_build_info', 'Always 1; the version is in its label.', (g) => g.set({ version }, 1), ['version']);

  gauge('steadfast_postgres_up', '1 when the platform database answers.', async (g) => {
    g.set(await sql`SELECT 1`.execute(platform.db).then(() => 1, () => 0));
  });

  gauge('steadfast_tenants', 'Tenants by status.', async (g) => {
    const rows = await platform.db.selectFrom('tenants').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute().catch(() => []);
    for (const row of rows) g.set({ status: row.status }, Number(row.n));
  }, ['status']);

  gauge('steadfast_jobs', 'Background jobs by type and status (finished ones are pruned after 30 days).', async (g) => {
    const rows = await platform.db.selectFrom('jobs').select(['type', 'status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['type', 'status']).execute().catch(() => []);
    for (const row of rows) g.set({ type: row.type, status: row.status }, Number(row.n));
  }, ['type', 'status']);

  if (backups) {
    let listing: { at: number; value: Promise<Awaited<ReturnType<BackupService['list']>>> } | undefined;
    const list = (): Promise<Awaited<ReturnType<BackupService['list']>>> => {
      if (!listing || Date.now() - listing.at > listingTtlMs) listing = { at: Date.now(), value: backups.list().catch(() => []) };
      return listing.value;
    };
    gauge('steadfast_backups', 'Complete backups in the repositories, by repository.', async (g) => {
      const all = await list();
      for (const name of backups.repositoryNames()) g.set({ repository: name }, all.filter((entry) => entry.repositories.includes(name)).length);
    }, ['repository']);
    gauge('steadfast_backup_last_success_timestamp_seconds', 'When the latest complete backup finished (Unix time); absent before the first.', async (g) => {
      const latest = (await list()).at(-1);
      if (latest) g.set(Date.parse(latest.record.finishedAt) / 1000);
    });
    gauge('steadfast_backup_ok', `1 when a backup finished within the last ${backupStaleHours} hours.`, async (g) => {
      const latest = (await list()).at(-1);
      g.set(latest && Date.now() - Date.parse(latest.record.finishedAt) <= backupStaleHours * 3_600_000 ? 1 : 0);
    });
  }

  if (pusher) {
    gauge('steadfast_wal_spool_files', 'WAL files waiting in the local spool for a repository.', async (g) => g.set((await pusher.status()).spooled));
    gauge('steadfast_wal_archive_last_timestamp_seconds', 'When the pusher last stored a WAL file in the repository (Unix time), since this process started.', async (g) => {
      for (const repository of (await pusher.status()).repositories) if (repository.lastArchivedAt) g.set({ repository: repository.name }, Date.parse(repository.lastArchivedAt) / 1000);
    }, ['repository']);
    gauge('steadfast_wal_archive_failing', '1 while storing WAL in the repository fails (the spool keeps it).', async (g) => {
      for (const repository of (await pusher.status()).repositories) g.set({ repository: repository.name }, repository.failingSince ? 1 : 0);
    }, ['repository']);
  }

  if (streamer) {
    gauge('steadfast_wal_stream_connected', '1 while the WAL is streamed from Postgres as it is written.', (g) => g.set(streamer.status().connected ? 1 : 0));
    gauge('steadfast_wal_stream_stored_timestamp_seconds', 'When streamed WAL was last stored in a repository (Unix time).', (g) => {
      const at = streamer.status().storedAt;
      if (at) g.set(Date.parse(at) / 1000);
    });
  }

  const drills = async (): Promise<Awaited<ReturnType<typeof drillSummary>> | undefined> => drillSummary(platform.db).catch(() => undefined);
  gauge('steadfast_drill_last_timestamp_seconds', 'When the last restore drill finished (Unix time).', async (g) => {
    const last = (await drills())?.last;
    if (last) g.set(Date.parse(last.finishedAt) / 1000);
  });
  gauge('steadfast_drill_last_passed', '1 when the last restore drill passed, 0 when it failed.', async (g) => {
    const last = (await drills())?.last;
    if (last) g.set(last.passed ? 1 : 0);
  });
  gauge('steadfast_drill_last_success_timestamp_seconds', 'When a restore drill last passed (Unix time).', async (g) => {
    const at = (await drills())?.lastPassedAt;
    if (at) g.set(Date.parse(at) / 1000);
  });
  gauge('steadfast_drill_ok', `1 when the last drill passed and one passed within the last ${drillStaleHours} hours.`, async (g) => {
    const summary = await drills();
    const fresh = summary?.lastPassedAt !== undefined && Date.now() - Date.parse(summary.lastPassedAt) <= drillStaleHours * 3_600_000;
    g.set(summary?.last?.passed && fresh ? 1 : 0);
  });
  const lastFigure = (name: string, help: string, pick: (last: NonNullable<NonNullable<Awaited<ReturnType<typeof drills>>>['last']>) => number | null): void =>
    gauge(name, help, async (g) => {
      const last = (await drills())?.last;
      const value = last ? pick(last) : null;
      if (value !== null) g.set(value);
    });
  lastFigure('steadfast_drill_duration_seconds', 'How long the last restore drill took.', (last) => last.durationSeconds);
  lastFigure('steadfast_drill_restore_bytes', 'Bytes the last drill restored.', (last) => last.restoredBytes);
  lastFigure('steadfast_drill_restore_mb_per_second', 'Restore rate of the last drill.', (last) => last.restoreMbS);
  lastFigure('steadfast_drill_rpo_seconds', 'Measured by the last drill: seconds from its restore point to that WAL being in a repository.', (last) => last.rpoSeconds);
  return registry;
}

/** The operator listener: /metrics only, on its own port, never the tenant-facing one. */
export async function buildOperatorHttp(registry: Registry): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  registerProblemHandler(app);
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return app;
}
