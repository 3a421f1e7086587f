import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { derivePassword, loadOrCreateSecretKey } from '../crypto/secrets.js';
import type { ConnectionTarget } from '../db/connect.js';
import type { DatabaseHandle } from '../db/handle.js';
import { acceptsConnections, isPostmasterRunning, readDataDirMajor, readPostmasterPid } from './data-dir.js';
import { ensurePostgresOsUser, isReachableBy, isRoot, type RunAs } from './os-user.js';

/*
 * Where an embedded cluster of a home lives and how this machine reaches it: what a command,
 * a node or a drill needs to find a running embedded server without starting one.
 */

/** The superuser of an embedded cluster; its password is derived from the secret key. */
export const embeddedSuperuser = 'steadfast';

/** Where clusters go when Steadfast runs as root from a home the Postgres user cannot reach (e.g. /root). */
export const rootFallbackClusters = '/var/lib/steadfast/clusters';

/**
 * The embedded cluster's data directory: `<home>/postgres/data`, unless we are root and
 * the Postgres OS user cannot reach the home (a checkout under /root, mode 0700). Then it
 * is kept under /var/lib/steadfast, named after the home, so `npm start` works there too.
 * A data directory that already exists in either place wins, so the choice never flips.
 */
export async function embeddedDataDir(config: Config, runAs?: RunAs): Promise<string> {
  const inHome = path.join(config.home, 'postgres', 'data');
  const fallback = path.join(
    rootFallbackClusters,
    createHash('sha256').update(config.home).digest('hex').slice(0, 16),
    'data',
  );
  if ((await readDataDirMajor(inHome)) !== undefined) return inHome;
  if ((await readDataDirMajor(fallback)) !== undefined) return fallback;
  if (!runAs || (await isReachableBy(config.home, runAs)).ok) return inHome;
  return fallback;
}

/** The embedded cluster's secret key: configured, or the home's own (made on first use). */
export async function secretKeyOf(config: Config): Promise<string> {
  return config.secretKey ?? loadOrCreateSecretKey(config.home);
}

/** The embedded PostgreSQL of this home when it runs and takes connections (a primary or a standby), else undefined. */
export async function attachRunning(config: Config): Promise<(DatabaseHandle & { port: number }) | undefined> {
  const dataDir = await embeddedDataDir(config, await currentRunAs(config));
  const running = await readPostmasterPid(dataDir);
  if (!running || !acceptsConnections(running) || !(await isPostmasterRunning(running))) return undefined;
  const secretKey = await secretKeyOf(config);
  return {
    admin: embeddedTarget(secretKey, running.port, config.platformDatabase),
    platformDatabase: config.platformDatabase,
    secretKey,
    dataDir,
    port: running.port,
    mode: 'embedded-attached',
    stop: async () => undefined,
  };
}

/** The Postgres OS user when we are root (created if missing, as `up` would), to find its data directory. */
async function currentRunAs(config: Config): Promise<RunAs | undefined> {
  return isRoot() ? ensurePostgresOsUser(config.postgresOsUser) : undefined;
}

/** How the administrative role reaches the embedded server on this machine. */
export function embeddedTarget(secretKey: string, port: number, database: string): ConnectionTarget {
  return {
    host: '127.0.0.1',
    port,
    user: embeddedSuperuser,
    password: derivePassword(secretKey, embeddedSuperuser),
    database,
  };
}
