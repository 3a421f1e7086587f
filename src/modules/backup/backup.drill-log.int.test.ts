import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestPlatform, type TestPlatform } from '../../../test/helpers/platform.js';
import type { DrillResult } from './backup.drill.js';
import { drillSummary, recordDrill } from './backup.drill-log.js';
import { backupDb } from './backup.tables.js';

let platform: TestPlatform;
before(async () => {
  platform = await createTestPlatform();
});
after(async () => {
  await platform.destroy();
});

const result = (finishedAt: string, passed: boolean): DrillResult => ({
  startedAt: new Date(Date.parse(finishedAt) - 60_000).toISOString(),
  finishedAt,
  passed,
  backupId: '20261124T020000Z',
  repository: 'local',
  restorePoint: 'steadfast-drill-20261124T033000Z',
  targetLsn: '0/3000028',
  restoredBytes: 123456789,
  durationSeconds: 60.5,
  restoreMbS: 210.25,
  rpoSeconds: 0.75,
  compared: 3,
  changed: ['busy'],
  amcheck: { databases: 5, indexes: 40, tables: 30 },
  problems: passed
    ? []
    : ['tenant acme differs from the primary at the restore point: table public.items has 9 rows instead of 10'],
});

test('drills are recorded, and the summary gives the last one and the last that passed', async () => {
  assert.deepEqual(await drillSummary(platform.db), { last: undefined, lastPassedAt: undefined });
  await recordDrill(platform.db, result('2026-11-23T03:31:00.000Z', true));
  await recordDrill(platform.db, result('2026-11-24T03:31:00.000Z', false));
  const summary = await drillSummary(platform.db);
  assert.equal(summary.lastPassedAt, '2026-11-23T03:31:00.000Z');
  assert.deepEqual(summary.last, {
    finishedAt: '2026-11-24T03:31:00.000Z',
    passed: false,
    backupId: '20261124T020000Z',
    durationSeconds: 60.5,
    restoreMbS: 210.25,
    rpoSeconds: 0.75,
    restoredBytes: 123456789,
    problems: [
      'tenant acme differs from the primary at the restore point: table public.items has 9 rows instead of 10',
    ],
    unsettledTransactions: 0,
  });
  // A drill that could compare nothing exactly keeps the count of transactions that stopped it.
  await recordDrill(platform.db, { ...result('2026-11-25T03:31:00.000Z', true), unsettledTransactions: 2 });
  assert.equal((await drillSummary(platform.db)).last?.unsettledTransactions, 2);
  const [row] = await backupDb(platform.db)
    .selectFrom('backup_drills')
    .select(['target_lsn', 'changed', 'amcheck'])
    .where('passed', '=', false)
    .execute();
  assert.deepEqual(row, {
    target_lsn: '0/3000028',
    changed: ['busy'],
    amcheck: { databases: 5, indexes: 40, tables: 30 },
  });
});
