import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../log/log.js';
import { restoreCommand, WalFeed, type WalSupplier } from './wal-feed.js';

const segment = (n: number): string => `00000001000000000000000${n.toString(16).toUpperCase()}`;

let scratch: string;
let dir: string;
beforeEach(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'steadfast-wal-feed-'));
  dir = path.join(scratch, 'wal-restore');
  await mkdir(dir);
});
afterEach(() => rm(scratch, { recursive: true, force: true }));

/** Runs restore_command as PostgreSQL would, for `file`, into `into` (`<scratch>/got`); its exit code. */
function askFor(file: string, unreadable: 'stop' | 'end', into = path.join(scratch, 'got')): Promise<number> {
  const command = restoreCommand(dir, unreadable).replaceAll('%f', file).replaceAll('%p', into);
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], (error) => resolve(error ? Number(error.code) : 0));
  });
}

/** A supplier whose files are given: bytes, an error to throw, or 'stall' (sends nothing, ever). */
function supplier(files: Record<string, Buffer | Error | 'stall'>): WalSupplier & { closed: string[] } {
  const closed: string[] = [];
  return {
    closed,
    open(file) {
      const content = files[file];
      if (content === undefined) return undefined;
      let sent = false;
      return {
        [Symbol.asyncIterator]: () => ({
          next(): Promise<IteratorResult<Buffer>> {
            if (content === 'stall') return new Promise(() => undefined);
            if (content instanceof Error) return Promise.reject(content);
            if (sent) return Promise.resolve({ done: true, value: undefined });
            sent = true;
            return Promise.resolve({ done: false, value: content });
          },
          return(): Promise<IteratorResult<Buffer>> {
            closed.push(file);
            return Promise.resolve({ done: true, value: undefined });
          },
        }),
      };
    },
    following: (file, count) =>
      Array.from({ length: count }, (_, index) => segment(parseInt(file.slice(-8), 16) + index + 1)).filter(
        (next) => next in files,
      ),
  };
}

describe('WalFeed with restore_command', () => {
  test('hands over the file asked for, says "not archived" (exit 1) past the end, and fetches ahead', async () => {
    const feed = new WalFeed(dir, supplier({ [segment(1)]: Buffer.from('one'), [segment(2)]: Buffer.from('two') }), {
      log: silentLogger(),
    });
    feed.start();
    try {
      assert.equal(await askFor(segment(1), 'stop'), 0);
      assert.equal(await readFile(path.join(scratch, 'got'), 'utf8'), 'one');
      // Read-ahead starts once the file asked for is in place: give it a moment.
      const listed = async () => (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
      for (let tries = 0; tries < 200 && (await listed()).length < 2; tries++) await sleep(10);
      assert.deepEqual(await listed(), [segment(1), segment(2)], 'the second segment was fetched ahead');
      assert.equal(feed.handedOver, 1, 'only the segment asked for counts as handed over');
      assert.equal(await askFor(segment(3), 'stop'), 1);
      assert.equal(feed.failure, undefined);
    } finally {
      await feed.stop();
    }
  });

  for (const [unreadable, code] of [
    ['stop', 255],
    ['end', 1],
  ] as const) {
    test(`a file that cannot be read exits ${code} with "${unreadable}", and is the feed's failure`, async () => {
      const damage = new Error('backup chunk failed authentication');
      const feed = new WalFeed(dir, supplier({ [segment(1)]: damage }), { log: silentLogger() });
      feed.start();
      try {
        assert.equal(await askFor(segment(1), unreadable), code);
        assert.equal(feed.failure, damage);
      } finally {
        await feed.stop();
      }
    });
  }

  test('a copy that keeps failing (a full or missing target) ends with 255 after a few tries, never loops for ever', async () => {
    const feed = new WalFeed(dir, supplier({ [segment(1)]: Buffer.from('one') }), { log: silentLogger() });
    feed.start();
    try {
      assert.equal(await askFor(segment(1), 'stop', path.join(scratch, 'no-such-directory', 'got')), 255);
    } finally {
      await feed.stop();
    }
  });

  test('a segment whose archived copy cannot be read but which the restored pg_wal holds is "not archived", so PostgreSQL reads its own', async () => {
    const localWal = path.join(scratch, 'pg_wal');
    await mkdir(localWal);
    await writeFile(path.join(localWal, segment(1)), 'carried by the backup');
    const feed = new WalFeed(dir, supplier({ [segment(1)]: new Error('damaged') }), {
      log: silentLogger(),
      localWal,
    });
    feed.start();
    try {
      assert.equal(await askFor(segment(1), 'stop'), 1);
      assert.equal(feed.failure, undefined);
    } finally {
      await feed.stop();
    }
  });

  test('a repository that stops sending fails the file after the I/O timeout instead of holding recovery', async () => {
    const source = supplier({ [segment(1)]: 'stall' });
    const feed = new WalFeed(dir, source, { log: silentLogger(), ioTimeoutMs: 300 });
    feed.start();
    try {
      assert.equal(await askFor(segment(1), 'stop'), 255);
      assert.equal(feed.failure?.message, `the repository sent nothing of ${segment(1)} for 0.3 s`);
      assert.ok(source.closed.includes(segment(1)), 'the stalled source was told to close');
    } finally {
      await feed.stop();
    }
  });

  test('stop abandons a read-ahead fetch that is stalled, and leaves no partial file', async () => {
    const source = supplier({ [segment(1)]: Buffer.from('one'), [segment(2)]: 'stall' });
    const feed = new WalFeed(dir, source, { log: silentLogger() }); // the default 60 s timeout
    feed.start();
    assert.equal(await askFor(segment(1), 'stop'), 0);
    const stopped = feed.stop().then(() => 'stopped');
    const outcome = await Promise.race([
      stopped,
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5000).unref()),
    ]);
    assert.equal(outcome, 'stopped');
    assert.ok(source.closed.includes(segment(2)));
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.startsWith('.fetching-')),
      [],
    );
  });

  test('a directory it cannot work any more breaks the feed, so recovery stops rather than wait for an answer', async () => {
    const feed = new WalFeed(dir, supplier({}), { log: silentLogger() });
    feed.start();
    try {
      await rm(dir, { recursive: true });
      await assert.rejects(feed.broken, /the WAL directory .*wal-restore cannot be worked: ENOENT/);
    } finally {
      await feed.stop();
    }
  });
});
