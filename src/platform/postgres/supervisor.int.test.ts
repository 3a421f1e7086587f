import assert from 'node:assert/strict';
import { once } from 'node:events';
import { appendFile, chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startScratchCluster } from '../../../test/helpers/scratch-cluster.js';
import { withClient } from '../db/connect.js';
import { AppError } from '../errors.js';
import { silentLogger } from '../log/log.js';
import { resolveBinaries, type PostgresBinaries } from './binaries.js';
import { isProcessAlive } from './data-dir.js';
import { ensurePostgresOsUser, type RunAs } from './os-user.js';
import { findFreePort, PostgresSupervisor } from './supervisor.js';

let home: string;
let binaries: PostgresBinaries;
let runAs: RunAs | undefined;

before(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'steadfast-supervisor-'));
  await chmod(home, 0o755);
  runAs = await ensurePostgresOsUser('steadfast-pg');
  binaries = await resolveBinaries(runAs);
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

function supervisor(name: string, port = 0): PostgresSupervisor {
  return new PostgresSupervisor({
    dataDir: path.join(home, name, 'data'),
    binaries,
    superuser: 'steadfast',
    superuserPassword: 'pw-for-tests',
    port,
    maxConnections: 20,
    runAs,
    log: silentLogger(),
  });
}

async function query(port: number, text: string): Promise<unknown> {
  return withClient(
    { host: '127.0.0.1', port, user: 'steadfast', password: 'pw-for-tests', database: 'postgres' },
    async (client) => (await client.query(text)).rows[0],
  );
}

describe('the embedded Postgres supervisor', () => {
  test('initialises once, restarts Postgres after kill -9, and stops it leaving no process', async () => {
    const pg = supervisor('main');
    assert.deepEqual(await pg.initialise(), { created: true });
    await pg.start();
    try {
      assert.deepEqual(await query(pg.port, 'SELECT 1 AS one'), { one: 1 });
      const firstPid = pg.pid!;
      const restarted = once(pg, 'restarted');
      const crashed = once(pg, 'crash');
      process.kill(firstPid, 'SIGKILL');
      assert.deepEqual((await crashed)[0], { code: null, signal: 'SIGKILL' });
      await restarted;
      assert.notEqual(pg.pid, firstPid);
      assert.deepEqual(await query(pg.port, 'SELECT 2 AS two'), { two: 2 });
    } finally {
      await pg.stop();
    }
    const again = supervisor('main');
    assert.deepEqual(await again.initialise(), { created: false }, 'a second start reuses the data');
    await again.start();
    const pid = again.pid!;
    await again.stop();
    assert.equal(isProcessAlive(pid), false);
  });

  test('refuses to start a second server on a data directory already in use', async () => {
    const first = supervisor('shared');
    await first.initialise();
    await first.start();
    try {
      const second = supervisor('shared');
      await assert.rejects(second.start(), (error: unknown) => {
        assert.ok(error instanceof AppError);
        assert.equal(error.code, 'POSTGRES_ALREADY_RUNNING');
        assert.match(error.message, /another Steadfast is using this data directory/);
        return true;
      });
    } finally {
      await first.stop();
    }
  });

  test('starts over a postmaster.pid left by a crash whose pid now belongs to another program', async () => {
    const pg = supervisor('stale');
    await pg.initialise();
    const dataDir = path.join(home, 'stale', 'data');
    // This test's own pid: alive, but not a postgres.
    await writeFile(
      path.join(dataDir, 'postmaster.pid'),
      `${process.pid}\n${dataDir}\n0\n5432\n\n127.0.0.1\n0 0\nready\n`,
    );
    try {
      await pg.start();
      assert.deepEqual(await query(pg.port, 'SELECT 4 AS four'), { four: 4 });
    } finally {
      await pg.stop();
    }
  });

  test('chooses a free port when the preferred one is taken', async () => {
    const taken = await findFreePort();
    const blocker: Server = createServer().listen(taken, '127.0.0.1');
    await once(blocker, 'listening');
    const pg = supervisor('ports', taken);
    try {
      await pg.initialise();
      await pg.start();
      assert.notEqual(pg.port, taken);
      assert.deepEqual(await query(pg.port, 'SELECT 3 AS three'), { three: 3 });
    } finally {
      await pg.stop();
      blocker.close();
    }
  });

  test('a start that cannot succeed ends when PostgreSQL exits, with its reason, and stops watching for it', async () => {
    const dataDir = path.join(home, 'broken', 'data');
    const pg = new PostgresSupervisor({
      dataDir,
      binaries,
      superuser: 'steadfast',
      superuserPassword: 'pw-for-tests',
      port: 0,
      maxConnections: 20,
      runAs,
      log: silentLogger(),
      startTimeoutMs: 30_000, // far longer than Postgres takes to fail: the start must not wait it out
    });
    await pg.initialise();
    await appendFile(path.join(dataDir, 'postgresql.conf'), 'this is not a setting\n');
    const pending = (): number =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout' || kind.startsWith('FSReq')).length;
    const before = pending();
    await assert.rejects(pg.start(), /PostgreSQL exited while starting \(exit 1\):[\s\S]*syntax error/);
    await sleep(200);
    assert.equal(pending(), before, 'nothing keeps polling for a server that has exited');
  });

  test('refuses a data directory made by another PostgreSQL major version, and says what to do', async () => {
    const dataDir = path.join(home, 'old', 'data');
    await mkdir(dataDir, { recursive: true });
    await writeFile(path.join(dataDir, 'PG_VERSION'), '16\n');
    await assert.rejects(supervisor('old').initialise(), (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'POSTGRES_VERSION_MISMATCH');
      assert.match(error.message, /made by PostgreSQL 16.*ships PostgreSQL 18.*pg_upgrade/s);
      return true;
    });
  });
});

test('a quiet server closes its WAL segment within archive_timeout right after it starts (not only after its first checkpoint)', async () => {
  const cluster = await startScratchCluster('archive-timeout', { archive: true, archiveTimeoutSeconds: 1 });
  try {
    await cluster.sql('CREATE TABLE t (n int)');
    const [row] = await cluster.sql<{ file: string }>('SELECT pg_walfile_name(pg_current_wal_lsn()) AS file');
    let spooled = false;
    for (let i = 0; i < 100 && !spooled; i++) {
      await sleep(100);
      spooled = (await readdir(cluster.spool)).includes(row!.file);
    }
    assert.ok(
      spooled,
      `segment ${row!.file} was archived within 10 s (archive_timeout 1 s; Postgres's checkpointer would otherwise sleep out checkpoint_timeout first)`,
    );
  } finally {
    await cluster.stop();
  }
});
