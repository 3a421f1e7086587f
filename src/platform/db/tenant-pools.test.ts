import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TenantPoolRegistry } from './tenant-pools.js';

// Pools connect lazily, so the registry's bookkeeping is testable without a server.
function registry(totalMax: number, perTenantMax: number): TenantPoolRegistry {
  return new TenantPoolRegistry({
    cluster: { host: '127.0.0.1', port: 1, user: 'x', password: 'x', database: 'x' },
    secretKey: 'k'.repeat(32),
    perTenantMax,
    totalMax,
    idleSeconds: 1,
  });
}

const ref = (n: number) => ({ databaseName: `db${n}`, roleName: `db${n}` });

test('keeps at most totalMax / perTenantMax pools open', async () => {
  const pools = registry(12, 4);
  for (let i = 0; i < 10; i++) pools.get(ref(i));
  assert.deepEqual(pools.stats(), { pools: 3, maxPools: 3, connections: 0 });
  await pools.closeAll();
});

test('evicts the least recently used pool, not the most recently used', async () => {
  const pools = registry(8, 4);
  const first = pools.get(ref(1));
  pools.get(ref(2));
  assert.equal(pools.get(ref(1)), first, 'reusing a pool returns the same instance');
  pools.get(ref(3)); // evicts db2, the least recently used
  assert.equal(pools.get(ref(1)), first);
  assert.equal(pools.stats().pools, 2);
  await pools.closeAll();
});
