import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { embeddedSuperuser } from '../../src/platform/postgres/embedded.js';
import { type DatabaseHandle } from '../../src/platform/db/handle.js';
import { createPlatform, type Platform, type PlatformOptions } from '../../src/app/deps.js';
import { loadConfig, type Config } from '../../src/platform/config/config.js';
import { derivePassword } from '../../src/platform/crypto/secrets.js';
import { withClient, type ConnectionTarget } from '../../src/platform/db/connect.js';
import { quoteIdent } from '../../src/platform/db/sql.js';
import { createLogger } from '../../src/platform/log/log.js';
import { templateDatabase, testEnvNames } from './env.js';

export interface TestPlatform extends Platform {
  /** The cluster's superuser, on the `postgres` database. */
  readonly superuser: ConnectionTarget;
  /** Drops everything this test platform created: tenant databases and roles, its platform database. */
  destroy(): Promise<void>;
}

/** The shared cluster's superuser target; throws a helpful error outside `npm test`. */
export function testCluster(): { superuser: ConnectionTarget; secretKey: string } {
  const port = process.env[testEnvNames.port];
  const secretKey = process.env[testEnvNames.secretKey];
  if (!port || !secretKey)
    throw new Error('integration tests need the test cluster: run them through "npm test" (or "npm test -- <file>")');
  return {
    superuser: {
      host: '127.0.0.1',
      port: Number(port),
      user: embeddedSuperuser,
      password: derivePassword(secretKey, embeddedSuperuser),
      database: 'postgres',
    },
    secretKey,
  };
}

/**
 * A platform of its own for one test file: a fresh platform database cloned from the
 * migrated template, so its tenant databases and roles carry a unique prefix.
 */
export async function createTestPlatform(
  configOverrides: Partial<Record<keyof Config, unknown>> = {},
  options: PlatformOptions & { nonSuperuserAdmin?: boolean } = {},
): Promise<TestPlatform> {
  const { superuser, secretKey } = testCluster();
  const name = `sf_${randomBytes(5).toString('hex')}`;
  let admin: ConnectionTarget = { ...superuser, database: name };
  await withClient(superuser, async (client) => {
    await client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(templateDatabase)}`);
    await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(name)} FROM PUBLIC`);
    if (options.nonSuperuserAdmin) {
      // What a managed service offers: a role that may create databases and roles, and no more.
      const role = `${name}_admin`;
      await client.query(
        `CREATE ROLE ${quoteIdent(role)} LOGIN CREATEDB CREATEROLE PASSWORD '${derivePassword(secretKey, role)}'`,
      );
      await client.query(`ALTER DATABASE ${quoteIdent(name)} OWNER TO ${quoteIdent(role)}`);
      admin = { ...admin, user: role, password: derivePassword(secretKey, role) };
    }
  });
  if (options.nonSuperuserAdmin) {
    await withClient({ ...superuser, database: name }, (client) =>
      client.query(
        `GRANT ALL ON ALL TABLES IN SCHEMA public TO ${quoteIdent(admin.user)}; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${quoteIdent(admin.user)}`,
      ),
    );
  }
  const config = loadConfig({
    env: {},
    cwd: process.cwd(),
    overrides: { home: `/nonexistent/${name}`, secretKey, demoTenant: '', ...configOverrides },
  });
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const database: DatabaseHandle = {
    admin,
    platformDatabase: name,
    secretKey,
    mode: 'external',
    stop: async () => undefined,
  };
  const platform = createPlatform(config, log, database, options);
  return {
    ...platform,
    superuser,
    async destroy() {
      await platform.close();
      await withClient(superuser, async (client) => {
        const { rows } = await client.query<{ datname: string }>(
          'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
          [`${name}_t_`],
        );
        for (const { datname } of rows)
          await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
        const roles = await client.query<{ rolname: string }>(
          'SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)',
          [`${name}_t_`],
        );
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        for (const { rolname } of roles.rows) await client.query(`DROP ROLE IF EXISTS ${quoteIdent(rolname)}`);
        await client.query(`DROP ROLE IF EXISTS ${quoteIdent(`${name}_admin`)}`);
      });
    },
  };
}

/** Counts rows of a table in the platform database (for asserting that nothing was left behind). */
export async function countRows(platform: Platform, table: 'tenants' | 'platform_audit' | 'jobs'): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(platform.db);
  return rows[0]!.n;
}
