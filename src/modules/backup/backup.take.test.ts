import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backupEvents, fakeBackupDeps, fakeSource, memoryRepositories } from '../../../test/helpers/backup-fakes.js';
import { AppError } from '../../platform/errors.js';
import { recordKey } from './backup.catalog.js';
import type { BackupServiceDeps } from './backup.ports.js';
import { BackupService } from './backup.service.js';

let keyDir: string;
before(async () => {
  keyDir = await mkdtemp(path.join(tmpdir(), 'steadfast-take-'));
});
after(async () => {
  await rm(keyDir, { recursive: true, force: true });
});

/** Deps with a key directory of the test's own, so each test starts without a key. */
async function deps(overrides: Partial<BackupServiceDeps> = {}): Promise<BackupServiceDeps> {
  return fakeBackupDeps(await mkdtemp(path.join(keyDir, 'case-')), overrides);
}

function failsWith(code: string, detail: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, detail);
    return true;
  };
}

describe('taking a backup', () => {
  test('records the backup in every repository, with the positions, role and bytes the source reported', async () => {
    const repositories = memoryRepositories('first', 'second');
    const result = await new BackupService(await deps({ repositories })).take();
    assert.deepEqual(result.stored, ['first', 'second']);
    assert.deepEqual(result.failed, []);
    const { record } = result;
    assert.equal(record.id, '20261124T020000Z');
    assert.deepEqual(
      [record.startLsn, record.endLsn, record.timeline, record.role, record.systemIdentifier, record.postgresVersion],
      ['0/2000028', '0/2000100', 1, 'steadfast_backup', '7400000000000000001', 180000],
    );
    const manifestBytes = backupEvents()
      .filter((event) => event.kind === 'data')
      .reduce((sum, event) => sum + event.chunk.length, 0);
    assert.equal(record.sourceBytes, manifestBytes);
    assert.deepEqual(
      record.objects.map((object) => object.name),
      ['base.tar', 'backup_manifest'],
    );
    for (const { store } of repositories) assert.ok(store.objects.has(recordKey(record.id)));
  });

  test('goes on without a repository that fails to store an archive, and reports it', async () => {
    const repositories = memoryRepositories('broken', 'working');
    repositories[0]!.store.failPuts = 'disk full';
    const result = await new BackupService(await deps({ repositories })).take();
    assert.deepEqual(result.stored, ['working']);
    assert.equal(result.failed.length, 1);
    assert.equal(result.failed[0]!.repository, 'broken');
    assert.match(result.failed[0]!.error, /disk full/);
  });

  const refusals: Array<{ title: string; overrides: () => Partial<BackupServiceDeps>; error: RegExp }> = [
    {
      title: 'refuses to start in a process without a database to back up',
      overrides: () => ({ source: undefined }),
      error: /no database to back up/,
    },
    {
      title: 'names the REPLICATION privilege when the source cannot be identified',
      overrides: () => ({
        source: fakeSource(undefined, async () => {
          throw new Error('permission denied to start WAL sender');
        }),
      }),
      error: /permission denied to start WAL sender.*REPLICATION privilege/,
    },
    {
      title: 'records nothing when the stream ends before the end of the backup',
      overrides: () => ({ source: fakeSource(backupEvents({ endEarly: true })) }),
      error: /ended the base backup stream early/,
    },
    {
      title: 'fails when no repository can store the backup',
      overrides: () => {
        const repositories = memoryRepositories('first', 'second');
        for (const { store } of repositories) store.failPuts = 'read-only file system';
        return { repositories };
      },
      error: /read-only file system/,
    },
  ];
  for (const { title, overrides, error } of refusals) {
    test(title, async () => {
      const given = await deps(overrides());
      await assert.rejects(new BackupService(given).take(), failsWith('BACKUP_FAILED', error));
      // Objects an early end left are an unrecorded backup: retention removes them a day later.
      assert.deepEqual(await new BackupService(given).list(), [], 'no backup is recorded');
    });
  }

  test('stops when its signal is aborted, leaving no backup', async () => {
    const given = await deps();
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    await assert.rejects(new BackupService(given).take(undefined, controller.signal), /shutting down/);
    assert.deepEqual(await new BackupService(given).list(), []);
  });
});

describe('restore points', () => {
  test('are made on the source and recorded in every repository', async () => {
    const source = fakeSource();
    const given = await deps({ source });
    assert.equal(await new BackupService(given).mark('before-upgrade'), '0/3000090');
    assert.deepEqual(source.points, ['before-upgrade']);
    for (const repository of given.repositories)
      assert.deepEqual(
        (await repository.store.list('marks/')).map((object) => object.key),
        ['marks/before-upgrade.json'],
      );
  });

  test('refuses a second point of the same name, which recovery could never reach', async () => {
    const given = await deps();
    await new BackupService(given).mark('twice');
    await assert.rejects(new BackupService(given).mark('twice'), failsWith('VALIDATION_FAILED', /already exists/));
  });
});
