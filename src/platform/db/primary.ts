import pg from 'pg';
import { appError, isTransientDatabaseError } from '../errors.js';

/** One server of a cluster: the primary, or a standby that may become it. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function hostLabel({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** What a probe connection needs besides the host: credentials, a database, TLS. */
interface Login {
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly ssl?: pg.ConnectionConfig['ssl'];
}

/** How long one host may take to connect and answer the read-write check. */
const probeTimeoutMs = 2000;

/**
 * Which server of a host list is the primary, as libpq's `target_session_attrs=read-write`
 * finds it: each host is asked in turn and the first that takes writes wins. The answer is
 * kept until a connection to it fails or finds it read-only (`forget`), so new connections
 * cost no probe while the primary stays. One probe runs at a time per login (tenant pools
 * log in as their own roles: one role refused must not fail the others).
 */
export class PrimaryLocator {
  private known: HostPort | undefined;
  private readonly probing = new Map<string, Promise<HostPort>>();

  constructor(readonly hosts: readonly HostPort[]) {}

  primary(login: Login): Promise<HostPort> {
    if (this.known) return Promise.resolve(this.known);
    const key = `${login.user}\u0000${login.database}`;
    let probe = this.probing.get(key);
    if (!probe) {
      probe = this.probe(login).finally(() => this.probing.delete(key));
      this.probing.set(key, probe);
    }
    return probe;
  }

  /** The server stopped being usable as the primary: the next connection looks again. */
  forget(host: HostPort): void {
    if (this.known && sameHost(this.known, host)) this.known = undefined;
  }

  private async probe(login: Login): Promise<HostPort> {
    const findings: string[] = [];
    let refusals = 0;
    let refusal: unknown;
    for (const host of this.hosts) {
      const finding = await takesWrites(host, login);
      if (finding === true) return (this.known = host);
      if (finding.refused) {
        refusals++;
        refusal = finding.refused;
      }
      findings.push(`${hostLabel(host)} ${finding.what}`);
    }
    // Every server turned this login away (a wrong password, no such database): no failover explains that.
    if (refusals === this.hosts.length) throw refusal;
    throw appError(
      'DATABASE_UNAVAILABLE',
      `No primary among the database hosts: ${findings.join('; ')}. A failover may be under way; try again in a few seconds.`,
      { extensions: { retryable: true } },
    );
  }
}

/** True when the server takes writes; else what it is instead, and the server's refusal of the login if it was one. */
async function takesWrites(host: HostPort, login: Login): Promise<true | { what: string; refused?: unknown }> {
  const client = new pg.Client({
    ...login,
    ...host,
    connectionTimeoutMillis: probeTimeoutMs,
    query_timeout: probeTimeoutMs,
    application_name: 'steadfast-probe',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await isReadOnly(client)) ? { what: 'is a standby (read-only)' } : true;
  } catch (error) {
    const refused = !isTransientDatabaseError(error) && typeof (error as { code?: unknown }).code === 'string';
    return {
      what: `${refused ? 'refused the login' : 'cannot be reached'} (${(error as Error).message})`,
      ...(refused ? { refused: error } : {}),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The read-write check libpq's target_session_attrs makes, in one round trip. */
export async function isReadOnly(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ read_only: boolean }>({
    text: "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on' AS read_only",
    query_timeout: probeTimeoutMs,
  } as pg.QueryConfig);
  return rows[0]!.read_only;
}

function sameHost(a: HostPort, b: HostPort): boolean {
  return a.host === b.host && a.port === b.port;
}

// One locator per host list, shared by every pool of the process (the platform's, each tenant's).
const locators = new Map<string, PrimaryLocator>();

export function locatorFor(hosts: readonly HostPort[]): PrimaryLocator {
  const key = hosts.map(hostLabel).join(',');
  let locator = locators.get(key);
  if (!locator) locators.set(key, (locator = new PrimaryLocator(hosts)));
  return locator;
}

/**
 * A pg client that connects to whichever host of the list is the primary now, and refuses
 * (so the pool drops it and the caller may retry) a server found read-only on connect.
 * Finding the primary counts against the client's connection timeout, as connecting does.
 */
export function primaryClientClass(locator: PrimaryLocator): typeof pg.Client {
  return class PrimaryClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: (error: Error | null, client?: pg.Client) => void): void;
    override connect(callback?: (error: Error | null, client?: pg.Client) => void): Promise<pg.Client> | void {
      const connected = this.connectToPrimary();
      if (!callback) return connected;
      connected.then((client) => callback(null, client), callback);
    }

    private async connectToPrimary(): Promise<pg.Client> {
      const self = this as unknown as { connectionParameters: Login; _connectionTimeoutMillis?: number };
      // Until the caller (a pool) listens for errors, a connection lost during the check must not go unheard.
      const unheard = (): void => undefined;
      this.on('error', unheard);
      try {
        // Read one by one: pg keeps the password out of enumeration (a spread would drop it).
        const { user, password, database, ssl } = self.connectionParameters;
        const primary = await withinMs(
          locator.primary({ user, password, database, ssl }),
          self._connectionTimeoutMillis || 10_000,
        );
        // pg connects to `host` and `port` as set on the client (its connection parameters were read at construction).
        Object.assign(this, { host: primary.host, port: primary.port });
        try {
          await super.connect();
          if (!(await isReadOnly(this as pg.Client))) return this;
        } catch (error) {
          if (isTransientDatabaseError(error)) locator.forget(primary);
          await this.end().catch(() => undefined);
          throw error;
        }
        locator.forget(primary);
        await this.end().catch(() => undefined);
        throw appError(
          'DATABASE_UNAVAILABLE',
          `The database at ${hostLabel(primary)} is no longer the primary (it is read-only); looking for the new one.`,
          { extensions: { retryable: true } },
        );
      } finally {
        this.removeListener('error', unheard);
      }
    }
  };
}

function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          appError(
            'DATABASE_UNAVAILABLE',
            `No primary among the database hosts answered within ${(ms / 1000).toFixed(0)} s; a failover may be under way.`,
            { extensions: { retryable: true } },
          ),
        ),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
