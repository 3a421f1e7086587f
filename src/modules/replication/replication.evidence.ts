import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../platform/db/schema.js';
import type { Evidence } from '../../platform/evidence.js';
import { lastFailoverDrills } from './replication.drills.js';

/** A failover drill older than this is stale: they are run at least monthly, and after every change to replication. */
export const failoverDrillStaleHours = 31 * 24;

const how =
  'The failover drill runs a write load through the API, kills the primary, and measures the time until the standby ' +
  'accepts writes through the API again (RTO), and which acknowledged writes the new primary lacks (RPO).';

/** What the failover drills prove, for the trust page: the last of each replication mode. */
export async function failoverEvidence(db: Kysely<PlatformTables>): Promise<Evidence[]> {
  const drills = await lastFailoverDrills(db);
  if (drills.length === 0)
    return [
      {
        id: 'failover-drill',
        section: 'Failover',
        label: 'Failover to a standby',
        value: 'No failover drill has run yet.',
        measuredAt: undefined,
        renewedWithinHours: failoverDrillStaleHours,
        how,
      },
    ];
  return drills.map((drill) => ({
    id: `failover-drill:${drill.mode}`,
    section: 'Failover',
    label: `Failover to a standby (${drill.mode} replication)`,
    value: drill.passed
      ? `Passed over ${drill.trials} trial(s): writes accepted again within ${drill.rtoP99Seconds?.toFixed(1) ?? '?'} s (p99); ${
          drill.lost === 0
            ? 'no acknowledged write lost.'
            : `${drill.lost} acknowledged write(s) lost, the last ${Math.round(drill.rpoP99Ms ?? 0)} ms (p99) before the failure.`
        }`
      : 'Failed. The operators were alerted; the next drill will say whether it is mended.',
    measuredAt: new Date(drill.finishedAt),
    renewedWithinHours: failoverDrillStaleHours,
    how,
    ...(drill.passed ? {} : { failed: true }),
  }));
}
