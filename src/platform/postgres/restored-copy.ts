import { withClient, withKysely, type ConnectionTarget } from '../db/connect.js';
import type { MigrationSet } from '../db/migrator.js';
import { copyDatabaseData, type CopyDataOptions, type CopyDataResult } from './copy-data.js';

/** The databases of a recovered scratch copy of the cluster (the backup module's RestoredCopy port). */
export interface PostgresRestoredCopy {
  hasDatabase(server: ConnectionTarget, name: string): Promise<boolean>;
  migrateTenant(database: ConnectionTarget): Promise<void>;
  copyData(source: ConnectionTarget, destination: ConnectionTarget, options: CopyDataOptions): Promise<CopyDataResult>;
}

/** A recovered copy's databases, its tenant databases brought to `tenantMigrations`' latest before their data is read. */
export function postgresRestoredCopy(tenantMigrations: MigrationSet): PostgresRestoredCopy {
  return {
    hasDatabase: (server, name) =>
      withClient(
        server,
        async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
      ),
    async migrateTenant(database) {
      await withKysely(
        database,
        (db) => tenantMigrations.migrateToLatest(db, `the restored copy of ${database.database}`),
        { applicationName: 'steadfast-restore' },
      );
    },
    copyData: copyDatabaseData,
  };
}
