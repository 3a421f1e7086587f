import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileMigrationProvider, Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import { appError } from '../errors.js';

/** The two migration sets: the control plane's, and the one every tenant database runs. */
export type MigrationSet = 'platform' | 'tenant';

const folders: Record<MigrationSet, string> = {
  platform: fileURLToPath(new URL('./migrations/platform', import.meta.url)),
  tenant: fileURLToPath(new URL('./migrations/tenant', import.meta.url)),
};

function migratorFor(db: Kysely<unknown>, set: MigrationSet): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: folders[set] }),
  });
}

/** Names of the set's migrations, oldest first. */
export async function knownMigrations(set: MigrationSet): Promise<string[]> {
  const files = await fs.readdir(folders[set]);
  return files
    .filter((file) => /^\d{14}-[a-z0-9-]+\.ts$/.test(file))
    .map((file) => file.replace(/\.ts$/, ''))
    .sort();
}

export async function latestMigration(set: MigrationSet): Promise<string> {
  const names = await knownMigrations(set);
  const last = names.at(-1);
  if (!last) throw new Error(`no ${set} migrations found`);
  return last;
}

/**
 * Applies every pending migration of the set, each in its own transaction, and returns
 * the name of the last one applied. Migrations only move forward.
 */
export async function migrateToLatest(db: Kysely<unknown>, set: MigrationSet, label: string): Promise<string> {
  const { error, results }: MigrationResultSet = await migratorFor(db, set).migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw appError(
      'MIGRATION_FAILED',
      `Migration ${failed} failed on ${label}: ${(error as Error).message}. Nothing of that migration was applied; fix the cause and run "steadfast migrate" again.`,
      { cause: error },
    );
  }
  return latestMigration(set);
}

/** Names of the set's migrations not yet applied to `db`. */
export async function pendingMigrations(db: Kysely<unknown>, set: MigrationSet): Promise<string[]> {
  const migrations = await migratorFor(db, set).getMigrations();
  return migrations.filter((migration) => !migration.executedAt).map((migration) => migration.name);
}
