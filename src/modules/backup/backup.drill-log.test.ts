import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drillWarnings, type DrillSummary } from './backup.drill-log.js';

const now = new Date('2026-11-25T12:00:00Z');
const hoursAgo = (hours: number): string => new Date(now.getTime() - hours * 3_600_000).toISOString();
const drill = (passed: boolean, hours: number, problems: string[] = []): NonNullable<DrillSummary['last']> => ({
  finishedAt: hoursAgo(hours),
  passed,
  backupId: '20261125T020000Z',
  durationSeconds: 60,
  restoreMbS: 100,
  rpoSeconds: 1.2,
  restoredBytes: 1e9,
  problems,
  unsettledTransactions: 0,
});

test('a drill that passed last night needs no attention', () => {
  assert.deepEqual(drillWarnings({ last: drill(true, 8), lastPassedAt: hoursAgo(8) }, now, hoursAgo(80)), []);
});

test('a failed last drill is reported with its first problem, even with a pass the night before', () => {
  const warnings = drillWarnings(
    { last: drill(false, 2, ['tenant acme differs from the primary']), lastPassedAt: hoursAgo(26) },
    now,
    hoursAgo(80),
  );
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /FAILED: tenant acme differs from the primary/);
});

test('a drill that could compare nothing, because commits were held back on the primary, says so', () => {
  const warnings = drillWarnings(
    { last: { ...drill(true, 2), unsettledTransactions: 1 }, lastPassedAt: hoursAgo(2) },
    now,
    hoursAgo(80),
  );
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]!,
    /compared no database with the primary: 1 transaction\(s\) committed before its restore point/,
  );
});

test('no pass for more than 26 hours is reported with its age', () => {
  const warnings = drillWarnings({ last: drill(true, 30), lastPassedAt: hoursAgo(30) }, now, hoursAgo(80));
  assert.deepEqual(warnings, [
    `No restore drill has passed for 30 hours (last at ${hoursAgo(30)}); they are due nightly.`,
  ]);
});

test('never a drill: due only once a backup has existed for more than 26 hours', () => {
  assert.deepEqual(drillWarnings({}, now, hoursAgo(5)), []);
  assert.deepEqual(drillWarnings({}, now, undefined), []);
  assert.match(drillWarnings({}, now, hoursAgo(27))[0]!, /No restore drill has ever passed/);
});
