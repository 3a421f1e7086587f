import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { Gauge, Registry } from 'prom-client';
import {
  backupStaleHours,
  drillStaleHours,
  drillSummary,
  type BackupService,
  type WalPusher,
  type WalStreamer,
} from '../modules/backup/index.js';
import { lastFailoverDrills, type FailoverDrillSummary } from '../modules/replication/index.js';
import { registerProblemHandler } from '../platform/http/problem.js';
import type { ReplicationState } from '../platform/postgres/replication-status.js';
import { replicationWarnings, type ReplicationExpectations } from '../modules/replication/index.js';
import type { Platform } from './deps.js';
import { version } from './version.js';

/** Listing repositories costs requests (S3, SFTP): a scrape reuses a listing this recent. */
const listingTtlMs = 60_000;

export interface MetricsSources {
  readonly platform: Platform;
  /** How to read replication as this server sees it, and what to expect of it (embedded Postgres). */
  readonly replication?: ReplicationSource | undefined;
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
  const gauge = gaugesOf(registry);

  gauge('steadfast_build_info', 'Always 1; the version is in its label.', (g) => g.set({ version }, 1), ['version']);

  gauge('steadfast_postgres_up', '1 when the platform database answers.', async (g) => {
    g.set(
      await sql`SELECT 1`.execute(platform.db).then(
        () => 1,
        () => 0,
      ),
    );
  });

  gauge(
    'steadfast_tenants',
    'Tenants by status.',
    async (g) => {
      const rows = await platform.db
        .selectFrom('tenants')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute()
        .catch(() => []);
      for (const row of rows) g.set({ status: row.status }, Number(row.n));
    },
    ['status'],
  );

  gauge(
    'steadfast_jobs',
    'Background jobs by type and status (finished ones are pruned after 30 days).',
    async (g) => {
      const rows = await platform.db
        .selectFrom('jobs')
        .select(['type', 'status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['type', 'status'])
        .execute()
        .catch(() => []);
      for (const row of rows) g.set({ type: row.type, status: row.status }, Number(row.n));
    },
    ['type', 'status'],
  );

  if (backups) {
    let listing: { at: number; value: Promise<Awaited<ReturnType<BackupService['list']>>> } | undefined;
    const list = (): Promise<Awaited<ReturnType<BackupService['list']>>> => {
      if (!listing || Date.now() - listing.at > listingTtlMs)
        listing = { at: Date.now(), value: backups.list().catch(() => []) };
      return listing.value;
    };
    gauge(
      'steadfast_backups',
      'Complete backups in the repositories, by repository.',
      async (g) => {
        const all = await list();
        for (const name of backups.repositoryNames())
          g.set({ repository: name }, all.filter((entry) => entry.repositories.includes(name)).length);
      },
      ['repository'],
    );
    gauge(
      'steadfast_backup_last_success_timestamp_seconds',
      'When the latest complete backup finished (Unix time); absent before the first.',
      async (g) => {
        const latest = (await list()).at(-1);
        if (latest) g.set(Date.parse(latest.record.finishedAt) / 1000);
      },
    );
    gauge('steadfast_backup_ok', `1 when a backup finished within the last ${backupStaleHours} hours.`, async (g) => {
      const latest = (await list()).at(-1);
      g.set(latest && Date.now() - Date.parse(latest.record.finishedAt) <= backupStaleHours * 3_600_000 ? 1 : 0);
    });
  }

  if (pusher) {
    gauge('steadfast_wal_spool_files', 'WAL files waiting in the local spool for a repository.', async (g) =>
      g.set((await pusher.status()).spooled),
    );
    gauge(
      'steadfast_wal_archive_last_timestamp_seconds',
      'When the pusher last stored a WAL file in the repository (Unix time), since this process started.',
      async (g) => {
        for (const repository of (await pusher.status()).repositories)
          if (repository.lastArchivedAt)
            g.set({ repository: repository.name }, Date.parse(repository.lastArchivedAt) / 1000);
      },
      ['repository'],
    );
    gauge(
      'steadfast_wal_archive_failing',
      '1 while storing WAL in the repository fails (the spool keeps it).',
      async (g) => {
        for (const repository of (await pusher.status()).repositories)
          g.set({ repository: repository.name }, repository.failingSince ? 1 : 0);
      },
      ['repository'],
    );
  }

  if (streamer) {
    gauge('steadfast_wal_stream_connected', '1 while the WAL is streamed from Postgres as it is written.', (g) =>
      g.set(streamer.status().connected ? 1 : 0),
    );
    gauge(
      'steadfast_wal_stream_stored_timestamp_seconds',
      'When streamed WAL was last stored in a repository (Unix time).',
      (g) => {
        const at = streamer.status().storedAt;
        if (at) g.set(Date.parse(at) / 1000);
      },
    );
  }

  const drills = async (): Promise<Awaited<ReturnType<typeof drillSummary>> | undefined> =>
    drillSummary(platform.db).catch(() => undefined);
  gauge('steadfast_drill_last_timestamp_seconds', 'When the last restore drill finished (Unix time).', async (g) => {
    const last = (await drills())?.last;
    if (last) g.set(Date.parse(last.finishedAt) / 1000);
  });
  gauge('steadfast_drill_last_passed', '1 when the last restore drill passed, 0 when it failed.', async (g) => {
    const last = (await drills())?.last;
    if (last) g.set(last.passed ? 1 : 0);
  });
  gauge(
    'steadfast_drill_last_success_timestamp_seconds',
    'When a restore drill last passed (Unix time).',
    async (g) => {
      const at = (await drills())?.lastPassedAt;
      if (at) g.set(Date.parse(at) / 1000);
    },
  );
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
  );
  if (sources.replication) registerReplicationMetrics(registry, sources.replication);
  const lastFigure = (
    name: string,
    help: string,
    pick: (last: NonNullable<NonNullable<Awaited<ReturnType<typeof drills>>>['last']>) => number | null,
  ): void =>
    gauge(name, help, async (g) => {
      const last = (await drills())?.last;
      const value = last ? pick(last) : null;
      if (value !== null) g.set(value);
    });
  lastFigure(
    'steadfast_drill_duration_seconds',
    'How long the last restore drill took.',
    (last) => last.durationSeconds,
  );
  lastFigure('steadfast_drill_restore_bytes', 'Bytes the last drill restored.', (last) => last.restoredBytes);
  lastFigure('steadfast_drill_restore_mb_per_second', 'Restore rate of the last drill.', (last) => last.restoreMbS);
  lastFigure(
    'steadfast_drill_rpo_seconds',
    'Measured by the last drill: seconds from its restore point to that WAL being in a repository.',
    (last) => last.rpoSeconds,
  );

  // The failover drills (`steadfast drill failover`): the last of each replication mode.
  const failoverDrill = (name: string, help: string, pick: (drill: FailoverDrillSummary) => number | null): void =>
    gauge(
      name,
      help,
      async (g) => {
        for (const drill of await lastFailoverDrills(platform.db).catch(() => [])) {
          const figure = pick(drill);
          if (figure !== null) g.set({ mode: drill.mode }, figure);
        }
      },
      ['mode'],
    );
  failoverDrill(
    'steadfast_failover_drill_last_timestamp_seconds',
    'When the last failover drill of the mode finished (Unix time).',
    (drill) => Date.parse(drill.finishedAt) / 1000,
  );
  failoverDrill(
    'steadfast_failover_drill_last_passed',
    '1 when the last failover drill of the mode passed, 0 when it failed.',
    (drill) => (drill.passed ? 1 : 0),
  );
  failoverDrill(
    'steadfast_failover_drill_lost_writes',
    'Acknowledged writes the last failover drill of the mode lost, over all its trials.',
    (drill) => drill.lost,
  );
  failoverDrill(
    'steadfast_failover_drill_rpo_p99_seconds',
    'The last failover drill: the window of acknowledged writes lost, 99th percentile of its trials.',
    (drill) => (drill.rpoP99Ms === null ? null : drill.rpoP99Ms / 1000),
  );
  failoverDrill(
    'steadfast_failover_drill_rto_p99_seconds',
    'The last failover drill: from the kill to the first write acknowledged through the HTTP API, 99th percentile of its trials.',
    (drill) => drill.rtoP99Seconds,
  );
  return registry;
}

/**
 * Gauges read when scraped: each is reset, set to NaN when it has no labels (a value not known
 * yet), then collected.
 */
function gaugesOf(
  registry: Registry,
): (name: string, help: string, collect: (g: Gauge) => Promise<void> | void, labelNames?: string[]) => void {
  return (name, help, collect, labelNames = []) => {
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
}

export interface ReplicationSource {
  read(): Promise<ReplicationState>;
  readonly expected: ReplicationExpectations;
  /** How long one reading serves the gauges (default 1 s: one reading per scrape). */
  readonly cacheMs?: number;
}

/**
 * Replication, read once per scrape: on a primary each standby's lag and state and each slot's
 * WAL; on a standby whether it receives and what it has not replayed; everywhere
 * `steadfast_replication_ok`, 0 when `steadfast status` would warn about replication.
 */
export function registerReplicationMetrics(registry: Registry, source: ReplicationSource): void {
  let reading: { at: number; value: Promise<ReplicationState | undefined> } | undefined;
  const state = (): Promise<ReplicationState | undefined> => {
    if (!reading || Date.now() - reading.at > (source.cacheMs ?? 1000))
      reading = { at: Date.now(), value: source.read().catch(() => undefined) };
    return reading.value;
  };
  const add = gaugesOf(registry);
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    collect: (g: Gauge, seen: ReplicationState) => void,
  ): void =>
    add(
      name,
      help,
      async (g) => {
        const seen = await state();
        if (seen) collect(g, seen);
      },
      labelNames,
    );
  gauge(
    'steadfast_replication_ok',
    '1 when replication needs no attention (as in steadfast status), 0 when it does.',
    [],
    (g, seen) => g.set(replicationWarnings(seen, source.expected).length === 0 ? 1 : 0),
  );
  gauge('steadfast_replication_is_standby', '1 on a standby (in recovery), 0 on a primary.', [], (g, seen) =>
    g.set(seen.role === 'standby' ? 1 : 0),
  );
  gauge(
    'steadfast_replication_standby_streaming',
    'On a primary: 1 for each standby streaming from it.',
    ['standby', 'sync_state'],
    (g, seen) => {
      if (seen.role === 'primary')
        for (const standby of seen.standbys)
          g.set({ standby: standby.name, sync_state: standby.syncState }, standby.state === 'streaming' ? 1 : 0);
    },
  );
  gauge(
    'steadfast_replication_standby_lag_bytes',
    'On a primary: WAL written here that each standby has not replayed.',
    ['standby'],
    (g, seen) => {
      if (seen.role === 'primary')
        for (const standby of seen.standbys)
          if (standby.lagBytes !== null) g.set({ standby: standby.name }, standby.lagBytes);
    },
  );
  gauge(
    'steadfast_replication_standby_replay_lag_seconds',
    'On a primary: how long the last commits took to be replayed on each standby (absent once caught up and idle).',
    ['standby'],
    (g, seen) => {
      if (seen.role === 'primary')
        for (const standby of seen.standbys)
          if (standby.replayLagMs !== null) g.set({ standby: standby.name }, standby.replayLagMs / 1000);
    },
  );
  gauge(
    'steadfast_replication_slot_retained_bytes',
    'On a primary: WAL kept for each standby slot.',
    ['slot'],
    (g, seen) => {
      if (seen.role === 'primary')
        for (const slot of seen.slots) if (slot.retainedBytes !== null) g.set({ slot: slot.name }, slot.retainedBytes);
    },
  );
  gauge('steadfast_replication_slot_active', 'On a primary: 1 while a standby uses the slot.', ['slot'], (g, seen) => {
    if (seen.role === 'primary') for (const slot of seen.slots) g.set({ slot: slot.name }, slot.active ? 1 : 0);
  });
  gauge(
    'steadfast_replication_slot_lost',
    'On a primary: 1 when the slot lost WAL its standby needs (it must re-join).',
    ['slot'],
    (g, seen) => {
      if (seen.role === 'primary')
        for (const slot of seen.slots) g.set({ slot: slot.name }, slot.walStatus === 'lost' ? 1 : 0);
    },
  );
  gauge('steadfast_replication_receiving', 'On a standby: 1 while it streams WAL from its primary.', [], (g, seen) => {
    if (seen.role === 'standby') g.set(seen.receiver?.status === 'streaming' ? 1 : 0);
  });
  gauge(
    'steadfast_replication_replay_backlog_bytes',
    'On a standby: WAL received and not yet replayed.',
    [],
    (g, seen) => {
      if (seen.role === 'standby' && seen.replayBacklogBytes !== null) g.set(seen.replayBacklogBytes);
    },
  );
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
