import { randomBytes } from 'node:crypto';
import { chown, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { appError } from '../errors.js';

/** What `postmaster.pid` says about a running (or crashed) server. */
export interface PostmasterInfo {
  readonly pid: number;
  readonly port: number;
  /** `starting`, `stopping`, `ready` or `standby`; empty while the file is being written. */
  readonly status: string;
}

/** Reads `postmaster.pid`; undefined when there is none (the server is stopped). */
export async function readPostmasterPid(dataDir: string): Promise<PostmasterInfo | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, port, status: (lines[7] ?? '').trim() };
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `postmaster.pid` says the server accepts connections: a primary (`ready`) or a standby in recovery (`standby`). */
export const acceptsConnections = (info: PostmasterInfo): boolean =>
  info.status === 'ready' || info.status === 'standby';

/**
 * Whether the server `postmaster.pid` names is running: its process is alive and is a
 * postgres (after a reboot the pid may belong to something else; Postgres itself then
 * treats the file as stale, and so do we).
 */
export async function isPostmasterRunning(info: PostmasterInfo): Promise<boolean> {
  if (!isProcessAlive(info.pid)) return false;
  try {
    return (await readFile(`/proc/${info.pid}/comm`, 'utf8')).trim() === 'postgres';
  } catch {
    return true; // No /proc (or no access): trust the liveness check.
  }
}

/** Refuses a data directory a running PostgreSQL serves: another Steadfast (or a stray server) has it. */
export async function assertNotServed(dataDir: string): Promise<void> {
  const running = await readPostmasterPid(dataDir);
  if (running && (await isPostmasterRunning(running)))
    throw appError(
      'POSTGRES_ALREADY_RUNNING',
      `PostgreSQL (pid ${running.pid}, port ${running.port}) is already running on ${dataDir}: another Steadfast is using this data directory. Stop it first, or set STEADFAST_HOME to another directory.`,
    );
}

/** The major version that made a data directory (`PG_VERSION`), or undefined if there is none. */
export async function readDataDirMajor(dataDir: string): Promise<number | undefined> {
  try {
    return Number((await readFile(path.join(dataDir, 'PG_VERSION'), 'utf8')).trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Client authentication: TCP only, passwords by SCRAM. Which database a tenant role may
 * open is enforced by the CONNECT privilege, not here.
 */
export const hbaRules = `# Written by Steadfast; edits are replaced at the next start.
# TCP on loopback only, SCRAM passwords. Tenant roles can open only their own database (CONNECT privilege).
host    all          all          127.0.0.1/32    scram-sha-256
host    all          all          ::1/128         scram-sha-256
# Base backups and WAL streaming by Steadfast's own superuser, on loopback.
host    replication  steadfast    127.0.0.1/32    scram-sha-256
`;

/**
 * The rules that let the other nodes replicate: only `role`, only from `peers` (addresses or
 * CIDR ranges), only over TLS, authenticated by a client certificate of our CA whose common
 * name is the role (`cert`: no password exists for it). Everything else from a peer is refused.
 */
export function replicationHbaRules(peers: readonly string[], role: string): string {
  if (peers.length === 0) return '';
  const lines = peers.map(
    (peer) =>
      `hostssl replication  ${role}  ${peer.includes('/') ? peer : `${peer}/${peer.includes(':') ? 128 : 32}`}  cert`,
  );
  return `# Streaming replication from the peers in replicationPeers: TLS with a certificate of this installation's CA.\n${lines.join('\n')}\n`;
}

/** Server settings that Steadfast owns, rewritten on every start so config changes apply. */
export function steadfastConf(settings: Record<string, string | number>): string {
  // PostgreSQL's configuration parser reads backslash escapes inside quotes: both \ and ' are doubled.
  const lines = Object.entries(settings).map(
    ([key, value]) =>
      `${key} = ${typeof value === 'number' ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`}`,
  );
  return `# Written by Steadfast on every start; put your own settings in postgresql.auto.conf (ALTER SYSTEM).\n${lines.join('\n')}\n`;
}

/**
 * Writes a file under a temporary name, flushes it, renames it and flushes the directory, so a
 * crash or a power cut leaves the old or the new file, and once this returns, the new one (a
 * fencing mark must survive the machine losing power right after).
 */
export async function writeFileAtomic(
  file: string,
  content: string,
  owner?: { uid: number; gid: number },
): Promise<void> {
  // PostgreSQL's temporary-file prefix: a base backup running meanwhile (BASE_BACKUP, or ours)
  // skips it, instead of failing on a file its server may not read, or copying a half-written one.
  const temporary = path.join(
    path.dirname(file),
    `pgsql_tmp.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}`,
  );
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (owner) await chown(temporary, owner.uid, owner.gid);
  await rename(temporary, file);
  const directory = await open(path.dirname(file), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
