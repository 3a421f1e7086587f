import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  createCa,
  createNodeCertificate,
  readStandbyState,
  replicationRole,
  replicationTarget,
  tlsPaths,
  joinStandby,
  type RunningStandby,
  replicationWarnings,
  replicationGauges,
} from '../src/modules/replication/index.js';
import { registerGauges } from '../src/platform/metrics.js';
import { collectStatus } from '../src/app/status.js';
import { Registry } from 'prom-client';
import { bootstrapPlatform, startEmbedded } from '../src/app/database.js';
import { type DatabaseHandle } from '../src/platform/db/handle.js';
import { startStandby } from '../src/app/replication-node.js';
import { loadConfig, type Config } from '../src/platform/config/config.js';
import { createCertificateAuthority, issueNodeCertificate } from '../src/platform/crypto/certs.js';
import { withClient, type ConnectionTarget } from '../src/platform/db/connect.js';
import { AppError } from '../src/platform/errors.js';
import { silentLogger } from '../src/platform/log/log.js';
import { identifySystem } from '../src/platform/postgres/replication.js';
import { readReplicationState, type ReplicationState } from '../src/platform/postgres/replication-status.js';

const log = silentLogger();
const secretKey = randomBytes(32).toString('base64url');
let root: string;
let primaryConfig: Config;
let standbyConfig: Config;
let primary: DatabaseHandle;
let standby: RunningStandby | undefined;

function configFor(home: string, overrides: Record<string, unknown>): Config {
  return loadConfig({
    env: {},
    cwd: root,
    overrides: {
      home,
      secretKey,
      postgresPort: 0,
      walArchiving: false,
      walStreaming: false,
      demoTenant: '',
      replicationPeers: ['127.0.0.1'],
      ...overrides,
    },
  });
}

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'steadfast-replication-'));
  await chmod(root, 0o755);
  const primaryHome = path.join(root, 'dc1');
  const standbyHome = path.join(root, 'dc2');
  for (const home of [primaryHome, standbyHome]) await mkdir(home, { mode: 0o755 });
  primaryConfig = configFor(primaryHome, { nodeName: 'node_a' });
  standbyConfig = configFor(standbyHome, { nodeName: 'node_b' });
  // The CA lives with the primary; the standby's files are made there and copied over.
  await createCa(primaryHome);
  await createNodeCertificate(primaryHome, ['127.0.0.1', 'localhost']);
  const handOver = path.join(root, 'for-node-b');
  await createNodeCertificate(primaryHome, ['127.0.0.1'], handOver);
  await mkdir(tlsPaths(standbyHome).dir, { mode: 0o700 });
  for (const file of ['ca.crt', 'node.crt', 'node.key'])
    await copyFile(path.join(handOver, file), path.join(tlsPaths(standbyHome).dir, file));

  primary = await startEmbedded(primaryConfig, log);
  await bootstrapPlatform(primary, log);
  await withClient(primary.admin, (client) =>
    client.query(
      "CREATE TABLE ledger (id int PRIMARY KEY, note text); INSERT INTO ledger SELECT g, 'before the join' FROM generate_series(1, 1000) g",
    ),
  );
});

after(async () => {
  await standby?.stop();
  await primary?.stop();
  await rm(root, { recursive: true, force: true });
});

const primaryAddress = (): { host: string; port: number } => ({ host: '127.0.0.1', port: primary.supervisor!.port });

async function standbyRows(): Promise<number> {
  return withClient(
    { ...standby!.database.admin },
    async (client) => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger')).rows[0]!.n,
  );
}

/** The replication gauges of /metrics, read through `read`. */
function metricsOf(read: () => Promise<ReplicationState>): Registry {
  const registry = new Registry();
  registerGauges(registry, replicationGauges({ read, expected: { mode: 'async' }, cacheMs: 0 }));
  return registry;
}

describe('a standby in another data centre', () => {
  test('joins over TLS with its certificate, follows the primary through its slot, and serves reads only', async () => {
    const progress: number[] = [];
    const joined = await joinStandby(standbyConfig, log, primaryAddress(), {
      onProgress: (p) => progress.push(p.doneBytes),
    });
    assert.equal(joined.slot, 'steadfast_node_b');
    assert.ok(joined.files > 900 && joined.bytes > 10_000_000, `copied ${joined.files} files, ${joined.bytes} bytes`);
    assert.ok(progress.length > 0 && progress.at(-1)! === joined.bytes, 'progress reaches what was copied');
    assert.deepEqual((await readStandbyState(standbyConfig.home))?.primary, primaryAddress());
    assert.ok((await readdir(joined.dataDir)).includes('standby.signal'));
    assert.equal(
      (await readdir(path.dirname(joined.dataDir))).includes('tls'),
      false,
      'the TLS files are installed at start, not copied from the primary',
    );

    standby = await startStandby(standbyConfig, log, (await readStandbyState(standbyConfig.home))!);
    await withClient(primary.admin, (client) =>
      client.query("INSERT INTO ledger SELECT g, 'after the join' FROM generate_series(1001, 1500) g"),
    );
    const deadline = Date.now() + 15_000;
    while ((await standbyRows()) !== 1500 && Date.now() < deadline) await sleep(50);
    assert.equal(await standbyRows(), 1500, 'the rows written after the join reached the standby');

    const sender = await withClient(
      primary.admin,
      async (client) =>
        (
          await client.query<{
            application_name: string;
            state: string;
            ssl: boolean;
            version: string;
            client_dn: string;
            slot_active: boolean;
          }>(
            `SELECT r.application_name, r.state, s.ssl, s.version, s.client_dn, sl.active AS slot_active
             FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) JOIN pg_replication_slots sl ON sl.active_pid = r.pid`,
          )
        ).rows,
    );
    assert.deepEqual(sender, [
      {
        application_name: 'node_b',
        state: 'streaming',
        ssl: true,
        version: 'TLSv1.3',
        client_dn: `/CN=${replicationRole}`,
        slot_active: true,
      },
    ]);
    await assert.rejects(
      withClient(standby.database.admin, (client) =>
        client.query("INSERT INTO ledger VALUES (9999, 'on the standby')"),
      ),
      /read-only transaction/,
    );
  });

  test('a certificate of another CA is refused, and so is the replication role without one', async () => {
    const foreign = await createCertificateAuthority('someone else');
    const intruder = await issueNodeCertificate(foreign, { commonName: replicationRole, addresses: ['127.0.0.1'] });
    const ours = await replicationTarget(
      {
        ca: tlsPaths(primaryConfig.home).ca,
        cert: tlsPaths(primaryConfig.home).cert,
        key: tlsPaths(primaryConfig.home).key,
      },
      primaryAddress(),
    );
    const withIntruderCert: ConnectionTarget = {
      ...ours,
      ssl: { ...(ours.ssl as object), cert: intruder.certificate, key: intruder.privateKey },
    };
    await assert.rejects(
      identifySystem(withIntruderCert),
      /alert unknown ca/,
      'the primary refuses a client certificate of another CA in the handshake',
    );
    const noTls: ConnectionTarget = { ...ours, ssl: false };
    await assert.rejects(identifySystem(noTls), /no pg_hba\.conf entry/);
    const client = new pg.Client({
      host: '127.0.0.1',
      port: primary.supervisor!.port,
      user: replicationRole,
      password: 'guess',
      database: 'postgres',
    });
    client.on('error', () => undefined);
    await assert.rejects(client.connect(), /password authentication failed/);
  });

  test('joining refuses a machine that already has a cluster, and a primary that does not answer, saying why', async () => {
    await assert.rejects(
      joinStandby(standbyConfig, log, primaryAddress()),
      (error: unknown) => error instanceof AppError && /already has a PostgreSQL data directory/.test(error.message),
    );
    const elsewhere = configFor(path.join(root, 'dc3'), { nodeName: 'node_c' });
    await assert.rejects(
      joinStandby(elsewhere, log, primaryAddress()),
      (error: unknown) =>
        error instanceof AppError && error.code === 'TLS_INCOMPLETE' && /create-node/.test(error.message),
    );
    await mkdir(tlsPaths(elsewhere.home).dir, { recursive: true });
    for (const file of ['ca.crt', 'node.crt', 'node.key'])
      await copyFile(path.join(tlsPaths(standbyConfig.home).dir, file), path.join(tlsPaths(elsewhere.home).dir, file));
    await assert.rejects(
      joinStandby(elsewhere, log, { host: '127.0.0.1', port: 1 }),
      (error: unknown) => error instanceof AppError && /nothing answers at 127\.0\.0\.1:1/.test(error.message),
    );
    // Stopped half-way through the copy (Ctrl-C): the partial copy, its record and its slot are gone.
    const stop = new AbortController();
    await assert.rejects(
      joinStandby(elsewhere, log, primaryAddress(), {
        onProgress: (p) => p.doneBytes > 1_000_000 && stop.abort(),
        signal: stop.signal,
      }),
      (error: unknown) => error instanceof AppError && /stopped; nothing was kept/.test(error.message),
    );
    const dataParent = path.join(elsewhere.home, 'postgres');
    assert.deepEqual(await readdir(dataParent), [], 'no partial copy is left');
    assert.equal(await readStandbyState(elsewhere.home), undefined);
    const slots = await withClient(
      primary.admin,
      async (client) =>
        (
          await client.query<{ slot_name: string }>(
            'SELECT slot_name FROM pg_replication_slots WHERE NOT temporary ORDER BY 1',
          )
        ).rows,
    );
    assert.deepEqual(
      slots.map((row) => row.slot_name),
      ['steadfast_node_b'],
      'a failed join leaves no slot behind',
    );
    // A second node under a name the primary knows is refused rather than taking its slot; with
    // --replace too while that standby streams.
    const sameName = configFor(elsewhere.home, { nodeName: 'node_b' });
    await assert.rejects(
      joinStandby(sameName, log, primaryAddress()),
      (error: unknown) =>
        error instanceof AppError && /already holds the slot steadfast_node_b .* --replace/.test(error.message),
    );
    await assert.rejects(
      joinStandby(sameName, log, primaryAddress(), { replace: true }),
      (error: unknown) =>
        error instanceof AppError && /A standby named node_b is connected to the primary now/.test(error.message),
    );
  });

  test('lag, slot and receiver are visible on both sides; a standby that stops is reported, and catches up when it returns', async () => {
    const onPrimary = await withClient(primary.admin, readReplicationState);
    assert.equal(onPrimary.role, 'primary');
    if (onPrimary.role !== 'primary') return;
    assert.deepEqual(
      onPrimary.standbys.map((seen) => [seen.name, seen.state, seen.syncState]),
      [['node_b', 'streaming', 'async']],
    );
    assert.deepEqual(
      onPrimary.slots.map((slot) => [slot.name, slot.active, slot.walStatus]),
      [['steadfast_node_b', true, 'reserved']],
    );
    assert.ok(onPrimary.slots[0]!.safeWalBytes! > 0, 'the slot is capped by max_slot_wal_keep_size');
    assert.deepEqual(replicationWarnings(onPrimary, { mode: 'async' }), []);
    const onStandby = await withClient(standby!.database.admin, readReplicationState);
    assert.equal(onStandby.role, 'standby');
    if (onStandby.role !== 'standby') return;
    assert.equal(onStandby.receiver?.status, 'streaming');
    assert.equal(onStandby.receiver?.slot, 'steadfast_node_b');
    assert.deepEqual(replicationWarnings(onStandby, { mode: 'async', standbyOf: primaryAddress() }), []);
    assert.match(
      replicationWarnings(onPrimary, { mode: 'sync' }).join('\n'),
      /no synchronous standby is streaming/,
      'an async standby does not satisfy sync mode',
    );
    // `steadfast status` on the standby finds its PostgreSQL (in recovery, postmaster.pid says "standby") and reports it.
    const status = await collectStatus(standbyConfig, log);
    assert.equal(status.postgres.running, true);
    assert.equal(status.replication?.role, 'standby');
    assert.deepEqual(
      status.warnings.filter((warning) => /standby|replicat|WAL from/i.test(warning)),
      [],
    );

    await standby!.stop();
    await withClient(primary.admin, (client) =>
      client.query("INSERT INTO ledger SELECT g, 'while the standby was down' FROM generate_series(1501, 2000) g"),
    );
    const stopped = await withClient(primary.admin, readReplicationState);
    assert.match(
      replicationWarnings(stopped, { mode: 'async' }).join('\n'),
      /slot steadfast_node_b is not connected; .* of WAL is kept for it, .* more before it must re-join/,
    );
    const primaryMetrics = metricsOf(() => withClient(primary.admin, readReplicationState));
    const whileDown = await primaryMetrics.metrics();
    assert.match(whileDown, /^steadfast_replication_ok 0$/m);
    assert.match(whileDown, /^steadfast_replication_slot_active\{slot="steadfast_node_b"\} 0$/m);
    assert.match(whileDown, /^steadfast_replication_slot_retained_bytes\{slot="steadfast_node_b"\} [1-9]\d*$/m);

    standby = await startStandby(standbyConfig, log, (await readStandbyState(standbyConfig.home))!);
    const deadline = Date.now() + 15_000;
    while ((await standbyRows()) !== 2000 && Date.now() < deadline) await sleep(50);
    assert.equal(await standbyRows(), 2000, 'what was written while it was down reached it through its slot');
    const back = await primaryMetrics.metrics();
    assert.match(back, /^steadfast_replication_ok 1$/m);
    assert.match(back, /^steadfast_replication_standby_streaming\{standby="node_b",sync_state="async"\} 1$/m);
    assert.match(back, /^steadfast_replication_slot_active\{slot="steadfast_node_b"\} 1$/m);
    assert.match(back, /^steadfast_replication_standby_lag_bytes\{standby="node_b"\} \d+$/m);
    const standbyMetrics = await metricsOf(() => withClient(standby!.database.admin, readReplicationState)).metrics();
    assert.match(standbyMetrics, /^steadfast_replication_is_standby 1$/m);
    assert.match(standbyMetrics, /^steadfast_replication_receiving 1$/m);
  });
});
