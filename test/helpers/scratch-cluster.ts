import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { withClient, type ConnectionTarget } from '../../src/platform/db/connect.js';
import { silentLogger } from '../../src/platform/log/log.js';
import { archiveCommand } from '../../src/platform/postgres/archive.js';
import { resolveBinaries } from '../../src/platform/postgres/binaries.js';
import { ensurePostgresOsUser, type RunAs } from '../../src/platform/postgres/os-user.js';
import { PostgresSupervisor } from '../../src/platform/postgres/supervisor.js';

export const scratchPassword = 'scratch-superuser-password';

export interface ScratchCluster {
  readonly dir: string;
  /** Where archive_command puts WAL, when started with `archive`. */
  readonly spool: string;
  readonly dataDir: string;
  readonly runAs: RunAs | undefined;
  readonly supervisor: PostgresSupervisor;
  /** The superuser on the `postgres` database. */
  target(database?: string): ConnectionTarget;
  sql<R extends Record<string, unknown>>(text: string, values?: unknown[], database?: string): Promise<R[]>;
  /** Starts another server on a data directory (a restored one), with the same superuser. */
  startOn(dataDir: string): Promise<{ target: (database?: string) => ConnectionTarget; stop(): Promise<void> }>;
  stop(): Promise<void>;
}

/** A small embedded cluster of a test's own (for backup, restore and failover tests). */
export async function startScratchCluster(
  name = 'scratch',
  options: { archive?: boolean; archiveTimeoutSeconds?: number; restartOnCrash?: boolean } = {},
): Promise<ScratchCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), `steadfast-${name}-`));
  await chmod(dir, 0o755);
  const runAs = await ensurePostgresOsUser('steadfast-pg');
  const binaries = await resolveBinaries(runAs);
  const spool = path.join(dir, 'wal-spool');
  const settings: Record<string, string | number> = options.archive
    ? { archive_mode: 'on', archive_command: archiveCommand(spool) }
    : {};
  if (options.archiveTimeoutSeconds) settings.archive_timeout = options.archiveTimeoutSeconds;
  const make = (dataDir: string) =>
    new PostgresSupervisor({
      dataDir,
      binaries,
      superuser: 'steadfast',
      superuserPassword: scratchPassword,
      port: 0,
      maxConnections: 30,
      runAs,
      log: silentLogger(),
      settings,
      restartOnCrash: options.restartOnCrash ?? true,
    });
  const dataDir = path.join(dir, 'primary', 'data');
  const supervisor = make(dataDir);
  await supervisor.initialise();
  if (options.archive) {
    await mkdir(spool, { recursive: true, mode: 0o700 });
    if (runAs) await chown(spool, runAs.uid, runAs.gid);
  }
  await supervisor.start();
  const targetOn =
    (port: number) =>
    (database = 'postgres'): ConnectionTarget => ({
      host: '127.0.0.1',
      port,
      user: 'steadfast',
      password: scratchPassword,
      database,
    });
  const target = targetOn(supervisor.port);
  const others: PostgresSupervisor[] = [];
  return {
    dir,
    spool,
    dataDir,
    runAs,
    supervisor,
    target,
    sql: (text, values = [], database = 'postgres') =>
      withClient(target(database), async (client) => (await client.query(text, values)).rows),
    async startOn(otherDataDir) {
      const other = make(otherDataDir);
      others.push(other);
      await other.start();
      return { target: targetOn(other.port), stop: () => other.stop() };
    },
    async stop() {
      await Promise.all(others.map((other) => other.stop()));
      await supervisor.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
