import type { Config } from '../config/config.js';
import { appError } from '../errors.js';
import type { Logger } from '../log/log.js';
import { secretKeyOf } from '../postgres/embedded.js';
import { parseDatabaseUrl } from './connect.js';
import { withServer, type DatabaseHandle } from './handle.js';
import { quoteIdent } from './sql.js';

/** PostgreSQL 15: the oldest server Steadfast supports (DROP DATABASE ... WITH (FORCE), starts_with, ...). */
const minimumServerVersion = 150000;

/** The database at DATABASE_URL: this process neither starts nor stops it. */
export async function externalDatabase(config: Config): Promise<DatabaseHandle> {
  // The config schema has checked that the URL's database name can prefix tenant databases.
  const admin = parseDatabaseUrl(config.databaseUrl!);
  return {
    admin,
    platformDatabase: admin.database,
    secretKey: await secretKeyOf(config),
    mode: 'external',
    stop: async () => undefined,
  };
}

/**
 * Readies the server for the platform: refuses one older than 15, creates the platform
 * database if it does not exist, closes the cluster's shared databases to PUBLIC (so tenant
 * roles can open nothing but their own) and creates the `replicationRoles` (login, replication,
 * no password). Returns whether the platform database was created now.
 */
export async function prepareCluster(
  handle: DatabaseHandle,
  log: Logger,
  options: { replicationRoles: readonly string[] },
): Promise<{ created: boolean }> {
  return withServer(handle, async (client) => {
    const version = await client.query<{ num: string; text: string }>(
      "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text",
    );
    if (Number(version.rows[0]!.num) < minimumServerVersion) {
      throw appError(
        'POSTGRES_UNSUPPORTED',
        `The PostgreSQL at ${handle.admin.host}:${handle.admin.port} is version ${version.rows[0]!.text}; Steadfast needs 15 or newer. Upgrade it, or unset DATABASE_URL to use the embedded PostgreSQL 18.`,
      );
    }
    const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [handle.platformDatabase]);
    if (rows.length === 0)
      await client.query(`CREATE DATABASE ${quoteIdent(handle.platformDatabase)} ENCODING 'UTF8' TEMPLATE template0`);
    for (const database of ['postgres', 'template1', handle.platformDatabase]) {
      await client
        .query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(database)} FROM PUBLIC`)
        .catch((error: Error) => {
          log.warn(
            { database, err: error },
            'could not revoke CONNECT from PUBLIC; tenant roles may open this database',
          );
        });
    }
    for (const role of options.replicationRoles) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.rows.length === 0) await client.query(`CREATE ROLE ${quoteIdent(role)} WITH LOGIN REPLICATION`);
    }
    return { created: rows.length === 0 };
  });
}
