import { sql, type Kysely } from 'kysely';
import { withKysely, type ConnectionTarget } from '../../platform/db/connect.js';
import { derivePassword } from '../../platform/crypto/secrets.js';
import type { MigrationSet } from '../../platform/db/migrator.js';
import type { PlatformTables } from '../../platform/db/schema.js';
import { tenantTarget } from '../../platform/db/tenant-pools.js';
import { quoteIdent, quoteLiteral } from '../../platform/db/sql.js';

export interface ProvisionerOptions {
  /** Connected to the platform database as a role allowed to create databases and roles. */
  readonly admin: Kysely<PlatformTables>;
  /** The cluster's address, for connecting as a tenant role. */
  readonly cluster: ConnectionTarget;
  readonly secretKey: string;
  /** Prefix of every tenant database and role: `<platformDatabase>_t_<slug>`. */
  readonly platformDatabase: string;
  /** Connections one tenant role may hold at once (its pool, plus room for migrations). */
  readonly connectionLimit: number;
  /** What every tenant database runs: the platform's tenant migrations and its modules'. */
  readonly tenantMigrations: MigrationSet;
}

/**
 * The cluster side of tenancy: one database and one login role per tenant. The role owns
 * its database and may connect to nothing else; PUBLIC loses CONNECT on every database.
 * Names are derived from validated slugs (a-z, 0-9, hyphen), and quoted all the same.
 */
export class TenantProvisioner {
  constructor(private readonly options: ProvisionerOptions) {}

  namesFor(slug: string): { databaseName: string; roleName: string } {
    const name = `${this.options.platformDatabase}_t_${slug.replace(/-/g, '_')}`;
    return { databaseName: name, roleName: name };
  }

  /** Creates the role and its database. Each statement is idempotent so a retry can follow a crash. */
  async createDatabase(names: { databaseName: string; roleName: string }): Promise<void> {
    const { admin, secretKey, connectionLimit } = this.options;
    const role = quoteIdent(names.roleName);
    const database = quoteIdent(names.databaseName);
    const password = quoteLiteral(derivePassword(secretKey, names.roleName));
    const roleExists = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = ${names.roleName}`.execute(admin);
    const verb = roleExists.rows[0]?.n ? 'ALTER' : 'CREATE';
    await sql
      .raw(
        `${verb} ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${connectionLimit} PASSWORD ${password}`,
      )
      .execute(admin);
    // A non-superuser administrator (a managed service's admin role) must be a member of the
    // tenant role to make it a database owner, to drop that database and to end its sessions.
    const isSuperuser = await sql<{
      su: boolean;
    }>`SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user`.execute(admin);
    if (!isSuperuser.rows[0]?.su) await sql.raw(`GRANT ${role} TO CURRENT_USER`).execute(admin);
    const dbExists = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM pg_database WHERE datname = ${names.databaseName}`.execute(admin);
    if (!dbExists.rows[0]?.n) {
      await sql.raw(`CREATE DATABASE ${database} OWNER ${role} ENCODING 'UTF8' TEMPLATE template0`).execute(admin);
    }
    await sql.raw(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`).execute(admin);
  }

  /** Runs the tenant migrations in the tenant's database, as the tenant's role; returns the version reached. */
  async migrate(names: { databaseName: string; roleName: string }): Promise<string> {
    return withKysely(
      tenantTarget(this.options.cluster, this.options.secretKey, names),
      (db) => this.options.tenantMigrations.migrateToLatest(db, `tenant database ${names.databaseName}`),
      { applicationName: 'steadfast-migrate' },
    );
  }

  /** The version a tenant database reaches once migrated: the latest tenant migration. */
  latestVersion(): Promise<string> {
    return this.options.tenantMigrations.latest();
  }

  /** The administrative role's connection to a tenant's database (data restores run as it, then SET ROLE to the tenant). */
  adminTarget(databaseName: string): ConnectionTarget {
    return { ...this.options.cluster, database: databaseName };
  }

  /**
   * Copies a tenant's database whole into a new database, owned by the tenant's role and closed
   * to everyone else: the state kept before a restore overwrites it. Its name uses `_r_`, which no
   * tenant's name can contain. The tenant's sessions must be ended first (CREATE DATABASE needs that).
   */
  async copyDatabase(names: { databaseName: string; roleName: string }, suffix: string): Promise<string> {
    // Postgres cuts names at 63 bytes: shorten the tenant part, never the time that tells copies apart.
    const copy = `${names.databaseName.replace(/_t_/, '_r_').slice(0, 62 - suffix.length)}_${suffix}`;
    const { admin } = this.options;
    await sql
      .raw(
        `CREATE DATABASE ${quoteIdent(copy)} TEMPLATE ${quoteIdent(names.databaseName)} OWNER ${quoteIdent(names.roleName)}`,
      )
      .execute(admin);
    await sql.raw(`REVOKE ALL ON DATABASE ${quoteIdent(copy)} FROM PUBLIC`).execute(admin);
    return copy;
  }

  /** Ends every session of the tenant's database (suspension, deletion). */
  async terminateSessions(databaseName: string): Promise<void> {
    await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${databaseName} AND pid <> pg_backend_pid()`.execute(
      this.options.admin,
    );
  }

  /** Drops the database (closing its sessions), the copies kept by restores, and the role. Safe to repeat. */
  async dropDatabase(names: { databaseName: string; roleName: string }): Promise<void> {
    const { admin } = this.options;
    await sql.raw(`DROP DATABASE IF EXISTS ${quoteIdent(names.databaseName)} WITH (FORCE)`).execute(admin);
    const copies = await sql<{
      name: string;
    }>`SELECT datname AS name FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = ${names.roleName})`.execute(
      admin,
    );
    for (const copy of copies.rows)
      await sql.raw(`DROP DATABASE IF EXISTS ${quoteIdent(copy.name)} WITH (FORCE)`).execute(admin);
    await sql.raw(`DROP ROLE IF EXISTS ${quoteIdent(names.roleName)}`).execute(admin);
  }
}
