import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualClock } from '../../platform/clock/clock.js';
import { AllowList, AllowListCache, allowListCacheMs, normalEntry } from './identity.allow-list.js';

test('entries are addresses or CIDR blocks of either family, normalised; anything else is refused', () => {
  assert.equal(normalEntry(' 203.0.113.7 '), '203.0.113.7/32');
  assert.equal(normalEntry('203.0.113.0/24'), '203.0.113.0/24');
  assert.equal(normalEntry('2001:DB8::/32'), '2001:db8::/32');
  assert.equal(normalEntry('::1'), '::1/128');
  for (const bad of ['', 'localhost', '10.0.0.0/33', '2001:db8::/129', '10.0.0.0/8/8', '10.0.0.0/x', '300.1.1.1'])
    assert.equal(normalEntry(bad), undefined, bad);
});

test('an empty list allows everyone; otherwise only addresses inside a block, IPv4-mapped IPv6 included', () => {
  assert.equal(new AllowList([]).allows('198.51.100.1'), true);
  const list = new AllowList(['203.0.113.0/24', '2001:db8::/32', '192.0.2.9']);
  assert.equal(list.allows('203.0.113.200'), true);
  assert.equal(list.allows('::ffff:203.0.113.5'), true);
  assert.equal(list.allows('192.0.2.9'), true);
  assert.equal(list.allows('192.0.2.10'), false);
  assert.equal(list.allows('2001:db8:1::5'), true);
  assert.equal(list.allows('2001:db9::5'), false);
  assert.equal(list.allows('not an address'), false);
});

test('remembered answers stay right, asked again and after more addresses than are remembered', () => {
  const list = new AllowList(['10.0.0.0/16']);
  const inside = (i: number) => `10.0.${(i >> 8) & 255}.${i & 255}`;
  const outside = (i: number) => `10.1.${(i >> 8) & 255}.${i & 255}`;
  for (let round = 0; round < 2; round++)
    for (let i = 0; i < 6000; i++) {
      assert.equal(list.allows(inside(i)), true, inside(i));
      assert.equal(list.allows(outside(i)), false, outside(i));
    }
});

test('a list is read once per window, and again when forgotten or stale', async () => {
  const clock = manualClock(new Date());
  let reads = 0;
  let entries = ['10.0.0.0/8'];
  const cache = new AllowListCache(async () => {
    reads += 1;
    return entries;
  }, clock);
  assert.equal((await cache.get('acme')).allows('10.1.2.3'), true);
  await cache.get('acme');
  assert.equal(reads, 1);
  entries = ['192.0.2.0/24'];
  cache.forget('acme');
  assert.equal((await cache.get('acme')).allows('10.1.2.3'), false);
  entries = [];
  clock.advance(allowListCacheMs);
  assert.equal((await cache.get('acme')).allows('10.1.2.3'), true);
  assert.equal(reads, 3);
});
