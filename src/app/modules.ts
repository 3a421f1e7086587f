import { backupModule } from '../modules/backup/index.js';
import { identityModule } from '../modules/identity/index.js';
import { replicationModule } from '../modules/replication/index.js';
import { alertsModule } from '../modules/alerts/index.js';
import { statusModule } from '../modules/status/index.js';
import { tenancyModule } from '../modules/tenancy/index.js';
import { workModule } from '../modules/work/index.js';
import { migrationSets } from '../platform/db/migrator.js';

/**
 * The modules of this build, in the order their routes, jobs and gauges are registered.
 * Adding a module is a folder under src/modules and one line here.
 */
export const modules = [
  tenancyModule,
  identityModule,
  workModule,
  backupModule,
  replicationModule,
  statusModule,
  alertsModule,
] as const;

/** The platform's and every module's migrations: one set for the platform database, one for each tenant's. */
export const migrations = migrationSets(modules.map((module) => module.migrations ?? {}));
