import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fakeBackupDeps, fakeScratch, memoryRepositories } from '../../../test/helpers/backup-fakes.js';
import { loadBackupKey } from '../../platform/crypto/backup-key.js';
import { seal } from '../../platform/crypto/sealed.js';
import type { manualClock } from '../../platform/clock/clock.js';
import { AppError } from '../../platform/errors.js';
import type { RecoveryOutcome } from '../../platform/postgres/recovery.js';
import type { WalSupplier } from '../../platform/postgres/wal-feed.js';
import { walKey } from './backup.catalog.js';
import type { BackupServiceDeps, Recover } from './backup.ports.js';
import type { RestoreOptions } from './backup.restore.js';
import { BackupService } from './backup.service.js';

let keyDir: string;
before(async () => {
  keyDir = await mkdtemp(path.join(tmpdir(), 'steadfast-restore-'));
});
after(async () => {
  await rm(keyDir, { recursive: true, force: true });
});

const target = '/scratch/restored';
const recovered: RecoveryOutcome = {
  reachedLsn: '0/3000100',
  timeline: 2,
  lastTransactionAt: '2026-11-24T02:00:05Z',
  walFiles: 5,
  seconds: 1,
};

/** What a recovery would read of the archive: each file's text, or null where the archive says it has none. */
async function readAll(supplier: WalSupplier, files: string[]): Promise<Array<string | null>> {
  return Promise.all(
    files.map(async (file) => {
      const body = supplier.open(file);
      if (!body) return null;
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk);
      return Buffer.concat(chunks).toString('utf8');
    }),
  );
}

/** A backup taken into two repositories in memory; restores of it go to a fake scratch disk and recover with `recover`. */
async function backedUp(
  recover?: Recover,
): Promise<{ deps: BackupServiceDeps; scratch: ReturnType<typeof fakeScratch> }> {
  const scratch = fakeScratch();
  const deps = fakeBackupDeps(await mkdtemp(path.join(keyDir, 'case-')), {
    repositories: memoryRepositories('first', 'second'),
    scratch,
    recover,
  });
  await new BackupService(deps).take();
  return { deps, scratch };
}

/** Stores a WAL file in a repository, sealed as the archive seals it. */
async function archiveWal(deps: BackupServiceDeps, repository: number, file: string): Promise<void> {
  const { key } = await loadBackupKey(deps.keyFile, { create: false });
  const body = (async function* () {
    yield Buffer.from(`wal ${file}`);
  })();
  await deps.repositories[repository]!.store.put(walKey(file), seal(body, key, walKey(file)));
}

/** Two backups an hour apart, in both repositories; the clock is left at the second. */
async function backedUpTwice(recover?: Recover): Promise<{
  deps: BackupServiceDeps;
  scratch: ReturnType<typeof fakeScratch>;
  older: string;
  newer: string;
}> {
  const { deps, scratch } = await backedUp(recover);
  (deps.clock as ReturnType<typeof manualClock>).advance(3_600_000);
  const newer = (await new BackupService(deps).take()).record.id;
  const older = (await new BackupService(deps).list()).map((listing) => listing.record.id).find((id) => id !== newer)!;
  return { deps, scratch, older, newer };
}

/** Flips a byte of a stored base archive (backup `id`'s, or the only one) in a repository: its checksum no longer matches. */
function damageBase(deps: BackupServiceDeps, repository: number, id = ''): void {
  const store = deps.repositories[repository]!.store as unknown as { objects: Map<string, Buffer> };
  const [key, object] = [...store.objects].find(([name]) => name.includes(id) && name.endsWith('base.tar.sealed'))!;
  object[object.length - 1] = object.at(-1)! ^ 0xff;
  store.objects.set(key, object);
}

describe('restoring a backup', () => {
  test('unpacks the backup as taken and fetches no WAL when recovery is none', async () => {
    const { deps, scratch } = await backedUp();
    const result = await new BackupService(deps).restore({ target, recovery: 'none' });
    assert.equal(result.repository, 'first');
    assert.deepEqual([result.walFiles, result.walGaps, result.recovery], [0, [], undefined]);
    assert.deepEqual(scratch.calls, [`requireEmpty ${target}`, `extract ${target}`]);
    assert.match(scratch.unpacked.get(target)!.toString('utf8'), /^base files, part onepart two/);
  });

  test('replays the WAL from the backup on, handing recovery each file it asks for from whichever repository has it', async () => {
    const runs: Array<Parameters<Recover>[0]> = [];
    const read: Array<string | null> = [];
    const { deps, scratch } = await backedUp(async (run) => {
      runs.push(run);
      read.push(...(await readAll(run.wal, ['000000010000000000000001', '000000010000000000000002'])));
      assert.deepEqual(run.wal.following('000000010000000000000002', 4), ['000000010000000000000003']);
      read.push(...(await readAll(run.wal, ['000000010000000000000003', '000000010000000000000004'])));
      return recovered;
    });
    await archiveWal(deps, 0, '000000010000000000000001'); // before the backup: not needed
    await archiveWal(deps, 0, '000000010000000000000002');
    await archiveWal(deps, 1, '000000010000000000000003'); // only the second repository has it
    const result = await new BackupService(deps).restore({ target, recovery: { kind: 'latest' } });
    assert.deepEqual(read, [null, 'wal 000000010000000000000002', 'wal 000000010000000000000003', null]);
    assert.equal(result.walFiles, recovered.walFiles, 'the files recovery was handed, as the recovery counts them');
    assert.deepEqual(result.walGaps, []);
    assert.equal(result.recovery, recovered);
    assert.deepEqual(
      scratch.calls,
      [`requireEmpty ${target}`, `extract ${target}`],
      'no WAL is fetched ahead of recovery',
    );
    assert.deepEqual(
      runs.map((run) => [run.dataDir, run.target.kind, run.role]),
      [[target, 'latest', 'steadfast_backup']],
    );
  });

  test('a WAL file that cannot be read is named with the repository it was read from', async () => {
    let failure: Error | undefined;
    const { deps } = await backedUp(async (run) => {
      failure = await readAll(run.wal, ['000000010000000000000002']).then(
        () => undefined,
        (error: Error) => error,
      );
      throw failure;
    });
    await archiveWal(deps, 0, '000000010000000000000002');
    const store = deps.repositories[0]!.store as unknown as { objects: Map<string, Buffer> };
    const [key, object] = [...store.objects].find(([name]) => name.includes('000000010000000000000002'))!;
    store.objects.set(key, object.subarray(0, object.length - 7)); // truncated
    await assert.rejects(new BackupService(deps).restore({ target, recovery: { kind: 'latest' } }));
    assert.match(failure!.message, /^could not read WAL 000000010000000000000002 from repository first: \S.*[^.]$/);
    assert.doesNotMatch(failure!.message, /\.\.|\.:|wal-restore/);
  });

  test('tries the next repository when a copy is damaged, emptying the target first', async () => {
    const { deps, scratch } = await backedUp();
    damageBase(deps, 0);
    const result = await new BackupService(deps).restore({ target, recovery: 'none' });
    assert.equal(result.repository, 'second');
    assert.deepEqual(scratch.calls, [
      `requireEmpty ${target}`,
      `extract ${target}`,
      `empty ${target}`,
      `extract ${target}`,
    ]);
  });

  test('fails naming each repository when no copy restores, and leaves the target empty', async () => {
    const { deps, scratch } = await backedUp();
    damageBase(deps, 0);
    damageBase(deps, 1);
    await assert.rejects(new BackupService(deps).restore({ target, recovery: 'none' }), (error) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'RESTORE_FAILED');
      assert.match(error.message, /first: .*checksum.*; second: .*checksum/);
      return true;
    });
    assert.equal(scratch.unpacked.has(target), false);
  });

  for (const recovery of [{ kind: 'latest' }, { kind: 'time', at: new Date('2026-11-24T04:00:00Z') }] as const) {
    test(`without an id (recovery ${recovery.kind}), a backup no repository holds intact is passed over for the next older one, and said`, async () => {
      const { deps, scratch, older, newer } = await backedUpTwice(async () => recovered);
      damageBase(deps, 0, newer);
      damageBase(deps, 1, newer);
      const result = await new BackupService(deps).restore({ target, recovery });
      assert.equal(result.record.id, older);
      assert.equal(result.passedOver.length, 1);
      assert.equal(result.passedOver[0]!.id, newer);
      assert.match(result.passedOver[0]!.reason, /^first: .*checksum.*; second: .*checksum/);
      assert.equal(result.recovery, recovered, 'the WAL is replayed from the older backup');
      assert.deepEqual(scratch.calls, [
        `requireEmpty ${target}`,
        `extract ${target}`,
        `empty ${target}`,
        `extract ${target}`,
        `empty ${target}`,
        `extract ${target}`,
      ]);
    });
  }

  const moment = new Date('2030-01-02T03:04:05.000Z');
  const namesTheOlder: Array<{
    title: string;
    options: (newer: string) => Omit<RestoreOptions, 'target'>;
    /** The suggested command keeps the recovery target asked for. */
    flags: string;
  }> = [
    { title: 'its id is given', options: (newer) => ({ id: newer }), flags: '' },
    { title: 'it is restored as taken', options: () => ({ recovery: 'none' }), flags: ' --as-taken' },
    {
      title: 'its id is given with a moment',
      options: (newer) => ({ id: newer, recovery: { kind: 'time', at: moment } }),
      flags: ` --time ${moment.toISOString()}`,
    },
    {
      title: 'its id is given with a restore point',
      options: (newer) => ({ id: newer, recovery: { kind: 'name', name: 'before upgrade' } }),
      flags: ' --name "before upgrade"',
    },
  ];
  for (const { title, options, flags } of namesTheOlder) {
    test(`when ${title}, a backup no repository holds intact is not swapped for another, but the error names the next older one`, async () => {
      const { deps, scratch, older, newer } = await backedUpTwice(async () => recovered);
      damageBase(deps, 0, newer);
      damageBase(deps, 1, newer);
      await assert.rejects(new BackupService(deps).restore({ target, ...options(newer) }), (error) => {
        assert.ok(error instanceof AppError);
        assert.equal(error.code, 'RESTORE_FAILED');
        assert.match(
          error.message,
          new RegExp(
            `^Backup ${newer} could not be restored from any repository: first: .*; second: .*\\. The next older backup is ${older} \\(finished [^)]+\\): "steadfast backup restore ${older}.* --to <dir>" restores it\\. The target directory was left empty\\.$`,
          ),
        );
        assert.ok(error.message.includes(`"steadfast backup restore ${older}${flags} --to <dir>"`), error.message);
        return true;
      });
      assert.equal(scratch.calls.filter((call) => call.startsWith('extract')).length, 2, 'one try per repository');
      assert.equal(scratch.unpacked.has(target), false);
    });
  }

  test('when every backup is damaged, the error names each and says none older is left', async () => {
    const { deps, older, newer } = await backedUpTwice(async () => recovered);
    for (const id of [older, newer]) for (const repository of [0, 1]) damageBase(deps, repository, id);
    await assert.rejects(new BackupService(deps).restore({ target }), (error) => {
      assert.match(
        (error as Error).message,
        new RegExp(
          `^Backup ${older} could not be restored from any repository: first: .*\\. Nor could the newer ones: backup ${newer} \\(first: .*; second: .*\\)\\. There is no older backup to fall back to\\. The target directory was left empty\\.$`,
        ),
      );
      return true;
    });
  });

  test('a restore that fails in recovery, after an intact copy was unpacked, does not fall back: an older backup needs the same WAL', async () => {
    let recoveries = 0;
    const { deps, scratch } = await backedUpTwice(async () => {
      recoveries++;
      throw new Error('recovery stopped: could not read WAL 000000010000000000000002');
    });
    await assert.rejects(new BackupService(deps).restore({ target }), (error) => {
      assert.match((error as Error).message, /could not be restored from any repository/);
      assert.doesNotMatch((error as Error).message, /older backup/);
      return true;
    });
    assert.equal(recoveries, 2, 'once per repository, for the newest backup only');
    assert.equal(scratch.calls.filter((call) => call.startsWith('extract')).length, 2);
  });

  test('does not try another repository when the inspection of the recovered copy fails', async () => {
    const { deps, scratch } = await backedUp(async (run) => {
      await run.inspect?.(() => ({ host: '/tmp', port: 1, user: 'x', password: '', database: 'x' }));
      return recovered;
    });
    const inspect = async (): Promise<void> => {
      throw new Error('the tenant had no database then');
    };
    await assert.rejects(new BackupService(deps).restore({ target, inspect }), /the tenant had no database then/);
    assert.equal(scratch.calls.filter((call) => call.startsWith('extract')).length, 1);
  });

  const refusals: Array<{ title: string; restore: (deps: BackupServiceDeps) => Promise<unknown>; error: RegExp }> = [
    {
      title: 'refuses to replay WAL without a recover adapter',
      restore: (deps) => new BackupService(deps).restore({ target }),
      error: /cannot replay WAL/,
    },
    {
      title: 'refuses a backup id that is not one',
      restore: (deps) => new BackupService(deps).restore({ id: 'yesterday', target, recovery: 'none' }),
      error: /"yesterday" is not a backup id/,
    },
    {
      title: 'refuses a moment before the end of the earliest backup',
      restore: (deps) =>
        new BackupService({ ...deps, recover: async () => recovered }).restore({
          target,
          recovery: { kind: 'time', at: new Date('2026-11-23T00:00:00Z') },
        }),
      error: /is before the end of the earliest backup/,
    },
    {
      title: 'refuses a restore point no repository records',
      restore: (deps) =>
        new BackupService({ ...deps, recover: async () => recovered }).restore({
          target,
          recovery: { kind: 'name', name: 'never-made' },
        }),
      error: /No repository records a restore point named "never-made"/,
    },
  ];
  for (const { title, restore, error } of refusals) {
    test(title, async () => {
      const { deps, scratch } = await backedUp();
      await assert.rejects(restore(deps), error);
      assert.equal(scratch.unpacked.size, 0);
    });
  }
});
