import path from 'node:path';
import type { Config } from '../platform/config/config.js';
import { derivePassword, loadOrCreateSecretKey } from '../platform/crypto/secrets.js';
import { createKysely, createPool, parseDatabaseUrl, withClient, type ConnectionTarget } from '../platform/db/connect.js';
import { migrateToLatest } from '../platform/db/migrator.js';
import { quoteIdent } from '../platform/db/sql.js';
import { appError } from '../platform/errors.js';
import type { Logger } from '../platform/log/log.js';
import { resolveBinaries } from '../platform/postgres/binaries.js';
import { isProcessAlive, readPostmasterPid } from '../platform/postgres/data-dir.js';
import { ensurePostgresOsUser } from '../platform/postgres/os-user.js';
import { PostgresSupervisor } from '../platform/postgres/supervisor.js';

/** The superuser of an embedded cluster; its password is derived from the secret key. */
export const embeddedSuperuser = 'steadfast';

/** How this process reaches PostgreSQL, and who stops it when we are done. */
export interface DatabaseHandle {
  /** The platform database, as the administrative role. */
  readonly admin: ConnectionTarget;
  readonly platformDatabase: string;
  readonly secretKey: string;
  /** Set when this process started (and supervises) the embedded server. */
  readonly supervisor?: PostgresSupervisor;
  readonly mode: 'external' | 'embedded-owned' | 'embedded-attached';
  /** Stops the embedded server if this process started it. */
  stop(): Promise<void>;
}

export function embeddedDataDir(config: Config): string {
  return path.join(config.home, 'postgres', 'data');
}

async function secretKeyOf(config: Config): Promise<string> {
  return config.secretKey ?? loadOrCreateSecretKey(config.home);
}

/** Starts (initialising on first use) the embedded server under our supervision. */
export async function startEmbedded(config: Config, log: Logger): Promise<DatabaseHandle> {
  const secretKey = await secretKeyOf(config);
  const runAs = await ensurePostgresOsUser(config.postgresOsUser);
  const binaries = await resolveBinaries(runAs);
  const supervisor = new PostgresSupervisor({
    dataDir: embeddedDataDir(config),
    binaries,
    superuser: embeddedSuperuser,
    superuserPassword: derivePassword(secretKey, embeddedSuperuser),
    port: config.postgresPort,
    maxConnections: config.postgresMaxConnections,
    runAs,
    log: log.child({ component: 'postgres' }),
  });
  await supervisor.initialise();
  await supervisor.start();
  return {
    admin: embeddedTarget(secretKey, supervisor.port, config.platformDatabase),
    platformDatabase: config.platformDatabase,
    secretKey,
    supervisor,
    mode: 'embedded-owned',
    stop: () => supervisor.stop(),
  };
}

/**
 * For commands other than `up`: the external database if configured, else the embedded
 * server a running `steadfast up` supervises (found from its data directory), else the
 * embedded server started just for this command and stopped after it.
 */
export async function attachDatabase(config: Config, log: Logger): Promise<DatabaseHandle> {
  if (config.databaseUrl) return external(config);
  const running = await readPostmasterPid(embeddedDataDir(config));
  if (running && isProcessAlive(running.pid) && running.status === 'ready') {
    const secretKey = await secretKeyOf(config);
    return {
      admin: embeddedTarget(secretKey, running.port, config.platformDatabase),
      platformDatabase: config.platformDatabase,
      secretKey,
      mode: 'embedded-attached',
      stop: async () => undefined,
    };
  }
  log.info(`No running Steadfast found for ${config.home}; starting its PostgreSQL for this command.`);
  return startEmbedded(config, log);
}

async function external(config: Config): Promise<DatabaseHandle> {
  const admin = parseDatabaseUrl(config.databaseUrl!);
  if (!/^[a-z][a-z0-9_]{0,19}$/.test(admin.database)) {
    throw appError('CONFIG_INVALID', `The database in DATABASE_URL ("${admin.database}") names the platform database and prefixes tenant databases, so it must be 1-20 characters of a-z, 0-9 and _, starting with a letter.`);
  }
  return { admin, platformDatabase: admin.database, secretKey: await secretKeyOf(config), mode: 'external', stop: async () => undefined };
}

function embeddedTarget(secretKey: string, port: number, database: string): ConnectionTarget {
  return { host: '127.0.0.1', port, user: embeddedSuperuser, password: derivePassword(secretKey, embeddedSuperuser), database };
}

/**
 * Creates the platform database if it does not exist, closes the cluster's shared
 * databases to PUBLIC (so tenant roles can open nothing but their own), and applies
 * the platform migrations. Returns whether the database was created now.
 */
export async function bootstrapPlatform(handle: DatabaseHandle, log: Logger): Promise<{ created: boolean }> {
  const maintenance = { ...handle.admin, database: 'postgres' };
  const created = await withClient(maintenance, async (client) => {
    const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [handle.platformDatabase]);
    if (rows.length === 0) await client.query(`CREATE DATABASE ${quoteIdent(handle.platformDatabase)} ENCODING 'UTF8' TEMPLATE template0`);
    for (const database of ['postgres', 'template1', handle.platformDatabase]) {
      await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(database)} FROM PUBLIC`).catch((error: Error) => {
        log.warn({ database, err: error }, 'could not revoke CONNECT from PUBLIC; tenant roles may open this database');
      });
    }
    return rows.length === 0;
  });
  const pool = createPool(handle.admin, { max: 1, applicationName: 'steadfast-migrate' });
  const db = createKysely<unknown>(pool);
  try {
    await migrateToLatest(db, 'platform', `the platform database ${handle.platformDatabase}`);
  } finally {
    await db.destroy();
  }
  if (created) log.info({ database: handle.platformDatabase }, 'created the platform database');
  return { created };
}
