/** Dates and times on the monitoring screens: in the reader's time zone, saying which. */

/** The reader's time zone as a person reads it: "Europe/Berlin (UTC+01:00)". */
export function timeZoneLabel(at: Date = new Date()): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone === 'UTC' || zone === 'Etc/UTC') return 'UTC';
  const offset = -at.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offset) % 60).padStart(2, '0');
  return `${zone} (UTC${sign}${hours}:${minutes})`;
}

/** A moment with its day: "Tue, Mar 5, 1:00 AM". */
export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString([], {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  });
}

/** A moment to the second, for a timeline. */
export function exactTime(iso: string): string {
  return new Date(iso).toLocaleString([], {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** A moment a while ago in words: "just now", "5 min ago", "3 h ago", else the date. */
export function ago(iso: string, now = Date.now()): string {
  const minutes = Math.round((now - new Date(iso).getTime()) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 24 * 60) return `${Math.round(minutes / 60)} h ago`;
  return dateTime(iso);
}

/** From one moment to another: the end's date only when it is another day. */
export function span(startIso: string, endIso: string): string {
  const start = new Date(startIso);
  const end = new Date(endIso);
  const endText =
    start.toDateString() === end.toDateString()
      ? end.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' })
      : dateTime(endIso);
  return `${dateTime(startIso)} to ${endText}`;
}

/** A `datetime-local` input's value (the reader's wall clock) as an ISO instant in UTC; undefined when empty or unreadable. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A moment as a `datetime-local` input's value, in the reader's wall clock, to the minute. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A length of time in minutes as one says it: "0.4 min", "45 min", "2 h 5 min", "3 d 4 h". */
export function minutesText(minutes: number): string {
  if (minutes > 0 && minutes < 10 && !Number.isInteger(minutes)) return `${Number(minutes.toFixed(1))} min`;
  const whole = Math.round(minutes);
  if (whole < 60) return `${whole} min`;
  const days = Math.floor(whole / 1440);
  const hours = Math.floor((whole % 1440) / 60);
  const rest = whole % 60;
  if (days > 0) return [`${days} d`, hours ? `${hours} h` : ''].filter(Boolean).join(' ');
  return [`${hours} h`, rest ? `${rest} min` : ''].filter(Boolean).join(' ');
}
