/**
 * A probe: one check of one component a workspace depends on (the web app, the database, a
 * standby, a backup repository), run every round by the status module. Modules contribute the
 * probes of what they own through the module contract (`probes`); the status module keeps what
 * they find per minute and turns it into uptime, alerts and the status page.
 */

/** A component's state, least to most severe (the status page's words). */
export const componentStates = ['operational', 'degraded', 'partial_outage', 'major_outage'] as const;
export type ComponentState = (typeof componentStates)[number];

export interface ProbedComponent {
  /** Stable id: `web`, `database`, `standby:dc2`, `repository:offsite`. */
  readonly id: string;
  /** What the status page calls it. */
  readonly name: string;
  /** One line on what it is, for the page. */
  readonly description: string;
  /** Whether it is shown on the status page when first probed (staff may change it); default true. */
  readonly public?: boolean;
}

export interface ProbeOutcome {
  readonly state: ComponentState;
  /** How long the check took to answer, when it measures a round trip. */
  readonly responseMs?: number;
  /** What was found, in words: "HTTP 200 in 12 ms", "replay lag 14.2 s (over 10 s)". */
  readonly message: string;
  /** Figures alert rules read by name (`lag_seconds`, `archive_lag_seconds`, `cert_days_left`, `disk_used_ratio`). */
  readonly figures?: Readonly<Record<string, number>>;
}

export interface Probe {
  readonly component: ProbedComponent;
  /** Checks once. Throwing counts as a major outage with the error's message; `signal` aborts at the round's timeout. */
  check(signal: AbortSignal): Promise<ProbeOutcome>;
}

export const severity = (state: ComponentState): number => componentStates.indexOf(state);
export const worst = (a: ComponentState, b: ComponentState): ComponentState => (severity(a) >= severity(b) ? a : b);

/** Runs `work`, and reports how long it took. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: Math.round((performance.now() - started) * 10) / 10 };
}
