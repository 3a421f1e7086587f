import type { Config } from '../platform/config/config.js';
import { derivePassword } from '../platform/crypto/secrets.js';
import { withKysely } from '../platform/db/connect.js';
import { externalDatabase, prepareCluster } from '../platform/db/bootstrap.js';
import { appError } from '../platform/errors.js';
import type { Logger } from '../platform/log/log.js';
import { archiveCommand, prepareWalSpool, walSpoolDir } from '../platform/postgres/archive.js';
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
import type { DatabaseHandle } from '../platform/db/handle.js';
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
  const spool = await prepareWalSpool(dataDir, runAs);
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
  if (config.databaseUrl) return externalDatabase(config);
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

/**
 * Creates the platform database if it does not exist, closes the cluster's shared
 * databases to PUBLIC (so tenant roles can open nothing but their own), and applies
 * the platform migrations. Returns whether the database was created now.
 */
export async function bootstrapPlatform(handle: DatabaseHandle, log: Logger): Promise<{ created: boolean }> {
  // The role standbys replicate as: no password, so only a client certificate (pg_hba `cert`) lets it in.
  const replicationRoles = handle.mode === 'external' ? [] : [replicationRole];
  const { created } = await prepareCluster(handle, log, { replicationRoles });
  await withKysely(
    handle.admin,
    (db) => migrations.platform.migrateToLatest(db, `the platform database ${handle.platformDatabase}`),
    { applicationName: 'steadfast-migrate' },
  );
  if (created) log.info({ database: handle.platformDatabase }, 'created the platform database');
  return { created };
}
