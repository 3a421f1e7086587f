import type { Frequency } from './work.tables.js';

/**
 * When a recurring task recurs: every N days; every N weeks (on the start's weekday, or on
 * given weekdays); every N months on the start's day of the month (the 31st falls on the
 * last day of shorter months). Dates are calendar days, YYYY-MM-DD, free of time zones.
 */
export interface RecurrenceRule {
  readonly frequency: Frequency;
  readonly every: number;
  /** 0 = Sunday … 6 = Saturday; weekly only; empty: the start's weekday. */
  readonly weekdays: readonly number[];
  readonly startsOn: string;
  readonly endsOn: string | null;
}

const day = 86_400_000;
const parse = (date: string): number => Date.parse(`${date}T00:00:00Z`);
const format = (time: number): string => new Date(time).toISOString().slice(0, 10);
export const addDays = (date: string, days: number): string => format(parse(date) + days * day);
const weekday = (date: string): number => new Date(parse(date)).getUTCDay();
/** The Monday of the week holding `date`. */
const weekOf = (date: string): number => parse(date) - ((weekday(date) + 6) % 7) * day;

function monthly(rule: RecurrenceRule, index: number): string {
  const start = new Date(parse(rule.startsOn));
  const months = start.getUTCMonth() + index * rule.every;
  const year = start.getUTCFullYear() + Math.floor(months / 12);
  const month = months % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return format(Date.UTC(year, month, Math.min(start.getUTCDate(), last)));
}

/** Whether `date` is an occurrence (on or after the start, not after the end). */
export function occursOn(rule: RecurrenceRule, date: string): boolean {
  if (date < rule.startsOn || (rule.endsOn !== null && date > rule.endsOn)) return false;
  const days = Math.round((parse(date) - parse(rule.startsOn)) / day);
  switch (rule.frequency) {
    case 'daily':
      return days % rule.every === 0;
    case 'weekly': {
      const weekdays = rule.weekdays.length ? rule.weekdays : [weekday(rule.startsOn)];
      const weeks = Math.round((weekOf(date) - weekOf(rule.startsOn)) / (7 * day));
      return weeks % rule.every === 0 && weekdays.includes(weekday(date));
    }
    case 'monthly': {
      const start = new Date(parse(rule.startsOn));
      const at = new Date(parse(date));
      const months = (at.getUTCFullYear() - start.getUTCFullYear()) * 12 + at.getUTCMonth() - start.getUTCMonth();
      return months % rule.every === 0 && monthly(rule, months / rule.every) === date;
    }
  }
}

/** The first occurrence on or after `from`, or null when the rule has ended by then. */
export function nextOccurrence(rule: RecurrenceRule, from: string): string | null {
  let date = from < rule.startsOn ? rule.startsOn : from;
  if (rule.frequency === 'monthly') {
    for (let index = 0; ; index += 1) {
      const candidate = monthly(rule, index);
      if (rule.endsOn !== null && candidate > rule.endsOn) return null;
      if (candidate >= date) return candidate;
    }
  }
  // Daily and weekly repeat within 7 × every days (at most 2,555 steps, 365 weeks apart).
  for (let step = 0; step <= 7 * rule.every; step += 1, date = addDays(date, 1)) {
    if (rule.endsOn !== null && date > rule.endsOn) return null;
    if (occursOn(rule, date)) return date;
  }
  return null;
}

const names = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const unit: Record<Frequency, string> = { daily: 'day', weekly: 'week', monthly: 'month' };

/** The rule as a person says it: "every 2 weeks on Monday and Thursday, until 2027-03-31". */
export function describeRule(rule: RecurrenceRule): string {
  const every = rule.every === 1 ? `every ${unit[rule.frequency]}` : `every ${rule.every} ${unit[rule.frequency]}s`;
  const on =
    rule.frequency === 'weekly' && rule.weekdays.length
      ? ` on ${[...rule.weekdays]
          .sort()
          .map((index) => names[index])
          .join(', ')
          .replace(/, ([^,]*)$/, ' and $1')}`
      : rule.frequency === 'monthly'
        ? ` on day ${Number(rule.startsOn.slice(8))}`
        : '';
  return `${every}${on}, from ${rule.startsOn}${rule.endsOn ? ` until ${rule.endsOn}` : ''}`;
}
