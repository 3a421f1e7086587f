import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { derivePassword, loadOrCreateSecretKey } from './secrets.js';

let home: string;
before(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'steadfast-secret-'));
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

test('concurrent first starts agree on one secret key, kept private', async () => {
  const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSecretKey(path.join(home, 'a'))));
  assert.equal(new Set(keys).size, 1);
  assert.ok(keys[0]!.length >= 32);
  assert.equal((await stat(path.join(home, 'a', 'secret.key'))).mode & 0o777, 0o600);
  assert.equal(await loadOrCreateSecretKey(path.join(home, 'a')), keys[0], 'a later start reads the same key');
});

test('derived passwords are stable per role and differ between roles and keys', () => {
  const key = 'k'.repeat(32);
  assert.equal(derivePassword(key, 'acme'), derivePassword(key, 'acme'));
  assert.notEqual(derivePassword(key, 'acme'), derivePassword(key, 'beta'));
  assert.notEqual(derivePassword(key, 'acme'), derivePassword('j'.repeat(32), 'acme'));
});
