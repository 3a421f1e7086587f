import type { Priority, StateGroup } from './types';

/** Words for the values the API sends as codes. */
export const priorityWords: Record<Priority, string> = {
  none: 'No priority',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  urgent: 'Urgent',
};

export const groupWords: Record<StateGroup, string> = {
  backlog: 'Backlog',
  unstarted: 'Not started',
  started: 'Started',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

/** A calendar date (YYYY-MM-DD, no time zone) as the reader's locale writes it: "Jun 3" this year, "Jun 3, 2027" otherwise. */
export function day(date: string | null): string {
  if (!date) return '—';
  const [year, month, dayOfMonth] = date.split('-').map(Number);
  const value = new Date(year!, month! - 1, dayOfMonth!);
  const thisYear = value.getFullYear() === new Date().getFullYear();
  return value.toLocaleDateString([], { month: 'short', day: 'numeric', ...(thisYear ? {} : { year: 'numeric' }) });
}

/** Today as YYYY-MM-DD in the reader's time zone. */
export function today(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const steps: Array<[unit: Intl.RelativeTimeFormatUnit, seconds: number]> = [
  ['year', 31_536_000],
  ['month', 2_592_000],
  ['week', 604_800],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
];

/** A moment as one says it: "just now", "2 minutes ago", "yesterday", "3 weeks ago". */
export function ago(iso: string): string {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  if (Math.abs(seconds) < 45) return 'just now';
  for (const [unit, size] of steps)
    if (Math.abs(seconds) >= size || unit === 'minute') return relative.format(Math.round(seconds / size), unit);
  return 'just now';
}

/** The full date and time, for a tooltip beside `ago`. */
export const exactly = (iso: string): string =>
  new Date(iso).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });

const sizeUnits = ['KB', 'MB', 'GB'] as const;

/** A size in bytes as one reads it: "512 bytes", "14 KB", "2.4 MB" (units of 1024, one decimal below 10). */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  let value = bytes;
  let unit: (typeof sizeUnits)[number] = 'KB';
  for (unit of sizeUnits) {
    value /= 1024;
    if (value < 1024) break;
  }
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value)} ${unit}`;
}

/** Initials of a name: "Ada Lovelace" → "AL", "max" → "MA". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  if (words.length === 1) return words[0]!.slice(0, 2).toUpperCase();
  return (words[0]![0]! + words[words.length - 1]![0]!).toUpperCase();
}

/** A key suggested from a project's name: "Mobile App" → "MA", "Operations" → "OPS". */
export function suggestKey(name: string): string {
  const words = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9\s]/g, '')
    .split(/\s+/)
    .filter(Boolean);
  const key =
    words.length > 1
      ? words
          .map((word) => word[0])
          .join('')
          .slice(0, 5)
      : (words[0] ?? '').replace(/[aeiou]/gi, (vowel, at: number) => (at === 0 ? vowel : '')).slice(0, 3);
  const cleaned = key.toUpperCase().replace(/^[0-9]+/, '');
  return cleaned.length >= 2
    ? cleaned
    : (words[0] ?? '')
        .toUpperCase()
        .replace(/^[0-9]+/, '')
        .slice(0, 3);
}

/** The handle one mentions a person by: their address before the @. */
export const handleOf = (email: string): string => email.split('@')[0] ?? email;
