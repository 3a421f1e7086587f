import { createKysely, createPool, withClient, type ConnectionTarget } from '../db/connect.js';
import { migrateToLatest } from '../db/migrator.js';
import { copyDatabaseData, type CopyDataOptions, type CopyDataResult } from './copy-data.js';

/** The databases of a recovered scratch copy of the cluster (the backup module's RestoredCopy port). */
export interface PostgresRestoredCopy {
  hasDatabase(server: ConnectionTarget, name: string): Promise<boolean>;
  migrateTenant(database: ConnectionTarget): Promise<void>;
  copyData(source: ConnectionTarget, destination: ConnectionTarget, options: CopyDataOptions): Promise<CopyDataResult>;
}

export const postgresRestoredCopy: PostgresRestoredCopy = {
  hasDatabase: (server, name) =>
    withClient(
      server,
      async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
    ),
  async migrateTenant(database) {
    const db = createKysely<unknown>(
      createPool(database, { max: 1, idleSeconds: 1, applicationName: 'steadfast-restore' }),
    );
    try {
      await migrateToLatest(db, 'tenant', `the restored copy of ${database.database}`);
    } finally {
      await db.destroy();
    }
  },
  copyData: copyDatabaseData,
};
