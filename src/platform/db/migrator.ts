import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import { appError } from '../errors.js';

/** The two kinds of migration set: the control plane's, and the one every tenant database runs. */
export type MigrationSetName = 'platform' | 'tenant';

/** The platform's own migrations (the tenant registry, jobs, the audit log; a tenant's settings); modules add folders of their own. */
export const coreMigrationFolders: Record<MigrationSetName, string> = {
  platform: fileURLToPath(new URL('./migrations/platform', import.meta.url)),
  tenant: fileURLToPath(new URL('./migrations/tenant', import.meta.url)),
};

const migrationFile = /^\d{14}-[a-z0-9-]+\.ts$/;

/**
 * One set of migrations gathered from several folders (the platform's and its modules'), run
 * in the order of their names, which start with the time they were written. A name is
 * recorded once applied, so a migration keeps its name when its file moves between folders.
 */
export class MigrationSet {
  constructor(
    readonly name: MigrationSetName,
    private readonly folders: readonly string[],
  ) {}

  /** Names of the set's migrations, oldest first. */
  async known(): Promise<string[]> {
    return [...(await this.files()).keys()].sort();
  }

  async latest(): Promise<string> {
    const last = (await this.known()).at(-1);
    if (!last) throw new Error(`no ${this.name} migrations found`);
    return last;
  }

  /**
   * Applies every pending migration, each in its own transaction, and returns the name of the
   * last one applied. Migrations only move forward.
   */
  async migrateToLatest(db: Kysely<unknown>, label: string): Promise<string> {
    const { error, results }: MigrationResultSet = await this.migrator(db).migrateToLatest();
    if (error) {
      const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
      throw appError(
        'MIGRATION_FAILED',
        `Migration ${failed} failed on ${label}: ${(error as Error).message}. Nothing of that migration was applied; fix the cause and run "steadfast migrate" again.`,
        { cause: error },
      );
    }
    return this.latest();
  }

  /** Names of the set's migrations not yet applied to `db`. */
  async pending(db: Kysely<unknown>): Promise<string[]> {
    const migrations = await this.migrator(db).getMigrations();
    return migrations.filter((migration) => !migration.executedAt).map((migration) => migration.name);
  }

  private migrator(db: Kysely<unknown>): Migrator {
    const provider: MigrationProvider = { getMigrations: () => this.load() };
    return new Migrator({ db, provider });
  }

  /** Every migration file of the folders, by name; a name found twice is a mistake said at once. */
  private async files(): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const folder of this.folders) {
      const names = await fs.readdir(folder).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [] as string[];
        throw error;
      });
      for (const file of names.filter((name) => migrationFile.test(name))) {
        const name = file.replace(/\.ts$/, '');
        if (found.has(name))
          throw new Error(
            `the ${this.name} migration ${name} is in both ${path.dirname(found.get(name)!)} and ${folder}`,
          );
        found.set(name, path.join(folder, file));
      }
    }
    return found;
  }

  private async load(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    for (const [name, file] of await this.files()) {
      migrations[name] = (await import(pathToFileURL(file).href)) as Migration;
    }
    return migrations;
  }
}

/** The platform's migration sets: its own folders plus those its modules bring. */
export function migrationSets(
  moduleFolders: ReadonlyArray<Partial<Record<MigrationSetName, string>>>,
): Record<MigrationSetName, MigrationSet> {
  const setOf = (name: MigrationSetName): MigrationSet =>
    new MigrationSet(name, [coreMigrationFolders[name], ...moduleFolders.flatMap((folders) => folders[name] ?? [])]);
  return { platform: setOf('platform'), tenant: setOf('tenant') };
}
