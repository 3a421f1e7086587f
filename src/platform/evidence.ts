/**
 * Evidence: a measured, dated figure a module publishes on the trust page (beside the status
 * page), such as the last verified restore or a repository's newest backup. Each says how it was
 * measured, and how often it is renewed: a figure older than that is stale, and the page says so.
 */
export interface Evidence {
  /** Stable id (`restore-drill`, `repository:offsite`). */
  readonly id: string;
  /** The heading it is shown under: Restores, Backups, Replication. */
  readonly section: EvidenceSection;
  readonly label: string;
  /** The figure in words: "Passed: 2.1 GB restored and checked in 48 s". */
  readonly value: string;
  /** When it was measured; undefined when it never was (the value says why). */
  readonly measuredAt: Date | undefined;
  /** The promise: renewed at least this often (hours); undefined for a setting, which is never stale. */
  readonly renewedWithinHours: number | undefined;
  /** How it was measured, in a sentence or two a customer can check. */
  readonly how: string;
  /** The measurement itself says the promise is broken (a drill failed), whatever its age. */
  readonly failed?: boolean;
}

export const evidenceSections = ['Restores', 'Backups', 'Replication', 'Failover'] as const;
export type EvidenceSection = (typeof evidenceSections)[number];

/** Whether a figure is older than its promise at `now` (one never measured is stale too, unless it is a setting). */
export function isStale(evidence: Evidence, now: Date): boolean {
  if (evidence.renewedWithinHours === undefined) return false;
  if (!evidence.measuredAt) return true;
  return now.getTime() - evidence.measuredAt.getTime() > evidence.renewedWithinHours * 3_600_000;
}
