import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { extractTar } from './tar-extract.js';
import { tarHeader, tarPadding } from './tar-writer.js';
import { readTarEntries } from '../../../test/helpers/tar.js';

const run = promisify(execFile);
let dir: string;
let archive: Buffer;
const big = randomBytes(3 * 1024 * 1024 + 17);
const longDir = `base/${'d'.repeat(70)}/${'e'.repeat(70)}`;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'steadfast-tar-'));
  const source = path.join(dir, 'source');
  await mkdir(path.join(source, 'base/1'), { recursive: true });
  await mkdir(path.join(source, longDir), { recursive: true });
  await writeFile(path.join(source, 'base/1/small'), 'hello\n', { mode: 0o640 });
  await writeFile(path.join(source, 'base/1/empty'), '');
  await writeFile(path.join(source, 'base/1/big'), big);
  await writeFile(path.join(source, longDir, 'deep'), 'deep');
  await symlink('/elsewhere/tablespace', path.join(source, 'link'));
  // POSIX ustar, as PostgreSQL writes it (the long directory goes through the prefix field).
  await run('tar', ['--format=ustar', '-cf', path.join(dir, 'a.tar'), '-C', source, '.']);
  archive = await readFile(path.join(dir, 'a.tar'));
});
after(() => rm(dir, { recursive: true, force: true }));

const read = readTarEntries;

test('reads every entry with its content, whatever the pieces it is fed in', () => {
  for (const pieceBytes of [1, 511, 512, 4096, 1_000_003, archive.length]) {
    if (pieceBytes === 1 && archive.length > 4_000_000) continue; // byte by byte only matters for headers; covered by 511
    const entries = read(archive, pieceBytes);
    assert.equal(entries.get('./base/1/small')!.content.toString(), 'hello\n');
    assert.equal(entries.get('./base/1/small')!.entry.mode & 0o777, 0o640);
    assert.equal(entries.get('./base/1/empty')!.content.length, 0);
    assert.ok(entries.get('./base/1/big')!.content.equals(big));
    assert.equal(entries.get(`./${longDir}/deep`)!.content.toString(), 'deep');
    assert.equal(entries.get('./link')!.entry.type, 'symlink');
    assert.equal(entries.get('./link')!.entry.linkname, '/elsewhere/tablespace');
    assert.equal(entries.get('./base/1')!.entry.type, 'directory');
  }
});

test('refuses a damaged header, an entry type PostgreSQL does not write, and an archive cut short', () => {
  const damaged = Buffer.from(archive);
  damaged[600]! ^= 0x40; // inside the second header's name
  damaged[512 + 10]! ^= 0x01;
  assert.throws(() => read(damaged, 4096), /fails its checksum/);
  const gnuLong = Buffer.from(archive.subarray(0, 512));
  gnuLong[156] = 'L'.charCodeAt(0);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : gnuLong[i]!;
  gnuLong.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  assert.throws(() => read(gnuLong, 512), /type 'L'/);
  const bigStart = archive.indexOf(big.subarray(0, 64));
  assert.throws(() => read(archive.subarray(0, bigStart + 1000), 4096), /cut short inside \.\/base\/1\/big/);
});

test('extracts files small and large, empty ones, directories and symlinks, with their modes', async () => {
  const target = path.join(dir, 'out');
  await mkdir(target);
  const pieces = (async function* () {
    for (let offset = 0; offset < archive.length; offset += 65_536) yield archive.subarray(offset, offset + 65_536);
  })();
  const result = await extractTar(pieces, target);
  assert.equal(result.files, 4);
  assert.equal(result.bytes, big.length + 6 + 4);
  assert.ok((await readFile(path.join(target, 'base/1/big'))).equals(big));
  assert.equal(await readFile(path.join(target, 'base/1/small'), 'utf8'), 'hello\n');
  assert.equal((await stat(path.join(target, 'base/1/small'))).mode & 0o777, 0o640);
  assert.equal((await stat(path.join(target, 'base/1/empty'))).size, 0);
  assert.equal(await readFile(path.join(target, longDir, 'deep'), 'utf8'), 'deep');
  assert.equal(await readlink(path.join(target, 'link')), '/elsewhere/tablespace');
});

test('everything extracted belongs to the owner given: the target, every directory made, file and symlink', async (t) => {
  // Root gives files away (as a restore does, to the PostgreSQL user); anyone else can only keep them.
  const owner = process.getuid!() === 0 ? { uid: 4242, gid: 4343 } : { uid: process.getuid!(), gid: process.getgid!() };
  if (process.getuid!() !== 0) t.diagnostic('not root: the owner given is this user, so the test shows less');
  const target = path.join(dir, 'owned');
  await mkdir(target);
  await extractTar(
    (async function* () {
      yield archive;
    })(),
    target,
    { owner },
  );
  const all = [target, ...(await readdir(target, { recursive: true })).map((name) => path.join(target, name))];
  assert.ok(all.length >= 8, `made ${all.length} entries`);
  for (const entry of all) {
    const info = await lstat(entry);
    assert.deepEqual([info.uid, info.gid], [owner.uid, owner.gid], entry);
  }
});

test('refuses an entry that would land outside the target, having written nothing outside it', async () => {
  const source = path.join(dir, 'evil-src');
  await mkdir(source);
  await writeFile(path.join(source, 'x'), 'x');
  const evil = path.join(dir, 'evil.tar');
  await run('tar', ['--format=ustar', '-cf', evil, '-C', source, '--transform', 's,^\\./x,../escaped,', './x']);
  const target = path.join(dir, 'evil-out');
  await mkdir(target);
  const data = await readFile(evil);
  await assert.rejects(
    extractTar(
      (async function* () {
        yield data;
      })(),
      target,
    ),
    /points outside/,
  );
  await assert.rejects(stat(path.join(dir, 'escaped')), { code: 'ENOENT' });
});

test('refuses a file in the place of the target, and a link or file in the way of a directory, writing through neither', async () => {
  const once = (data: Buffer) =>
    (async function* () {
      yield data;
    })();
  const entry = (name: string, type: 'file' | 'directory', content = '') =>
    Buffer.concat([
      tarHeader({ name, type, mode: 0o600, size: content.length, mtime: new Date() }),
      Buffer.from(content),
      Buffer.alloc(tarPadding(content.length)),
    ]);
  const itself = path.join(dir, 'itself');
  await mkdir(itself);
  await assert.rejects(extractTar(once(entry('.', 'file')), itself), /"\." is a file in the place of/);

  // A later archive of the same restore finds a link where it expects a directory (or a file).
  const linked = path.join(dir, 'linked');
  const elsewhere = path.join(dir, 'elsewhere');
  await mkdir(linked);
  await mkdir(elsewhere);
  await symlink(elsewhere, path.join(linked, 'base'));
  await writeFile(path.join(linked, 'global'), 'not a directory');
  await assert.rejects(
    extractTar(once(entry('base/1/2600', 'file', 'x')), linked),
    /base is in the way of a directory/,
  );
  await assert.rejects(
    extractTar(once(entry('global/1262', 'file', 'x')), linked),
    /global is in the way of a directory/,
  );
  // A file of the archive where a link is: the link is not followed.
  await symlink(path.join(elsewhere, 'target-file'), path.join(linked, 'PG_VERSION'));
  await assert.rejects(extractTar(once(entry('PG_VERSION', 'file', '17\n')), linked), /ELOOP/);
  assert.deepEqual(await readdir(elsewhere), []);
});

test('stops writing when its source fails half-way, and reports the failure', async () => {
  const target = path.join(dir, 'cut-out');
  await mkdir(target);
  const bigStart = archive.indexOf(big.subarray(0, 64));
  const failing = (async function* () {
    yield Buffer.from(archive.subarray(0, bigStart + 100_000));
    // Fail once the writing has begun (the writing thread takes a moment to start).
    for (
      let waited = 0;
      !(await stat(path.join(target, 'base/1/big')).catch(() => undefined)) && waited < 10_000;
      waited += 20
    )
      await new Promise((resolve) => setTimeout(resolve, 20));
    throw new Error('the repository went away');
  })();
  await assert.rejects(extractTar(failing, target, { handOver: true }), /the repository went away/);
  // Nothing is written once it has thrown, so the caller can empty the target and it stays empty.
  await rm(target, { recursive: true });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await assert.rejects(stat(target), { code: 'ENOENT' });
});

test('reports a file it cannot write with the system error and stops there', async () => {
  const target = path.join(dir, 'blocked-out');
  await mkdir(path.join(target, 'base/1/small'), { recursive: true }); // a directory where a file goes
  await assert.rejects(
    extractTar(
      (async function* () {
        yield archive;
      })(),
      target,
    ),
    (error: NodeJS.ErrnoException) => error.code === 'EISDIR' && /small/.test(error.message),
  );
});
