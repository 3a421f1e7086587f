import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import { appError } from '../errors.js';

/** Where and as whom to connect; built from DATABASE_URL or from the embedded server's port. */
export interface ConnectionTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly ssl?: pg.ConnectionConfig['ssl'];
}

// Postgres bigint and numeric arrive as strings by default; counts and sizes we keep fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function parseDatabaseUrl(url: string): ConnectionTarget {
  const parsed = parse(url);
  if (!parsed.host || !parsed.database || !parsed.user) {
    throw appError('CONFIG_INVALID', 'DATABASE_URL must name a host, a user and a database, like postgres://steadfast:secret@db.example.com:5432/steadfast.');
  }
  return {
    host: parsed.host,
    port: Number(parsed.port ?? 5432),
    user: parsed.user,
    password: parsed.password ?? '',
    database: parsed.database,
    ssl: (parsed.ssl ?? undefined) as pg.ConnectionConfig['ssl'],
  };
}

export function toUrl(target: ConnectionTarget): string {
  const user = encodeURIComponent(target.user);
  const password = encodeURIComponent(target.password);
  return `postgres://${user}:${password}@${target.host}:${target.port}/${encodeURIComponent(target.database)}`;
}

export interface PoolOptions {
  readonly max: number;
  readonly idleSeconds?: number;
  readonly applicationName?: string;
}

export function createPool(target: ConnectionTarget, options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    ssl: target.ssl,
    max: options.max,
    idleTimeoutMillis: (options.idleSeconds ?? 30) * 1000,
    connectionTimeoutMillis: 10_000,
    application_name: options.applicationName ?? 'steadfast',
  });
  // A client losing its server (a restart, a failover) must not crash the process: idle ones
  // report to the pool, checked-out ones to themselves; the query in flight still fails.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export function createKysely<T>(pool: pg.Pool): Kysely<T> {
  return new Kysely<T>({ dialect: new PostgresDialect({ pool }) });
}

/** Opens one short-lived client, runs `work` and closes it, whatever happens. */
export async function withClient<R>(target: ConnectionTarget, work: (client: pg.Client) => Promise<R>): Promise<R> {
  const client = new pg.Client({ ...target, connectionTimeoutMillis: 10_000, application_name: 'steadfast' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
