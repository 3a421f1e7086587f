import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRetention } from './backup.retention.js';

/** One backup a day at 02:00 UTC for `days` days up to 2026-11-24. */
function daily(days: number): Array<{ id: string; finishedAt: Date }> {
  return Array.from({ length: days }, (_, i) => {
    const at = new Date(Date.UTC(2026, 10, 24 - i, 2, 0, 0));
    return {
      id: at
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z'),
      finishedAt: at,
    };
  });
}

test('7 daily + 4 weekly + 3 monthly over 120 daily backups keeps the expected set', () => {
  const plan = planRetention(daily(120), { daily: 7, weekly: 4, monthly: 3 }, 'UTC');
  const kept = plan.keep.map((id) => id.slice(0, 8));
  // Daily: Nov 18-24. Weekly (latest of each ISO week): Nov 24 (W48), Nov 22 (W47), Nov 15 (W46), Nov 8 (W45).
  // Monthly (latest of each month): Nov 24, Oct 31, Sep 30.
  assert.deepEqual(kept, [
    '20260930',
    '20261031',
    '20261108',
    '20261115',
    '20261118',
    '20261119',
    '20261120',
    '20261121',
    '20261122',
    '20261123',
    '20261124',
  ]);
  assert.equal(plan.remove.length, 120 - kept.length);
});

test('always keeps the newest backup, even with a policy of zero', () => {
  const plan = planRetention(daily(3), { daily: 0, weekly: 0, monthly: 0 }, 'UTC');
  assert.equal(plan.keep.length, 1);
  assert.match(plan.keep[0]!, /^20261124/);
});

test('two backups on one day count as one day: the later is kept', () => {
  const backups = [
    { id: '20261124T020000Z', finishedAt: new Date('2026-11-24T02:00:00Z') },
    { id: '20261124T140000Z', finishedAt: new Date('2026-11-24T14:00:00Z') },
    { id: '20261123T020000Z', finishedAt: new Date('2026-11-23T02:00:00Z') },
  ];
  assert.deepEqual(planRetention(backups, { daily: 2, weekly: 0, monthly: 0 }, 'UTC'), {
    keep: ['20261123T020000Z', '20261124T140000Z'],
    remove: ['20261124T020000Z'],
  });
});

test('days are counted in the configured time zone', () => {
  // 23:30 UTC on the 23rd is already the 24th in Berlin: the same calendar day as the 02:00 UTC backup.
  const backups = [
    { id: '20261123T233000Z', finishedAt: new Date('2026-11-23T23:30:00Z') },
    { id: '20261124T020000Z', finishedAt: new Date('2026-11-24T02:00:00Z') },
  ];
  assert.deepEqual(planRetention(backups, { daily: 1, weekly: 0, monthly: 0 }, 'Europe/Berlin').keep, [
    '20261124T020000Z',
  ]);
  assert.deepEqual(planRetention(backups, { daily: 2, weekly: 0, monthly: 0 }, 'UTC').keep, [
    '20261123T233000Z',
    '20261124T020000Z',
  ]);
});
