import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { isReachableBy } from './os-user.js';

// Another user than whoever runs the tests: judged by the "other" permission bits.
const stranger = { user: 'stranger', uid: 54321, gid: 54321 };
let root: string;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'steadfast-reach-'));
  await chmod(root, 0o755);
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('a directory under searchable parents is reachable', async () => {
  await mkdir(path.join(root, 'open', 'data'), { recursive: true, mode: 0o755 });
  assert.deepEqual(await isReachableBy(path.join(root, 'open', 'data'), stranger), { ok: true });
});

test('a private parent blocks the way, and is named', async () => {
  await mkdir(path.join(root, 'private', 'data'), { recursive: true });
  await chmod(path.join(root, 'private'), 0o700);
  assert.deepEqual(await isReachableBy(path.join(root, 'private', 'data'), stranger), {
    ok: false,
    blockedAt: path.join(root, 'private'),
  });
});

test('a path not created yet is judged by the part that exists', async () => {
  assert.deepEqual(await isReachableBy(path.join(root, 'later', 'data'), stranger), { ok: true });
});
