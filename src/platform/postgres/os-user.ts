import { execFile } from 'node:child_process';
import { cp, mkdir, rename, rm, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { appError } from '../errors.js';

const run = promisify(execFile);

/** The OS identity Postgres runs as: ours, or a dedicated user when we are root. */
export interface RunAs {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * When we are root, returns the unprivileged user Postgres must run as, creating it
 * (a system user without a login shell) if it does not exist. Otherwise returns undefined:
 * Postgres runs as whoever started Steadfast.
 */
export async function ensurePostgresOsUser(name: string): Promise<RunAs | undefined> {
  if (!isRoot()) return undefined;
  const existing = await lookupUser(name);
  if (existing) return existing;
  try {
    await run('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      name,
    ]);
  } catch (error) {
    // Exit code 9: another process created the same user in the meantime.
    if ((error as { code?: number }).code !== 9) {
      throw appError(
        'OS_USER_FAILED',
        `PostgreSQL refuses to run as root, and creating the OS user "${name}" for it failed: ${(error as Error).message.trim()}. Create it yourself (useradd --system ${name}), or start Steadfast as a normal user.`,
        { cause: error },
      );
    }
  }
  const created = await lookupUser(name);
  if (!created)
    throw appError(
      'OS_USER_FAILED',
      `useradd reported success, but the OS user "${name}" does not exist. Create it yourself, or start Steadfast as a normal user.`,
    );
  return created;
}

async function lookupUser(name: string): Promise<RunAs | undefined> {
  try {
    const { stdout: uid } = await run('id', ['-u', name]);
    const { stdout: gid } = await run('id', ['-g', name]);
    return { user: name, uid: Number(uid.trim()), gid: Number(gid.trim()) };
  } catch {
    return undefined;
  }
}

export function currentUserName(): string {
  return userInfo().username;
}

/**
 * Whether `target` can be reached (every ancestor searchable) by the given identity,
 * judged from mode bits. Postgres started as another user fails obscurely otherwise.
 */
export async function isReachableBy(
  target: string,
  who: RunAs,
): Promise<{ ok: true } | { ok: false; blockedAt: string }> {
  let current = path.resolve(target);
  const ancestors: string[] = [];
  for (;;) {
    ancestors.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const dir of ancestors) {
    let info;
    try {
      info = await stat(dir);
    } catch {
      return { ok: true }; // Not created yet; whoever creates it sets its mode.
    }
    if (!info.isDirectory()) continue;
    const bit = info.uid === who.uid ? 0o100 : info.gid === who.gid ? 0o010 : 0o001;
    if ((info.mode & bit) === 0) return { ok: false, blockedAt: dir };
  }
  return { ok: true };
}

/**
 * Copies the Postgres binaries to a place the Postgres OS user can execute them from,
 * when the checkout itself is not reachable (a checkout in a private 0700 directory).
 * The copy is made under a temporary name and renamed, so a half copy is never used.
 */
export async function stageBinaries(sourceRoot: string, stagingRoot: string): Promise<string> {
  const marker = path.join(stagingRoot, 'bin', 'postgres');
  try {
    await stat(marker);
    return stagingRoot;
  } catch {
    // Not staged yet.
  }
  await mkdir(path.dirname(stagingRoot), { recursive: true, mode: 0o755 });
  const temporary = `${stagingRoot}.${process.pid}.tmp`;
  await rm(temporary, { recursive: true, force: true });
  await cp(sourceRoot, temporary, { recursive: true, verbatimSymlinks: true });
  await run('chmod', ['-R', 'a+rX', temporary]);
  try {
    await rename(temporary, stagingRoot);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
  return stagingRoot;
}
