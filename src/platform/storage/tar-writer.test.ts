import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { readTarEntries } from '../../../test/helpers/tar.js';
import { tarBlockBytes, tarHeader, tarPadding, type TarHeaderEntry } from './tar-writer.js';

const run = promisify(execFile);
let dir: string;
const mtime = new Date('2026-03-04T05:06:07Z');
const longName = `base/${'d'.repeat(90)}/${'e'.repeat(60)}/file-with-a-long-name`;
const content = new Map<string, Buffer>([
  ['base/1/small', Buffer.from('hello\n')],
  ['base/1/empty', Buffer.alloc(0)],
  ['base/1/block', randomBytes(tarBlockBytes)],
  ['base/1/odd', randomBytes(3 * tarBlockBytes + 17)],
  [longName, Buffer.from('deep')],
]);

/** An archive of `entries` as the file backup writes one: header, content, padding; two zero blocks at the end. */
function archive(entries: readonly TarHeaderEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(tarHeader(entry));
    if (entry.type === 'file') parts.push(content.get(entry.name)!, Buffer.alloc(tarPadding(entry.size)));
  }
  parts.push(Buffer.alloc(2 * tarBlockBytes));
  return Buffer.concat(parts);
}

const entries: TarHeaderEntry[] = [
  { name: 'base', type: 'directory', mode: 0o40700, size: 0, mtime },
  { name: 'base/1', type: 'directory', mode: 0o40700, size: 0, mtime },
  ...[...content].map(([name, data]): TarHeaderEntry => ({
    name,
    type: 'file',
    mode: 0o100640,
    size: data.length,
    mtime,
  })),
  { name: 'pg_tblspc_link', type: 'symlink', mode: 0o120777, size: 0, mtime, linkname: '/elsewhere/tablespace' },
];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'steadfast-tar-writer-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('pads content to whole blocks', () => {
  assert.equal(tarPadding(0), 0);
  assert.equal(tarPadding(1), 511);
  assert.equal(tarPadding(512), 0);
  assert.equal(tarPadding(513), 511);
});

test('GNU tar lists and extracts what the headers describe, checksums included', async () => {
  const file = path.join(dir, 'written.tar');
  await writeFile(file, archive(entries));
  const { stdout } = await run('tar', ['-tvf', file, '--utc']);
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, entries.length);
  assert.match(
    lines.find((line) => line.endsWith(' base/1/odd'))!,
    /^-rw-r----- 0\/0 +1553 2026-03-04 05:06 base\/1\/odd$/,
  );
  assert.match(
    lines.find((line) => line.includes('pg_tblspc_link'))!,
    /^l.* pg_tblspc_link -> \/elsewhere\/tablespace$/,
  );
  assert.ok(
    lines.some((line) => line.endsWith(` ${longName}`)),
    'a name past 100 bytes goes through the prefix field',
  );

  const out = path.join(dir, 'out');
  await mkdir(out);
  await run('tar', ['-xf', file, '-C', out]);
  for (const [name, data] of content) assert.ok((await readFile(path.join(out, name))).equals(data), name);
  assert.equal((await stat(path.join(out, 'base/1/small'))).mode & 0o777, 0o640);
  assert.equal((await stat(path.join(out, 'base/1/small'))).mtime.getTime(), mtime.getTime());
  assert.equal(await readlink(path.join(out, 'pg_tblspc_link')), '/elsewhere/tablespace');
});

test('our own reader reads it back entry by entry', () => {
  const seen = readTarEntries(archive(entries));
  for (const [name, data] of content) assert.ok(seen.get(name)!.content.equals(data), name);
  assert.equal(seen.get('base/1')!.entry.type, 'directory');
  assert.equal(seen.get('pg_tblspc_link')!.entry.linkname, '/elsewhere/tablespace');
});

test('refuses what a ustar header cannot hold, rather than writing a wrong one', () => {
  assert.throws(
    () => tarHeader({ name: `${'x'.repeat(101)}`, type: 'file', mode: 0o600, size: 1, mtime }),
    /too long for a tar header/,
  );
  assert.throws(
    () => tarHeader({ name: 'huge', type: 'file', mode: 0o600, size: 8 ** 11, mtime }),
    /does not fit a 12-byte tar field/,
  );
});
