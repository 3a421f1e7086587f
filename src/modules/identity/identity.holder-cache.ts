import type { Clock } from '../../platform/clock/clock.js';

/** How long a process reuses what it found for a session or token: a revocation reaches every other process within it. */
export const holderCacheMs = 1000;
const maxEntries = 20_000;

/**
 * Who holds a session or an API token, remembered for `holderCacheMs` so a busy client costs one
 * lookup a second rather than one a request. Only found holders are kept (an unknown token is
 * looked up every time, behind the rate limit). The process that ends a session, changes a role
 * or a password forgets the person at once; other processes within a second.
 *
 * Entries are keyed by the token itself: hashing it on every request cost more than the rest of
 * authentication (the store keeps only hashes; this map lives in the memory that receives the
 * token in every request anyway). Expired entries are swept as lookups miss, at most once a
 * second, so a busy process does not keep a token long past its last use.
 */
export class HolderCache<V extends { readonly userId: string }> {
  private readonly entries = new Map<string, { value: V; tenant: string; until: number }>();
  private swept = 0;

  constructor(private readonly clock: Clock) {}

  async get(tenant: string, token: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const key = `${tenant}\0${token}`;
    const now = this.clock.now().getTime();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    if (now - this.swept >= holderCacheMs) this.sweep(now);
    else this.entries.delete(key);
    const value = await load();
    if (value) {
      if (this.entries.size >= maxEntries) this.sweep(now);
      this.entries.set(key, { value, tenant, until: now + holderCacheMs });
    }
    return value;
  }

  /** How many holders are remembered, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  /** Forgets a person's sessions and tokens in a workspace, or everyone's when `userId` is left out. */
  forget(tenant: string, userId?: string): void {
    for (const [key, entry] of this.entries)
      if (entry.tenant === tenant && (userId === undefined || entry.value.userId === userId)) this.entries.delete(key);
  }

  private sweep(now: number): void {
    this.swept = now;
    for (const [key, entry] of this.entries) if (entry.until <= now) this.entries.delete(key);
    // Still full of live entries: drop the oldest half (a Map iterates in insertion order).
    let drop = this.entries.size >= maxEntries ? this.entries.size / 2 : 0;
    for (const key of this.entries.keys()) {
      if (drop-- <= 0) break;
      this.entries.delete(key);
    }
  }
}
