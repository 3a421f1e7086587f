import type { Kysely } from 'kysely';
import type pg from 'pg';
import { derivePassword } from '../crypto/secrets.js';
import { createKysely, createPool, type ConnectionTarget } from './connect.js';
import type { TenantTables } from './schema.js';

export interface TenantPoolOptions {
  /** The cluster's address; user, password and database are replaced per tenant. */
  readonly cluster: ConnectionTarget;
  readonly secretKey: string;
  /** Connections one tenant's pool may open. */
  readonly perTenantMax: number;
  /** Connections all pools together may open; pools are closed least-recently-used first to stay under it. */
  readonly totalMax: number;
  readonly idleSeconds: number;
}

/** What a pool needs to know of a tenant: its own database and login role. */
export interface TenantDatabaseRef {
  readonly databaseName: string;
  readonly roleName: string;
}

interface Entry {
  readonly pool: pg.Pool;
  readonly db: Kysely<TenantTables>;
}

/**
 * Small connection pools, one per tenant, each logging in as that tenant's own role so
 * that a query can reach no other tenant's database. At most `totalMax / perTenantMax`
 * pools are open at once: a thousand tenants share the server's connections instead of
 * exhausting `max_connections`. A pool evicted while in use finishes its queries first.
 */
export class TenantPoolRegistry {
  // A Map iterates in insertion order; re-inserting on use keeps the least recently used first.
  private readonly entries = new Map<string, Entry>();
  private readonly closing = new Set<Promise<void>>();
  private readonly maxPools: number;

  constructor(private readonly options: TenantPoolOptions) {
    this.maxPools = Math.max(1, Math.floor(options.totalMax / options.perTenantMax));
  }

  /** The tenant's query builder, connected as the tenant's role to the tenant's database. */
  get(ref: TenantDatabaseRef): Kysely<TenantTables> {
    const existing = this.entries.get(ref.databaseName);
    if (existing) {
      this.entries.delete(ref.databaseName);
      this.entries.set(ref.databaseName, existing);
      return existing.db;
    }
    while (this.entries.size >= this.maxPools) {
      const oldest = this.entries.keys().next().value as string;
      this.evict(oldest);
    }
    const { cluster, secretKey, perTenantMax, idleSeconds } = this.options;
    const pool = createPool(
      { ...cluster, user: ref.roleName, password: derivePassword(secretKey, ref.roleName), database: ref.databaseName },
      { max: perTenantMax, idleSeconds, applicationName: 'steadfast-tenant' },
    );
    const entry = { pool, db: createKysely<TenantTables>(pool) };
    this.entries.set(ref.databaseName, entry);
    return entry.db;
  }

  /** Closes a tenant's pool (suspension, deletion, restore). In-flight queries finish first. */
  evict(databaseName: string): Promise<void> {
    const entry = this.entries.get(databaseName);
    if (!entry) return Promise.resolve();
    this.entries.delete(databaseName);
    const closing = entry.pool.end().catch(() => undefined);
    this.closing.add(closing);
    void closing.finally(() => this.closing.delete(closing));
    return closing;
  }

  /** Open pools and the connections they hold, for /readyz and metrics. */
  stats(): { pools: number; maxPools: number; connections: number } {
    let connections = 0;
    for (const { pool } of this.entries.values()) connections += pool.totalCount;
    return { pools: this.entries.size, maxPools: this.maxPools, connections };
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((name) => this.evict(name)));
    await Promise.all(this.closing);
  }
}
