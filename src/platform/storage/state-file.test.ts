import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { stateFile } from './state-file.js';

test('a state file reads back what was written, reads as undefined once forgotten, and says when it is damaged', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'state-file-'));
  try {
    const file = stateFile<{ n: number }>(path.join(dir, 'state.json'), {
      damaged: (at) => new Error(`${at} is damaged`),
    });
    assert.equal(await file.read(), undefined);
    await file.write({ n: 1 });
    assert.deepEqual(await file.read(), { n: 1 });
    await file.forget();
    await file.forget();
    assert.equal(await file.read(), undefined);
    await writeFile(file.path, '{ not json');
    await assert.rejects(file.read(), { message: `${file.path} is damaged` });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
