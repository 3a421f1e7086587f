import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import { appError } from '../errors.js';
import { hostLabel, locatorFor, primaryClientClass, type HostPort } from './primary.js';

/** Where and as whom to connect; built from DATABASE_URL or from the embedded server's port. */
export interface ConnectionTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly ssl?: pg.ConnectionConfig['ssl'];
  /**
   * Every server of a replicated cluster (`host` and `port` are the first): connections go to
   * whichever of them is the primary now, found as libpq's target_session_attrs=read-write does.
   */
  readonly hosts?: readonly HostPort[];
}

// Postgres bigint and numeric arrive as strings by default; counts and sizes we keep fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
// A calendar date stays the text it is (YYYY-MM-DD): as a Date it would shift with the time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

/**
 * Reads a postgres:// URL, with libpq's host list for a replicated cluster:
 * `postgres://user:secret@db1:5432,db2:5432/steadfast` connects to whichever host is the primary.
 * Errors never repeat the URL: it holds the password.
 */
export function parseDatabaseUrl(url: string): ConnectionTarget {
  const scheme = /^postgres(?:ql)?:\/\//i.exec(url)?.[0];
  if (!scheme)
    throw appError(
      'CONFIG_INVALID',
      'DATABASE_URL must be a postgres:// URL, like postgres://steadfast:secret@db.example.com:5432/steadfast.',
    );
  // As URLs are read: the authority ends at the first / ? or #, and its user part at its last @.
  const rest = url.slice(scheme.length);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf('@');
  const hostList = authority.slice(at + 1);
  const hosts = hostList === '' ? [] : hostList.split(',').map(parseHostPort);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(
      `${scheme}${authority.slice(0, at + 1)}${hostList.split(',')[0]}${authorityEnd === -1 ? '' : rest.slice(authorityEnd)}`,
    );
  } catch {
    throw appError('CONFIG_INVALID', `DATABASE_URL cannot be read as a URL. ${encodingHint}`);
  }
  if (!parsed.host || !parsed.database || !parsed.user) {
    throw appError(
      'CONFIG_INVALID',
      `DATABASE_URL must name a host, a user and a database, like postgres://steadfast:secret@db.example.com:5432/steadfast. ${encodingHint}`,
    );
  }
  // No host in the authority (a Unix socket given as ?host=/run/postgresql): the one host pg reads.
  const first = hosts[0] ?? { host: parsed.host, port: Number(parsed.port ?? 5432) };
  return {
    host: first.host,
    port: first.port,
    user: parsed.user,
    password: parsed.password ?? '',
    database: parsed.database,
    ssl: (parsed.ssl ?? undefined) as pg.ConnectionConfig['ssl'],
    ...(hosts.length > 1 ? { hosts } : {}),
  };
}

const encodingHint = 'Percent-encode @ / ? # and % in the user name and password (%40 %2F %3F %23 %25).';

function parseHostPort(text: string, index: number, all: string[]): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+(?:%25[\w.-]+)?)\]|([^:[\]%]+))(?::(\d{1,5}))?$/.exec(text);
  const port = Number(match?.[3] ?? 5432);
  if (!match || port < 1 || port > 65535) {
    const which = all.length > 1 ? `host ${index + 1} of ${all.length} in DATABASE_URL` : 'the host in DATABASE_URL';
    throw appError(
      'CONFIG_INVALID',
      `${which[0]!.toUpperCase()}${which.slice(1)} is not host or host:port; separate several hosts with commas, like db1:5432,db2:5432. ${encodingHint}`,
    );
  }
  return { host: match[1] ? match[1].replace('%25', '%') : match[2]!, port };
}

export function toUrl(target: ConnectionTarget): string {
  const user = encodeURIComponent(target.user);
  const password = encodeURIComponent(target.password);
  const hosts = (target.hosts ?? [target]).map(hostLabel).join(',');
  return `postgres://${user}:${password}@${hosts}/${encodeURIComponent(target.database)}`;
}

export interface PoolOptions {
  readonly max: number;
  readonly idleSeconds?: number;
  readonly applicationName?: string;
}

export function createPool(target: ConnectionTarget, options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    ...(target.hosts && target.hosts.length > 1 ? { Client: primaryClientClass(locatorFor(target.hosts)) } : {}),
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

/** Runs `work` on a Kysely of one connection to `target` (a migration, a status reading), closed afterwards whatever happens. */
export async function withKysely<T, R>(
  target: ConnectionTarget,
  work: (db: Kysely<T>) => Promise<R>,
  options: { applicationName?: string } = {},
): Promise<R> {
  const db = createKysely<T>(createPool(target, { max: 1, idleSeconds: 1, ...options }));
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

/** A client (not yet connected) for the target: to its one server, or to whichever of its hosts is the primary. */
export function newClient(target: ConnectionTarget, options: Omit<pg.ClientConfig, keyof ConnectionTarget>): pg.Client {
  const Client = target.hosts && target.hosts.length > 1 ? primaryClientClass(locatorFor(target.hosts)) : pg.Client;
  return new Client({ ...target, ...options });
}

/** Opens one short-lived client, runs `work` and closes it, whatever happens. */
export async function withClient<R>(target: ConnectionTarget, work: (client: pg.Client) => Promise<R>): Promise<R> {
  const client = newClient(target, { connectionTimeoutMillis: 10_000, application_name: 'steadfast' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
