/** Calendar months as the SLA reports count them: `YYYY-MM`, in UTC. */

const monthPattern = /^\d{4}-(0[1-9]|1[0-2])$/;

export const isMonth = (value: string | undefined): value is string => !!value && monthPattern.test(value);

/** The month `delta` months from `month`. */
export function shiftMonth(month: string, delta: number): string {
  const [year, index] = month.split('-').map(Number) as [number, number];
  const date = new Date(Date.UTC(year, index - 1 + delta, 1));
  return date.toISOString().slice(0, 7);
}

/** This month, in UTC. */
export const thisMonth = (now = new Date()) => now.toISOString().slice(0, 7);

/** The last whole month: what a report is usually about. */
export const lastFullMonth = (now = new Date()) => shiftMonth(thisMonth(now), -1);

/** "March 2027". */
export function monthName(month: string): string {
  return new Date(`${month}-01T00:00:00Z`).toLocaleDateString([], { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** An availability (0..1) as a percentage with three decimals, or "No data". */
export const percent = (availability: number | null) =>
  availability === null ? 'No data' : `${(availability * 100).toFixed(3)} %`;

/** A target (0.999) as "99.9 %". */
export const targetText = (target: number) => `${Number((target * 100).toFixed(3))} %`;

/** The report's address under /api/v1, for a download in `format`. */
export const reportUrl = (month: string, tenant: string | undefined, format: 'csv' | 'pdf') =>
  `/api/v1/console/status/reports/${month}${tenant ? `/${encodeURIComponent(tenant)}` : ''}?format=${format}`;
