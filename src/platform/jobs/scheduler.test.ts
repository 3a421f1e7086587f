import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latestFireAtOrBefore, validateSchedule } from './scheduler.js';

const cases = [
  { cron: '0 2 * * *', zone: 'UTC', now: '2026-11-24T12:00:00Z', fire: '2026-11-24T02:00:00.000Z' },
  { cron: '0 2 * * *', zone: 'UTC', now: '2026-11-24T01:59:59Z', fire: '2026-11-23T02:00:00.000Z' },
  { cron: '0 2 * * *', zone: 'UTC', now: '2026-11-24T02:00:00Z', fire: '2026-11-24T02:00:00.000Z' },
  { cron: '0 2 * * *', zone: 'Europe/Berlin', now: '2026-11-24T12:00:00Z', fire: '2026-11-24T01:00:00.000Z' },
  { cron: '0 2 * * *', zone: 'Europe/Berlin', now: '2026-07-01T12:00:00Z', fire: '2026-07-01T00:00:00.000Z' },
  { cron: '30 3 * * 0', zone: 'UTC', now: '2026-11-24T12:00:00Z', fire: '2026-11-22T03:30:00.000Z' },
];

for (const { cron, zone, now, fire } of cases) {
  test(`"${cron}" in ${zone} last fired at ${fire} as of ${now}`, () => {
    assert.equal(latestFireAtOrBefore(cron, zone, new Date(now)).toISOString(), fire);
  });
}

test('an unknown time zone is refused with its name', () => {
  assert.throws(() => validateSchedule('0 2 * * *', 'Mars/Olympus'), /Mars\/Olympus/);
});
