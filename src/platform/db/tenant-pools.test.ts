import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { TenantTables } from './schema.js';
import { TenantPoolRegistry } from './tenant-pools.js';

// Pools connect lazily, so the registry's bookkeeping is testable without a server.
function registry(totalMax: number, perTenantMax: number, waitMs = 1000): TenantPoolRegistry {
  return new TenantPoolRegistry({
    cluster: { host: '127.0.0.1', port: 1, user: 'x', password: 'x', database: 'x' },
    secretKey: 'k'.repeat(32),
    perTenantMax,
    totalMax,
    idleSeconds: 1,
    waitMs,
  });
}

const ref = (n: number) => ({ databaseName: `db${n}`, roleName: `db${n}` });
const grab = (pools: TenantPoolRegistry, n: number): Promise<Kysely<TenantTables>> =>
  pools.use(ref(n), async (db) => db);

/** Holds a lease on a tenant's pool until the returned function is called. */
function hold(pools: TenantPoolRegistry, n: number): { release: () => void; done: Promise<void> } {
  let release: () => void = () => undefined;
  const done = pools.use(ref(n), () => new Promise<void>((resolve) => (release = resolve)));
  return { release: () => release(), done };
}

test('keeps at most totalMax / perTenantMax pools open', async () => {
  const pools = registry(12, 4);
  for (let i = 0; i < 10; i++) await grab(pools, i);
  assert.equal(pools.stats().pools, 3);
  assert.equal(pools.stats().maxPools, 3);
  await pools.closeAll();
});

test('closes the least recently used pool, not the most recently used', async () => {
  const pools = registry(8, 4);
  const first = await grab(pools, 1);
  await grab(pools, 2);
  assert.equal(await grab(pools, 1), first, 'a tenant reuses its pool');
  await grab(pools, 3); // closes db2, the least recently used
  assert.equal(await grab(pools, 1), first);
  assert.equal(pools.stats().pools, 2);
  await pools.closeAll();
});

test('never closes a pool in use: a new tenant waits until one is free', async () => {
  const pools = registry(8, 4);
  const one = hold(pools, 1);
  const two = hold(pools, 2);
  await new Promise((resolve) => setImmediate(resolve));
  let thirdRan = false;
  const third = pools.use(ref(3), async () => {
    thirdRan = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(thirdRan, false, 'the third tenant must wait while both pools are busy');
  assert.equal(pools.stats().waiting, 1);
  two.release();
  await third;
  assert.equal(thirdRan, true);
  one.release();
  await Promise.all([one.done, two.done]);
  assert.equal(pools.stats().pools, 2);
  await pools.closeAll();
});

test('a caller that waits too long gets a 503 that says why', async () => {
  const pools = registry(4, 4, 50);
  const busy = hold(pools, 1);
  await new Promise((resolve) => setImmediate(resolve));
  await assert.rejects(grab(pools, 2), (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'DATABASE_UNAVAILABLE');
    assert.match(error.message, /pools are busy/);
    return true;
  });
  busy.release();
  await busy.done;
  await pools.closeAll();
});
