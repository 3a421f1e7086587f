import assert from 'node:assert/strict';
import { test } from 'node:test';
import { archiveOutcome, repositoryOutcome } from './backup.probes.js';
import type { ArchiveStatus } from './backup.wal.js';

const now = new Date('2026-12-07T12:00:00Z');
const secondsAgo = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString();
const hoursAgo = (hours: number): string => secondsAgo(hours * 3600);

const archiving = (over: Partial<ArchiveStatus['repositories'][number]> = {}) => ({
  name: 'local',
  lastArchived: '000000010000000000000042',
  lastArchivedAt: secondsAgo(5),
  ...over,
});

test('WAL archiving with nothing waiting is operational, lag 0', () => {
  assert.deepEqual(archiveOutcome({ spooled: 0, repositories: [archiving(), archiving({ name: 'offsite' })] }, now), {
    state: 'operational',
    figures: { archive_lag_seconds: 0, wal_spooled_files: 0 },
    message: 'no WAL waits in the spool',
  });
});

test('WAL waiting briefly is operational; waiting over 60 s is degraded, with how long', () => {
  const brief = archiveOutcome({ spooled: 2, oldestWaitingSince: secondsAgo(0.4), repositories: [archiving()] }, now);
  assert.equal(brief.state, 'operational');
  assert.equal(brief.message, '2 WAL file(s) wait in the spool, the oldest for 0.4 s');
  const late = archiveOutcome({ spooled: 30, oldestWaitingSince: secondsAgo(95), repositories: [archiving()] }, now);
  assert.deepEqual(late, {
    state: 'degraded',
    figures: { archive_lag_seconds: 95, wal_spooled_files: 30 },
    message: '30 WAL file(s) wait in the spool, the oldest for 95 s (over 60 s)',
  });
});

test('an idle database whose last archiving was long ago is not late', () => {
  const idle = archiveOutcome({ spooled: 0, repositories: [archiving({ lastArchivedAt: hoursAgo(3) })] }, now);
  assert.equal(idle.state, 'operational');
  assert.equal(idle.figures?.archive_lag_seconds, 0);
});

test('one failing repository of two is a partial outage, naming it and why', () => {
  const outcome = archiveOutcome(
    {
      spooled: 3,
      oldestWaitingSince: secondsAgo(120),
      repositories: [
        archiving(),
        archiving({ name: 'offsite', failingSince: secondsAgo(120), lastError: 'Failed writing wal/x: timeout.' }),
      ],
    },
    now,
  );
  assert.equal(outcome.state, 'partial_outage');
  assert.equal(
    outcome.message,
    `storing WAL in offsite fails since ${secondsAgo(120)} (Failed writing wal/x: timeout); 3 WAL file(s) wait in the spool, the oldest for 120 s`,
  );
});

test('every repository failing is a major outage', () => {
  const failing = { failingSince: secondsAgo(30) };
  const outcome = archiveOutcome(
    { spooled: 1, repositories: [archiving(failing), archiving({ name: 'offsite', ...failing })] },
    now,
  );
  assert.equal(outcome.state, 'major_outage');
  assert.match(outcome.message, /^storing WAL in local fails since .*; storing WAL in offsite fails since /);
});

test('a repository whose newest backup is from last night is operational, with its age', () => {
  assert.deepEqual(
    repositoryOutcome({ responseMs: 12.3, newestBackup: { id: '20261207T020000Z', finishedAt: hoursAgo(9.75) } }, now),
    {
      state: 'operational',
      responseMs: 12.3,
      figures: { last_backup_age_hours: 9.8 },
      message: 'answered in 12.3 ms; newest backup 20261207T020000Z, 9.8 h old',
    },
  );
});

test('a repository whose newest backup is older than 26 hours is degraded', () => {
  const outcome = repositoryOutcome(
    { responseMs: 4, newestBackup: { id: '20261206T020000Z', finishedAt: hoursAgo(30) } },
    now,
  );
  assert.equal(outcome.state, 'degraded');
  assert.match(outcome.message, /30 h old \(over 26 h\)$/);
});

test('a repository holding no backup yet is degraded, without an age', () => {
  assert.deepEqual(repositoryOutcome({ responseMs: 4 }, now), {
    state: 'degraded',
    responseMs: 4,
    message: 'answered in 4 ms; it holds no complete backup yet',
  });
});
