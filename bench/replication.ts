/**
 * npm run bench -- replication [seconds]
 *
 * A primary and a standby as Steadfast runs them (embedded PostgreSQL each, TLS 1.3 with node
 * certificates, a physical slot, durable settings), on loopback with no injected latency:
 *  - replication lag at 500 and 2,000 writes/s (single-row commits from 8 connections, sent on a
 *    fixed schedule): from a commit's return on the primary until the standby has replayed it
 *    (its LSN read back on the standby every millisecond). PostgreSQL's own account of the same
 *    thing, pg_stat_replication.replay_lag sampled every 100 ms, is the baseline;
 *  - commit latency at 500 writes/s, asynchronous vs synchronous (synchronous_commit = on with the
 *    standby named: it has flushed the commit) and sync-write (remote_write: it has written it), in
 *    the same run, one after the other.
 */
import { copyFile, mkdir, mkdtemp, rm, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { bootstrapPlatform, embeddedSettings, startEmbedded } from '../src/app/database.js';
import { type DatabaseHandle } from '../src/platform/db/handle.js';
import { startStandby } from '../src/app/replication-node.js';
import {
  createCa,
  createNodeCertificate,
  joinStandby,
  nodeTls,
  tlsPaths,
  type RunningStandby,
} from '../src/modules/replication/index.js';
import { loadConfig, type Config } from '../src/platform/config/config.js';
import { randomBytes } from 'node:crypto';
import { createLogger } from '../src/platform/log/log.js';
import { parseLsn } from '../src/platform/postgres/lsn.js';
import { percentile, printResult, round } from './lib.js';

const seconds = Number(process.argv[2] ?? 20);
const connections = 8;
const log = createLogger('warn', { component: 'bench' });
const root = await mkdtemp(path.join(tmpdir(), 'steadfast-bench-replication-'));
await chmod(root, 0o755);
const secretKey = randomBytes(32).toString('base64url');
const configFor = (name: string): Config =>
  loadConfig({
    env: {},
    cwd: root,
    overrides: {
      home: path.join(root, name),
      secretKey,
      nodeName: name,
      postgresPort: 0,
      walArchiving: false,
      walStreaming: false,
      demoTenant: '',
      replicationPeers: ['127.0.0.1'],
      logLevel: 'warn',
    },
  });

let primary: DatabaseHandle | undefined;
let standby: RunningStandby | undefined;
try {
  const primaryConfig = configFor('node_a');
  const standbyConfig = configFor('node_b');
  for (const config of [primaryConfig, standbyConfig]) await mkdir(config.home, { mode: 0o755 });
  await createCa(primaryConfig.home);
  await createNodeCertificate(primaryConfig.home, ['127.0.0.1']);
  const handOver = path.join(root, 'for-b');
  await createNodeCertificate(primaryConfig.home, ['127.0.0.1'], handOver);
  await mkdir(tlsPaths(standbyConfig.home).dir, { mode: 0o700 });
  for (const file of ['ca.crt', 'node.crt', 'node.key'])
    await copyFile(path.join(handOver, file), path.join(tlsPaths(standbyConfig.home).dir, file));

  primary = await startEmbedded(primaryConfig, log);
  await bootstrapPlatform(primary, log);
  await query(
    primary,
    'CREATE TABLE ledger (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), note text NOT NULL)',
  );
  await joinStandby(standbyConfig, log, { host: '127.0.0.1', port: primary.supervisor!.port });
  standby = await startStandby(standbyConfig, log, {
    primary: { host: '127.0.0.1', port: primary.supervisor!.port },
    slot: 'steadfast_node_b',
    joinedAt: '',
  });
  const streaming = await waitFor(
    async () => (await query(primary!, "SELECT state FROM pg_stat_replication WHERE state = 'streaming'")).length > 0,
    30_000,
  );
  if (!streaming) throw new Error('the standby did not start streaming');

  const setMode = async (mode: 'async' | 'sync-write' | 'sync'): Promise<void> => {
    const config = { ...primaryConfig, replicationMode: mode };
    await primary!.supervisor!.reconfigure(
      embeddedSettings(config, primary!.dataDir!, undefined, await nodeTls(config.home), {
        forStandby: mode !== 'async',
      }),
    );
    const expected = { async: 'off', 'sync-write': 'remote_write', sync: 'on' }[mode];
    await waitFor(
      async () =>
        (
          await query(
            primary!,
            "SELECT CASE WHEN current_setting('synchronous_standby_names') = '' THEN 'off' ELSE current_setting('synchronous_commit') END AS mode",
          )
        )[0]!.mode === expected,
      10_000,
    );
  };

  await setMode('async');
  await load(primary, 200, 5); // warm-up
  const at500 = await load(primary, 500, seconds, standby.database);
  const at2000 = await load(primary, 2000, seconds, standby.database);
  const asyncCommits = await load(primary, 500, seconds);
  await setMode('sync');
  const syncCommits = await load(primary, 500, seconds);
  await setMode('sync-write');
  const syncWriteCommits = await load(primary, 500, seconds);
  await setMode('async');

  for (const [label, run] of [
    ['500 writes/s', at500],
    ['2000 writes/s', at2000],
  ] as const) {
    console.log(
      `${label} (${run.done} commits, ${run.achievedRate.toFixed(0)}/s achieved): replay lag p50 ${round(percentile(run.lags, 50), 2)} ms, p99 ${round(percentile(run.lags, 99), 2)} ms; PostgreSQL's replay_lag p50 ${round(percentile(run.pgLags, 50), 2)} ms, p99 ${round(percentile(run.pgLags, 99), 2)} ms (${run.pgLags.length} samples)`,
    );
  }
  const commitLine = (label: string, run: LoadRun): string =>
    `${label} p50 ${round(percentile(run.commits, 50), 3)} ms, p99 ${round(percentile(run.commits, 99), 3)} ms`;
  console.log(
    `commit latency at 500 writes/s: ${commitLine('asynchronous', asyncCommits)}; ${commitLine('sync (standby flushed)', syncCommits)}; ${commitLine('sync-write (standby written)', syncWriteCommits)}`,
  );
  printResult('replication', {
    lag_p50_ms_500: round(percentile(at500.lags, 50), 2),
    lag_p99_ms_500: round(percentile(at500.lags, 99), 2),
    pg_replay_lag_p99_ms_500: round(percentile(at500.pgLags, 99), 2),
    lag_p50_ms_2000: round(percentile(at2000.lags, 50), 2),
    lag_p99_ms_2000: round(percentile(at2000.lags, 99), 2),
    pg_replay_lag_p99_ms_2000: round(percentile(at2000.pgLags, 99), 2),
    async_commit_ms: round(percentile(asyncCommits.commits, 50), 3),
    sync_commit_ms: round(percentile(syncCommits.commits, 50), 3),
    sync_added_ms: round(percentile(syncCommits.commits, 50) - percentile(asyncCommits.commits, 50), 3),
    sync_write_commit_ms: round(percentile(syncWriteCommits.commits, 50), 3),
    sync_write_added_ms: round(percentile(syncWriteCommits.commits, 50) - percentile(asyncCommits.commits, 50), 3),
    async_commit_p99_ms: round(percentile(asyncCommits.commits, 99), 3),
    sync_commit_p99_ms: round(percentile(syncCommits.commits, 99), 3),
  });
} finally {
  await standby?.stop();
  await primary?.stop();
  await rm(root, { recursive: true, force: true });
}

interface LoadRun {
  readonly done: number;
  readonly achievedRate: number;
  /** Per commit: from its return on the primary until the standby had replayed it, ms. */
  readonly lags: number[];
  /** pg_stat_replication.replay_lag, sampled, ms. */
  readonly pgLags: number[];
  /** Per commit: its round trip, ms. */
  readonly commits: number[];
}

/**
 * `rate` single-row commits a second for `duration` seconds from `connections` connections, each
 * sent at its scheduled moment (or at once when late). With `watch`, the standby's replay position
 * is read every millisecond to time when each commit became visible there.
 */
async function load(
  database: DatabaseHandle,
  rate: number,
  duration: number,
  watch?: DatabaseHandle,
): Promise<LoadRun> {
  const clients = await Promise.all(Array.from({ length: connections }, () => connect(database)));
  const total = Math.round(rate * duration);
  const committed: Array<{ lsn: bigint; at: number }> = [];
  const commits: number[] = [];
  const lags: number[] = [];
  const pgLags: number[] = [];
  let next = 0;
  let running = true;
  const started = performance.now();
  const watcher = watch ? watchReplay(watch, committed, lags, () => running) : Promise.resolve();
  const sampler = watch ? samplePgLag(database, pgLags, () => running) : Promise.resolve();
  await Promise.all(
    clients.map(async (client) => {
      for (;;) {
        const index = next++;
        if (index >= total) return;
        const due = started + (index * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const sent = performance.now();
        // Its LSN comes back with it: the end of the row's record, which the commit record (flushed
        // with it) follows; the standby has the commit when it has replayed past that point.
        const { rows } = await client.query<{ lsn: string }>(
          "INSERT INTO ledger (note) VALUES ('bench') RETURNING pg_current_wal_insert_lsn()::text AS lsn",
        );
        const at = performance.now();
        commits.push(at - sent);
        if (watch) committed.push({ lsn: parseLsn(rows[0]!.lsn), at });
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  // Let the last commits arrive before the watcher stops.
  if (watch) await waitFor(async () => lags.length >= committed.length, 10_000);
  running = false;
  await Promise.all([watcher, sampler]);
  await Promise.all(clients.map((client) => client.end()));
  return { done: total, achievedRate: total / elapsed, lags, pgLags, commits };
}

/** Reads the standby's replay LSN in a tight loop and times each commit's arrival. */
async function watchReplay(
  standbyDatabase: DatabaseHandle,
  committed: Array<{ lsn: bigint; at: number }>,
  lags: number[],
  going: () => boolean,
): Promise<void> {
  const client = await connect(standbyDatabase);
  let seen = 0;
  try {
    while (going()) {
      const { rows } = await client.query<{ lsn: string }>('SELECT pg_last_wal_replay_lsn()::text AS lsn');
      const replayed = parseLsn(rows[0]!.lsn);
      const now = performance.now();
      // Commits finish out of order across connections: every one up to the replayed position counts.
      for (let i = seen; i < committed.length; i++) {
        const entry = committed[i]!;
        if (entry.lsn < replayed && entry.at >= 0) {
          lags.push(Math.max(0, now - entry.at));
          entry.at = -1;
        }
      }
      while (seen < committed.length && committed[seen]!.at < 0) seen++;
      await sleep(1);
    }
  } finally {
    await client.end();
  }
}

async function samplePgLag(primaryDatabase: DatabaseHandle, samples: number[], going: () => boolean): Promise<void> {
  const client = await connect(primaryDatabase);
  try {
    while (going()) {
      const { rows } = await client.query<{ ms: number | null }>(
        'SELECT (extract(epoch FROM replay_lag) * 1000)::float8 AS ms FROM pg_stat_replication',
      );
      if (rows[0]?.ms !== null && rows[0]?.ms !== undefined) samples.push(rows[0].ms);
      await sleep(100);
    }
  } finally {
    await client.end();
  }
}

async function connect(database: DatabaseHandle): Promise<pg.Client> {
  const client = new pg.Client({ ...database.admin, database: 'postgres' });
  await client.connect();
  return client;
}

async function query(database: DatabaseHandle, text: string): Promise<Array<Record<string, unknown>>> {
  const client = await connect(database);
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(20);
  }
  return false;
}
