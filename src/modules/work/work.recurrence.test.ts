import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeRule, nextOccurrence, occursOn, type RecurrenceRule } from './work.recurrence.js';

const rule = (overrides: Partial<RecurrenceRule>): RecurrenceRule => ({
  frequency: 'daily',
  every: 1,
  weekdays: [],
  startsOn: '2026-12-01',
  endsOn: null,
  ...overrides,
});

/** The occurrences from `from` on, `count` of them, each the next after the last. */
function occurrences(of: RecurrenceRule, from: string, count: number): string[] {
  const dates: string[] = [];
  let next = nextOccurrence(of, from);
  while (next && dates.length < count) {
    dates.push(next);
    next = nextOccurrence(of, new Date(Date.parse(`${next}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10));
  }
  return dates;
}

describe('recurrence', () => {
  test('every N days, from the start', () => {
    assert.deepEqual(occurrences(rule({ every: 3 }), '2026-11-01', 4), [
      '2026-12-01',
      '2026-12-04',
      '2026-12-07',
      '2026-12-10',
    ]);
  });

  test("every other week on given weekdays, counting weeks from the start's", () => {
    // 2026-12-01 is a Tuesday; Monday and Thursday of every second week.
    const biweekly = rule({ frequency: 'weekly', every: 2, weekdays: [1, 4] });
    assert.deepEqual(occurrences(biweekly, '2026-12-01', 5), [
      '2026-12-03',
      '2026-12-14',
      '2026-12-17',
      '2026-12-28',
      '2026-12-31',
    ]);
    assert.equal(occursOn(biweekly, '2026-12-07'), false, 'a Monday of an off week');
  });

  test("weekly without weekdays keeps the start's weekday", () => {
    assert.deepEqual(occurrences(rule({ frequency: 'weekly' }), '2026-12-02', 2), ['2026-12-08', '2026-12-15']);
  });

  test("monthly on the start's day, the 31st on the last day of shorter months", () => {
    const endOfMonth = rule({ frequency: 'monthly', startsOn: '2027-01-31' });
    assert.deepEqual(occurrences(endOfMonth, '2027-01-01', 4), [
      '2027-01-31',
      '2027-02-28',
      '2027-03-31',
      '2027-04-30',
    ]);
    assert.deepEqual(occurrences(rule({ frequency: 'monthly', every: 5, startsOn: '2026-12-15' }), '2026-12-16', 2), [
      '2027-05-15',
      '2027-10-15',
    ]);
    assert.equal(occursOn(endOfMonth, '2027-02-28'), true);
    assert.equal(occursOn(endOfMonth, '2027-03-28'), false);
  });

  test('nothing after the end, and nothing before the start', () => {
    const ending = rule({ every: 7, endsOn: '2026-12-20' });
    assert.deepEqual(occurrences(ending, '2026-01-01', 10), ['2026-12-01', '2026-12-08', '2026-12-15']);
    assert.equal(nextOccurrence(ending, '2026-12-16'), null);
    assert.equal(occursOn(ending, '2026-11-24'), false);
  });

  test('reads as a person would say it', () => {
    assert.equal(
      describeRule(rule({ frequency: 'weekly', every: 2, weekdays: [4, 1], endsOn: '2027-03-31' })),
      'every 2 weeks on Monday and Thursday, from 2026-12-01 until 2027-03-31',
    );
    assert.equal(describeRule(rule({ frequency: 'monthly' })), 'every month on day 1, from 2026-12-01');
    assert.equal(describeRule(rule({})), 'every day, from 2026-12-01');
  });
});
