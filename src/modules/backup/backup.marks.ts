import { appError } from '../../platform/errors.js';
import { readWhole } from '../../platform/storage/store.js';
import { markKey, writeJson } from './backup.catalog.js';
import type { BackupServiceDeps, Repository } from './backup.ports.js';
import { restorePointSchema } from './backup.schema.js';

/** A restore point made with `steadfast backup mark`, as the repositories record it. */
export interface Mark {
  readonly name: string;
  readonly lsn: string;
  readonly createdAt: string;
}

/**
 * Creates a named restore point and closes the WAL segment, so the point is archived
 * at once and `restore --name` can reach it. Returns its WAL position.
 */
export async function createMark(
  deps: Pick<BackupServiceDeps, 'source' | 'repositories' | 'clock' | 'log'>,
  name: string,
): Promise<string> {
  const parsed = restorePointSchema.safeParse(name);
  if (!parsed.success) throw appError('VALIDATION_FAILED', `A restore point name ${parsed.error.issues[0]!.message}.`);
  if (!deps.source) throw appError('BACKUP_FAILED', 'There is no database to mark in this process.');
  const existing = await findMark(deps.repositories, parsed.data);
  if (existing) {
    // Postgres stops at the first point of a name: a second one could never be reached.
    throw appError(
      'VALIDATION_FAILED',
      `A restore point named "${parsed.data}" already exists (made at ${existing.createdAt}); choose another name.`,
    );
  }
  const { lsn } = await deps.source.createRestorePoint(parsed.data);
  const mark: Mark = { name: parsed.data, lsn, createdAt: deps.clock.now().toISOString() };
  const written = await Promise.allSettled(
    deps.repositories.map((repository) => writeJson(repository.store, markKey(parsed.data), mark)),
  );
  if (!written.some((result) => result.status === 'fulfilled'))
    deps.log.error(
      { name: parsed.data },
      'the restore point exists but no repository recorded it; restore to it by time instead',
    );
  deps.log.info(mark, 'created a restore point');
  return lsn;
}

/** A restore point made with createMark(), as the first repository that has it records it. */
export async function findMark(repositories: readonly Repository[], name: string): Promise<Mark | undefined> {
  for (const repository of repositories) {
    try {
      const body = await readWhole(repository.store, markKey(name));
      if (body) return JSON.parse(body.toString('utf8')) as Mark;
    } catch {
      // not in this repository (or unreadable): try the next
    }
  }
  return undefined;
}
