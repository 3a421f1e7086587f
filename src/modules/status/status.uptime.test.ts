import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  combineLocations,
  downtimeBudget,
  minuteMs,
  monthOf,
  uptime,
  type ComponentState,
  type MaintenanceSpan,
} from './status.uptime.js';

const at = (iso: string) => new Date(iso);
const hours = (n: number) => n * 60 * minuteMs;

/** Every minute of `span` measured as `state`, over a base of operational minutes for the whole month. */
function measuredMonth(month: Date, ...spans: [string, string, ComponentState][]): Map<number, ComponentState> {
  const { start, end } = monthOf(month);
  const measured = new Map<number, ComponentState>();
  for (let minute = start.getTime(); minute < end.getTime(); minute += minuteMs) measured.set(minute, 'operational');
  for (const [from, to, state] of spans)
    for (let minute = at(from).getTime(); minute < at(to).getTime(); minute += minuteMs) measured.set(minute, state);
  return measured;
}

test('an outage across a month end counts in each month only for its own minutes', () => {
  // 30 minutes down from 23:45 on 31 January to 00:15 on 1 February.
  const outage: [string, string, ComponentState] = ['2027-01-31T23:45:00Z', '2027-02-01T00:15:00Z', 'major_outage'];
  const measured = new Map([
    ...measuredMonth(at('2027-01-10T00:00:00Z'), outage),
    ...measuredMonth(at('2027-02-10T00:00:00Z'), outage),
  ]);
  const january = uptime(monthOf(at('2027-01-15T00:00:00Z')), measured);
  const february = uptime(monthOf(at('2027-02-15T00:00:00Z')), measured);
  assert.equal(january.minutes, 31 * 24 * 60);
  assert.equal(january.majorOutage, 15);
  assert.equal(february.minutes, 28 * 24 * 60);
  assert.equal(february.majorOutage, 15);
  assert.equal(january.availability, 1 - 15 / (31 * 24 * 60));
  assert.equal(february.availability, 1 - 15 / (28 * 24 * 60));
});

test('partial outage counts by its weight; degraded not at all', () => {
  const figures = uptime(
    monthOf(at('2027-03-01T00:00:00Z')),
    measuredMonth(
      at('2027-03-01T00:00:00Z'),
      ['2027-03-02T00:00:00Z', '2027-03-02T01:40:00Z', 'partial_outage'],
      ['2027-03-03T00:00:00Z', '2027-03-03T05:00:00Z', 'degraded'],
    ),
  );
  assert.equal(figures.partialOutage, 100);
  assert.equal(figures.degraded, 300);
  assert.equal(figures.downtimeMinutes, 30);
});

test('maintenance announced 24 h ahead leaves the month; announced later or never, it is downtime', () => {
  const month = monthOf(at('2027-04-01T00:00:00Z'));
  const measured = measuredMonth(month.start, ['2027-04-10T02:00:00Z', '2027-04-10T03:00:00Z', 'major_outage']);
  const window = { start: at('2027-04-10T02:00:00Z'), end: at('2027-04-10T03:00:00Z') };
  const inTime: MaintenanceSpan = { ...window, announcedAt: new Date(window.start.getTime() - hours(24)) };
  const late: MaintenanceSpan = { ...window, announcedAt: new Date(window.start.getTime() - hours(23)) };
  const never: MaintenanceSpan = { ...window, announcedAt: undefined };

  const announced = uptime(month, measured, [], [inTime]);
  assert.equal(announced.maintenance, 60);
  assert.equal(announced.majorOutage, 0, 'the outage during announced maintenance is maintenance');
  assert.equal(announced.downtimeMinutes, 0);
  assert.equal(announced.countedMinutes, 30 * 24 * 60 - 60);
  assert.equal(announced.availability, 1);

  for (const window of [late, never]) {
    const figures = uptime(month, measured, [], [window]);
    assert.equal(figures.shortNoticeMaintenance, 60);
    assert.equal(figures.downtimeMinutes, 60);
    assert.equal(figures.countedMinutes, 30 * 24 * 60);
  }
});

test('overlapping incidents count each minute once, at the worse state', () => {
  const month = monthOf(at('2027-05-01T00:00:00Z'));
  const figures = uptime(
    month,
    measuredMonth(month.start),
    [
      { start: at('2027-05-05T10:00:00Z'), end: at('2027-05-05T11:00:00Z'), state: 'partial_outage' },
      { start: at('2027-05-05T10:30:00Z'), end: at('2027-05-05T11:30:00Z'), state: 'major_outage' },
    ],
    [],
  );
  assert.equal(figures.partialOutage, 30, '10:00 to 10:30');
  assert.equal(figures.majorOutage, 60, '10:30 to 11:30');
  assert.equal(figures.downtimeMinutes, 60 + 0.3 * 30);
});

test('an incident is not overruled by operational probes, and fills minutes nothing measured', () => {
  const period = { start: at('2027-06-01T00:00:00Z'), end: at('2027-06-01T02:00:00Z') };
  const measured = new Map<number, ComponentState>();
  for (let minute = period.start.getTime(); minute < at('2027-06-01T01:00:00Z').getTime(); minute += minuteMs)
    measured.set(minute, 'operational');
  const figures = uptime(period, measured, [
    { start: at('2027-06-01T00:50:00Z'), end: at('2027-06-01T01:10:00Z'), state: 'major_outage' },
  ]);
  assert.equal(figures.majorOutage, 20);
  assert.equal(figures.noData, 50, '01:10 to 02:00: no probe, no incident');
  assert.equal(figures.countedMinutes, 70);
  assert.equal(figures.availability, 1 - 20 / 70);
});

test('two locations disagreeing: an outage one of them sees is a degradation, not downtime', () => {
  assert.deepEqual(
    combineLocations([
      { location: 'dc1', state: 'operational' },
      { location: 'dc2', state: 'major_outage' },
    ]),
    { state: 'degraded', seenDownFrom: ['dc2'] },
  );
  assert.deepEqual(
    combineLocations([
      { location: 'dc1', state: 'major_outage' },
      { location: 'dc2', state: 'major_outage' },
    ]),
    { state: 'major_outage', seenDownFrom: ['dc1', 'dc2'] },
  );
  // Of three, two make a quorum; the worst state two agree on or exceed wins.
  assert.equal(
    combineLocations([
      { location: 'a', state: 'major_outage' },
      { location: 'b', state: 'partial_outage' },
      { location: 'c', state: 'operational' },
    ]).state,
    'partial_outage',
  );
  assert.equal(combineLocations([{ location: 'a', state: 'degraded' }]).state, 'degraded');
  assert.equal(combineLocations([]).state, undefined);
});

test('the downtime budget of each target, by the same formula', () => {
  const month = monthOf(at('2027-01-01T00:00:00Z'));
  const figures = uptime(
    month,
    measuredMonth(month.start, ['2027-01-20T00:00:00Z', '2027-01-20T00:30:00Z', 'major_outage']),
  );
  const budget = downtimeBudget(figures);
  const row = (target: number) => budget.find((r) => r.target === target)!;
  // 31 days: 44,640 minutes; 99.9 % allows 44.64 minutes; 30 were used.
  assert.ok(Math.abs(row(0.999).allowedMinutes - 44.64) < 1e-9);
  assert.ok(Math.abs(row(0.999).remainingMinutes - 14.64) < 1e-9);
  assert.equal(row(0.999).met, true);
  assert.equal(row(0.9995).met, false, '99.95 % allows 22.32 minutes');
  assert.deepEqual(
    budget.map((r) => r.target),
    [0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999],
  );
});
