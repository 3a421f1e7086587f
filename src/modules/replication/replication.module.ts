import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { Config } from '../../platform/config/config.js';
import type { PlatformTables } from '../../platform/db/schema.js';
import type { SteadfastModule } from '../../platform/module.js';
import { failoverDrillGauges, replicationGauges, type ReplicationSource } from './replication.metrics.js';
import { failoverEvidence } from './replication.evidence.js';
import { standbyProbes } from './replication.probes.js';
import { drillApi, drillAuthenticator } from './replication.routes.js';

/** What replication needs of the running platform. */
export interface ReplicationModuleContext {
  readonly config: Pick<Config, 'drillWriteToken'>;
  readonly db: Kysely<PlatformTables>;
  /** Replication as this server sees it (an embedded PostgreSQL); absent against an external database. */
  readonly replication?: ReplicationSource | undefined;
}

/**
 * Replication's part of the platform: its gauges, its records, a probe per standby, and, only in
 * a failover drill's own app process (STEADFAST_DRILL_WRITE_TOKEN), the drill's write route and its token.
 */
export const replicationModule: SteadfastModule<ReplicationModuleContext> = {
  name: 'replication',
  migrations: { platform: fileURLToPath(new URL('./migrations/platform', import.meta.url)) },
  authenticators: ({ config }) => (config.drillWriteToken ? [drillAuthenticator(config.drillWriteToken)] : []),
  tenantApi: async (api, { config, db }) => {
    if (config.drillWriteToken) await drillApi(api, db);
  },
  probes: ({ replication }) => (replication ? standbyProbes(replication) : []),
  evidence: ({ db }) => failoverEvidence(db),
  metrics: ({ db, replication }) => [
    ...(replication ? replicationGauges(replication) : []),
    ...failoverDrillGauges(db),
  ],
};
