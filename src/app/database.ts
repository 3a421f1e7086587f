import { chown, mkdir } from 'node:fs/promises';
import type { Config } from '../platform/config/config.js';
import { derivePassword } from '../platform/crypto/secrets.js';
import { parseDatabaseUrl, withKysely } from '../platform/db/connect.js';
import { quoteIdent } from '../platform/db/sql.js';
import { appError } from '../platform/errors.js';
import type { Logger } from '../platform/log/log.js';
import { archiveCommand, walSpoolDir } from '../platform/postgres/archive.js';
import { resolveBinaries } from '../platform/postgres/binaries.js';
import { hbaRules, replicationHbaRules } from '../platform/postgres/data-dir.js';
import { placedTlsFiles, type TlsFiles } from '../platform/postgres/tls.js';
import { ensurePostgresOsUser } from '../platform/postgres/os-user.js';
import {
  attachRunning,
  embeddedDataDir,
  embeddedSuperuser,
  embeddedTarget,
  secretKeyOf,
} from '../platform/postgres/embedded.js';
import { PostgresSupervisor } from '../platform/postgres/supervisor.js';
import { withServer, type DatabaseHandle } from '../platform/db/handle.js';
import { startWalShipping } from './backup.js';
import { migrations } from './modules.js';
import {
  hasStandbySlot,
  nodeTls,
  readModeOverride,
  readStandbyState,
  replicationRole,
  replicationSettings,
  tlsPaths,
  type StandbyState,
  type SyncWait,
} from '../modules/replication/index.js';

/** PostgreSQL 15: the oldest server Steadfast supports (DROP DATABASE ... WITH (FORCE), starts_with, ...). */
const minimumServerVersion = 150000;

/** The embedded server's settings beyond the defaults: archiving, and replication as a primary or (with `standby`) a standby. */
export function embeddedSettings(
  config: Config,
  dataDir: string,
  standby: StandbyState | undefined,
  tls: TlsFiles | undefined,
  wait: SyncWait = {},
): Record<string, string | number> {
  return {
    ...(config.walArchiving
      ? {
          archive_mode: 'on',
          archive_command: archiveCommand(walSpoolDir(dataDir)),
          archive_timeout: config.walArchiveTimeoutSeconds,
        }
      : { archive_mode: 'off' }),
    ...replicationSettings(config, standby, tls ? placedTlsFiles(dataDir, tls.crl !== undefined) : undefined, wait),
  };
}

/** Starts (initialising on first use) the embedded server under our supervision. */
export async function startEmbedded(config: Config, log: Logger): Promise<DatabaseHandle> {
  const secretKey = await secretKeyOf(config);
  const runAs = await ensurePostgresOsUser(config.postgresOsUser);
  const binaries = await resolveBinaries(runAs);
  const dataDir = await embeddedDataDir(config, runAs);
  if (!dataDir.startsWith(config.home))
    log.info(
      { home: config.home, dataDir },
      `the PostgreSQL user "${runAs?.user}" cannot reach the home directory; keeping the PostgreSQL data outside it`,
    );
  const { tls, settings } = await nodeSettings(config, log, dataDir);
  const supervisor = new PostgresSupervisor({
    dataDir,
    binaries,
    settings,
    listenAddresses: config.postgresListenAddresses,
    fixedPort: config.replicationPeers.length > 0,
    tls,
    hbaRules: hbaRules + (tls ? replicationHbaRules(config.replicationPeers, replicationRole) : ''),
    superuser: embeddedSuperuser,
    superuserPassword: derivePassword(secretKey, embeddedSuperuser),
    port: config.postgresPort,
    maxConnections: config.postgresMaxConnections,
    runAs,
    log: log.child({ component: 'postgres' }),
  });
  await supervisor.initialise();
  const spool = walSpoolDir(dataDir);
  await mkdir(spool, { recursive: true, mode: 0o700 });
  if (runAs) await chown(spool, runAs.uid, runAs.gid);
  await supervisor.start();
  return {
    admin: embeddedTarget(secretKey, supervisor.port, config.platformDatabase),
    platformDatabase: config.platformDatabase,
    secretKey,
    supervisor,
    walSpool: config.walArchiving ? spool : undefined,
    dataDir,
    mode: 'embedded-owned',
    stop: () => supervisor.stop(),
  };
}

/** This node's TLS files and its server's settings as a primary or (standby.json) a standby; a standby without TLS is refused. */
async function nodeSettings(
  config: Config,
  log: Logger,
  dataDir: string,
): Promise<{ tls: TlsFiles | undefined; settings: Record<string, string | number> }> {
  const tls = await nodeTls(config.home);
  const standby = await readStandbyState(config.home);
  if (standby && !tls)
    throw appError(
      'TLS_INCOMPLETE',
      `This node is a standby of ${standby.primary.host}:${standby.primary.port} but has no TLS files in ${tlsPaths(config.home).dir}: copy back the ca.crt, node.crt and node.key it joined with.`,
    );
  // A primary a standby has streamed from (its slot is here) waits for it from the first commit.
  const settings = embeddedSettings(config, dataDir, standby, tls, {
    override: await readModeOverride(config.home),
    forStandby: await hasStandbySlot(dataDir),
  });
  if (config.replicationPeers.length && !tls)
    log.warn(
      `replicationPeers is set but this node has no TLS files in ${tlsPaths(config.home).dir}: no standby can connect until "steadfast certs create-node" has made them.`,
    );
  return { tls, settings };
}

/**
 * For commands other than `up`: the external database if configured, else the embedded
 * server a running `steadfast up` supervises (found from its data directory), else the
 * embedded server started just for this command and stopped after it.
 */
export async function attachDatabase(config: Config, log: Logger): Promise<DatabaseHandle> {
  if (config.databaseUrl) return external(config);
  const running = await attachRunning(config);
  if (running) return running;
  log.info(`No running Steadfast found for ${config.home}; starting its PostgreSQL for this command.`);
  const owned = await startEmbedded(config, log);
  // The command's Postgres writes WAL too (a new tenant, a drill's restore point): it is shipped
  // to the repositories while the command runs, and what is left once Postgres has stopped.
  const shipping = startWalShipping(config, log, owned);
  if (!shipping) return owned;
  return {
    ...owned,
    async stop() {
      await shipping.stopStreamer();
      await owned.stop();
      await shipping.stopPusher();
    },
  };
}

async function external(config: Config): Promise<DatabaseHandle> {
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
 * Creates the platform database if it does not exist, closes the cluster's shared
 * databases to PUBLIC (so tenant roles can open nothing but their own), and applies
 * the platform migrations. Returns whether the database was created now.
 */
export async function bootstrapPlatform(handle: DatabaseHandle, log: Logger): Promise<{ created: boolean }> {
  const created = await withServer(handle, async (client) => {
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
    if (handle.mode !== 'external') {
      // The role standbys replicate as: no password, so only a client certificate (pg_hba `cert`) lets it in.
      const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [replicationRole]);
      if (role.rows.length === 0)
        await client.query(`CREATE ROLE ${quoteIdent(replicationRole)} WITH LOGIN REPLICATION`);
    }
    return rows.length === 0;
  });
  await withKysely(
    handle.admin,
    (db) => migrations.platform.migrateToLatest(db, `the platform database ${handle.platformDatabase}`),
    { applicationName: 'steadfast-migrate' },
  );
  if (created) log.info({ database: handle.platformDatabase }, 'created the platform database');
  return { created };
}
