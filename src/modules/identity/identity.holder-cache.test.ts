import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualClock } from '../../platform/clock/clock.js';
import { HolderCache, holderCacheMs } from './identity.holder-cache.js';

test('a found holder is reused for a second, then looked up again; an unknown token is never kept', async () => {
  const clock = manualClock(new Date());
  const cache = new HolderCache<{ userId: string }>(clock);
  let loads = 0;
  const load = async () => {
    loads += 1;
    return { userId: 'u1' };
  };
  await cache.get('acme', 'token-1', load);
  await cache.get('acme', 'token-1', load);
  assert.equal(loads, 1);
  clock.advance(holderCacheMs);
  await cache.get('acme', 'token-1', load);
  assert.equal(loads, 2);
  let misses = 0;
  for (let i = 0; i < 3; i++)
    await cache.get('acme', 'unknown', async () => {
      misses += 1;
      return undefined;
    });
  assert.equal(misses, 3);
});

test('forgetting a person or a workspace drops only theirs', async () => {
  const cache = new HolderCache<{ userId: string }>(manualClock(new Date()));
  let loads = 0;
  const as = (userId: string) => async () => {
    loads += 1;
    return { userId };
  };
  await cache.get('acme', 'a', as('u1'));
  await cache.get('acme', 'b', as('u2'));
  await cache.get('globex', 'c', as('u1'));
  cache.forget('acme', 'u1');
  await cache.get('acme', 'a', as('u1'));
  await cache.get('acme', 'b', as('u2'));
  await cache.get('globex', 'c', as('u1'));
  assert.equal(loads, 4, 'only acme/u1 was looked up again');
  cache.forget('acme');
  await cache.get('acme', 'b', as('u2'));
  assert.equal(loads, 5);
});

test('expired holders are swept from memory as lookups miss, at most once a second', async () => {
  const clock = manualClock(new Date());
  const cache = new HolderCache<{ userId: string }>(clock);
  const found = async () => ({ userId: 'u1' });
  for (const token of ['a', 'b', 'c']) await cache.get('acme', token, found);
  assert.equal(cache.size, 3);
  clock.advance(holderCacheMs);
  await cache.get('acme', 'd', found);
  assert.equal(cache.size, 1, 'the three expired holders went with the first miss after they expired');
  clock.advance(holderCacheMs / 2);
  await cache.get('acme', 'e', found);
  assert.equal(cache.size, 2, 'nothing had expired yet');
});
