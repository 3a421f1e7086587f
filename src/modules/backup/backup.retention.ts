/**
 * Retention in calendar terms, per repository: keep the latest backup of each of the
 * last N days, N weeks (ISO weeks) and N months that have a backup, in the operator's
 * time zone; the newest backup is always kept. What is kept is the union of the three.
 */
export interface RetentionPolicy {
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
}

export interface RetentionPlan {
  readonly keep: string[];
  readonly remove: string[];
}

/** Calendar parts of a moment in a time zone. */
function calendar(at: Date, timeZone: string): { day: string; week: string; month: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  ) as { year: string; month: string; day: string };
  const day = `${parts.year}-${parts.month}-${parts.day}`;
  // ISO week of that calendar day: Thursday decides the year.
  const date = new Date(`${day}T00:00:00Z`);
  const weekday = (date.getUTCDay() + 6) % 7;
  date.setUTCDate(date.getUTCDate() - weekday + 3);
  const isoYear = date.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(isoYear, 0, 4));
  const week =
    1 +
    Math.round(
      (date.getTime() - firstThursday.getTime()) / 86_400_000 / 7 - ((firstThursday.getUTCDay() + 6) % 7) / 7 + 3 / 7,
    );
  return { day, week: `${isoYear}-W${String(week).padStart(2, '0')}`, month: `${parts.year}-${parts.month}` };
}

/** Which backups (by id, with the moment each finished) a policy keeps. */
export function planRetention(
  backups: ReadonlyArray<{ id: string; finishedAt: Date }>,
  policy: RetentionPolicy,
  timeZone: string,
): RetentionPlan {
  const newestFirst = [...backups].sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime());
  const keep = new Set<string>();
  if (newestFirst[0]) keep.add(newestFirst[0].id);
  for (const [period, count] of [
    ['day', policy.daily],
    ['week', policy.weekly],
    ['month', policy.monthly],
  ] as const) {
    const seen = new Set<string>();
    for (const backup of newestFirst) {
      const bucket = calendar(backup.finishedAt, timeZone)[period];
      if (seen.has(bucket)) continue;
      if (seen.size >= count) break;
      seen.add(bucket);
      keep.add(backup.id);
    }
  }
  const ordered = [...backups].sort((a, b) => a.id.localeCompare(b.id)).map((backup) => backup.id);
  return { keep: ordered.filter((id) => keep.has(id)), remove: ordered.filter((id) => !keep.has(id)) };
}
