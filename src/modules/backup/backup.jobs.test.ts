import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { manualClock } from '../../platform/clock/clock.js';
import { baseBackupJob } from './backup.jobs.js';
import type { BackupListing } from './backup.schema.js';
import type { BackupService, TakeOptions } from './backup.service.js';

/** A service whose backups are `ids` (`+` marks an incremental), recording what each take asked for. */
function service(ids: string[]): BackupService & { asked: TakeOptions[] } {
  const asked: TakeOptions[] = [];
  const listings = ids.map(
    (id) =>
      ({
        record: {
          id: id.replace('+', ''),
          startedAt: `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:${id.slice(13, 15)}Z`,
          ...(id.endsWith('+') ? { references: ['x'] } : {}),
        },
        repositories: ['local'],
      }) as unknown as BackupListing,
  );
  return {
    asked,
    list: async () => listings,
    take: async (_progress: unknown, _signal: unknown, options: TakeOptions) => {
      asked.push(options);
      return {
        record: { id: 'new', references: options.incremental ? ['x'] : undefined },
        stored: [],
        failed: [],
        seconds: 1,
      };
    },
    retention: async () => [],
  } as unknown as BackupService & { asked: TakeOptions[] };
}

async function run(ids: string[], now: string, payload: { full?: boolean } = {}): Promise<TakeOptions> {
  const backups = service(ids);
  const job = baseBackupJob(backups, {
    fulls: { cron: '0 2 * * 0', timeZone: 'UTC' },
    clock: manualClock(new Date(now)),
  });
  await job.handle(job.schema.parse(payload), {
    jobId: '1',
    attempt: 1,
    signal: new AbortController().signal,
    progress: async () => undefined,
  });
  return backups.asked[0]!;
}

describe('the scheduled backup: full or incremental', () => {
  // 2026-12-06 is a Sunday.
  test('is full on the first run after a moment of the full schedule', async () => {
    assert.deepEqual(await run(['20261129T020000Z', '20261205T020000Z+'], '2026-12-06T02:00:00Z'), {
      incremental: false,
    });
  });

  test('is incremental on the days after it', async () => {
    assert.deepEqual(await run(['20261206T020000Z', '20261207T020000Z+'], '2026-12-08T02:00:00Z'), {
      incremental: true,
    });
  });

  test('is full when there is no full backup yet, or the payload asks for one (after a recovery)', async () => {
    assert.deepEqual(await run([], '2026-12-08T02:00:00Z'), { incremental: false });
    assert.deepEqual(await run(['20261206T020000Z'], '2026-12-08T02:00:00Z', { full: true }), { incremental: false });
  });

  test('a full missed on Sunday (the platform was down) is taken by the next run', async () => {
    assert.deepEqual(await run(['20261129T020000Z', '20261205T020000Z+'], '2026-12-07T02:00:00Z'), {
      incremental: false,
    });
  });
});
