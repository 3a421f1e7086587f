import type { Kysely } from 'kysely';
import type pg from 'pg';
import { derivePassword } from '../crypto/secrets.js';
import { appError } from '../errors.js';
import { createKysely, createPool, type ConnectionTarget } from './connect.js';
import { NotificationListener, type ListenHandlers } from './listener.js';
import type { TenantTables } from './schema.js';

export interface TenantPoolOptions {
  /** The cluster's address; user, password and database are replaced per tenant. */
  readonly cluster: ConnectionTarget;
  readonly secretKey: string;
  /** Connections one tenant's pool may open. */
  readonly perTenantMax: number;
  /** Connections all pools together may open; idle pools are closed least-recently-used first to stay under it. */
  readonly totalMax: number;
  readonly idleSeconds: number;
  /** How long a caller waits for room when every pool is in use before getting a 503. */
  readonly waitMs?: number;
}

/** What a pool needs to know of a tenant: its own database and login role. */
export interface TenantDatabaseRef {
  readonly databaseName: string;
  readonly roleName: string;
}

/** How to reach a tenant's database as the tenant's own role (its password derived from the secret key). */
export function tenantTarget(cluster: ConnectionTarget, secretKey: string, ref: TenantDatabaseRef): ConnectionTarget {
  return {
    ...cluster,
    user: ref.roleName,
    password: derivePassword(secretKey, ref.roleName),
    database: ref.databaseName,
  };
}

interface Entry {
  readonly pool: pg.Pool;
  readonly db: Kysely<TenantTables>;
  /** Callers inside `use()` right now; a pool in use is never evicted. */
  leases: number;
}

/**
 * Small connection pools, one per tenant, each logging in as that tenant's own role so
 * that a query can reach no other tenant's database. At most `totalMax / perTenantMax`
 * pools are open at once, so a thousand tenants share the server's connections instead
 * of exhausting `max_connections`: to open a pool, the least recently used pool that
 * nobody is using is closed; when every pool is in use, the caller waits for one.
 */
export class TenantPoolRegistry {
  // A Map iterates in insertion order; re-inserting on use keeps the least recently used first.
  private readonly entries = new Map<string, Entry>();
  private readonly waiters: Array<() => void> = [];
  private readonly closing = new Set<Promise<void>>();
  private readonly maxPools: number;

  constructor(private readonly options: TenantPoolOptions) {
    this.maxPools = Math.max(1, Math.floor(options.totalMax / options.perTenantMax));
  }

  /**
   * Runs `work` with the tenant's query builder, connected as the tenant's role to the
   * tenant's database. The pool stays open at least until `work` settles.
   */
  async use<R>(ref: TenantDatabaseRef, work: (db: Kysely<TenantTables>) => Promise<R>): Promise<R> {
    const entry = await this.acquire(ref);
    try {
      return await work(entry.db);
    } finally {
      entry.leases--;
      if (entry.leases === 0) this.waiters.shift()?.();
    }
  }

  /** Closes a tenant's pool (suspension, deletion, restore). Queries under way finish first. */
  evict(databaseName: string): Promise<void> {
    const entry = this.entries.get(databaseName);
    if (!entry) return Promise.resolve();
    this.entries.delete(databaseName);
    const closing = entry.pool.end().catch(() => undefined);
    this.closing.add(closing);
    void closing.finally(() => this.closing.delete(closing));
    this.waiters.shift()?.();
    return closing;
  }

  /** Listens on `channel` of the tenant's database as its role, on a connection of its own (not one of the pool's). */
  async listen(ref: TenantDatabaseRef, channel: string, handlers: ListenHandlers): Promise<NotificationListener> {
    const listener = new NotificationListener(
      tenantTarget(this.options.cluster, this.options.secretKey, ref),
      channel,
      handlers,
    );
    await listener.start();
    return listener;
  }

  /** Open pools and the connections they hold, for /readyz and metrics. */
  stats(): { pools: number; maxPools: number; connections: number; waiting: number } {
    let connections = 0;
    for (const { pool } of this.entries.values()) connections += pool.totalCount;
    return { pools: this.entries.size, maxPools: this.maxPools, connections, waiting: this.waiters.length };
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((name) => this.evict(name)));
    await Promise.all(this.closing);
  }

  private async acquire(ref: TenantDatabaseRef): Promise<Entry> {
    const deadline = Date.now() + (this.options.waitMs ?? 10_000);
    for (;;) {
      const existing = this.entries.get(ref.databaseName);
      if (existing) {
        this.entries.delete(ref.databaseName);
        this.entries.set(ref.databaseName, existing);
        existing.leases++;
        return existing;
      }
      if (this.entries.size < this.maxPools || this.evictIdle()) return this.open(ref);
      await this.waitForRoom(deadline);
    }
  }

  /** Closes the least recently used pool nobody is using; false if every pool is in use. */
  private evictIdle(): boolean {
    for (const [name, entry] of this.entries) {
      if (entry.leases === 0) {
        void this.evict(name);
        return true;
      }
    }
    return false;
  }

  private waitForRoom(deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(
        () => {
          const index = this.waiters.indexOf(wake);
          if (index !== -1) this.waiters.splice(index, 1);
          reject(
            appError(
              'DATABASE_UNAVAILABLE',
              `All ${this.maxPools} tenant connection pools are busy; try again shortly. Operators can raise tenantPoolsMaxConnections.`,
            ),
          );
        },
        Math.max(0, deadline - Date.now()),
      );
      this.waiters.push(wake);
    });
  }

  private open(ref: TenantDatabaseRef): Entry {
    const { cluster, secretKey, perTenantMax, idleSeconds } = this.options;
    const pool = createPool(tenantTarget(cluster, secretKey, ref), {
      max: perTenantMax,
      idleSeconds,
      applicationName: 'steadfast-tenant',
    });
    const entry: Entry = { pool, db: createKysely<TenantTables>(pool), leases: 1 };
    this.entries.set(ref.databaseName, entry);
    return entry;
  }
}
