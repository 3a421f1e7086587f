import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { AppError } from '../errors.js';
import { disposable } from '../slabs.js';
import { seal, sealedChunkBytes, unseal, type SealingKey } from './sealed.js';

const sealing: SealingKey = { key: randomBytes(32), id: randomBytes(8) };
const context = 'backups/20261124T020000Z/base.tar.sealed';

async function* pieces(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const piece of source) out.push(piece);
  return Buffer.concat(out);
}

async function sealed(data: Buffer): Promise<Buffer> {
  return collect(seal(pieces(data, 100_000), sealing, context));
}

function failsWith(code: string, detail: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, detail);
    return true;
  };
}

/** Mixed data: compressible text and incompressible noise, across several chunks. */
function sample(bytes: number): Buffer {
  const data = Buffer.alloc(bytes);
  for (let offset = 0; offset < bytes; offset += 8192) {
    if ((offset / 8192) % 3 === 0) randomBytes(Math.min(8192, bytes - offset)).copy(data, offset);
    else data.write(`tuple ${offset} `.repeat(400), offset);
  }
  return data;
}

for (const bytes of [0, 1, 1000, sealedChunkBytes, sealedChunkBytes * 2 + 12345]) {
  test(`round-trips ${bytes} bytes, cut into any pieces`, async () => {
    const data = sample(bytes);
    const stored = await sealed(data);
    const back = await collect(unseal(pieces(stored, 7777), sealing, context));
    assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(data).digest('hex'));
  });
}

test('compresses what compresses and never stores plaintext', async () => {
  const text = Buffer.from('SELECT * FROM projects WHERE tenant = 42; '.repeat(200_000));
  const stored = await sealed(text);
  assert.ok(stored.length < text.length / 5, `stored ${stored.length} bytes of ${text.length}`);
  assert.equal(stored.includes(Buffer.from('SELECT * FROM projects')), false);
});

test('refuses a flipped bit in the header, the first chunk, a middle chunk or the last tag', async () => {
  const stored = await sealed(sample(sealedChunkBytes * 2 + 5000));
  for (const position of [25, 40, Math.floor(stored.length / 2), stored.length - 1]) {
    const damaged = Buffer.from(stored);
    damaged[position]! ^= 0x01;
    await assert.rejects(
      collect(unseal(pieces(damaged, 65536), sealing, context)),
      failsWith('BACKUP_CORRUPT', /fails authentication|claims|truncated/),
      `bit at ${position}`,
    );
  }
});

test("refuses an intact object put in another object's place", async () => {
  const stored = await sealed(sample(1000));
  await assert.rejects(
    collect(unseal(pieces(stored, 65536), sealing, 'wal/000000010000000000000007.sealed')),
    failsWith('BACKUP_CORRUPT', /another object put in its place/),
  );
});

test('refuses a stream cut short, even at a chunk boundary', async () => {
  const stored = await sealed(sample(sealedChunkBytes * 2 + 10));
  await assert.rejects(
    collect(unseal(pieces(stored.subarray(0, stored.length - 30), 65536), sealing, context)),
    failsWith('BACKUP_CORRUPT', /truncated/),
  );
  // Drop the whole last frame: what remains is a valid prefix, but has no final chunk.
  let offset = 32;
  const frames: number[] = [];
  while (offset < stored.length) {
    frames.push(offset);
    offset += 5 + stored.readUInt32BE(offset + 1) + 16;
  }
  await assert.rejects(
    collect(unseal(pieces(stored.subarray(0, frames.at(-1)), 65536), sealing, context)),
    failsWith('BACKUP_CORRUPT', /without its final chunk/),
  );
});

test('refuses the wrong key before decrypting, naming both keys', async () => {
  const stored = await sealed(sample(1000));
  const other: SealingKey = { key: randomBytes(32), id: randomBytes(8) };
  await assert.rejects(
    collect(unseal(pieces(stored, 65536), other, context)),
    failsWith('BACKUP_KEY_MISMATCH', new RegExp(sealing.id.toString('hex'))),
  );
});

test('refuses something that is not a sealed object', async () => {
  await assert.rejects(
    collect(unseal(pieces(Buffer.from('just a tar file, not sealed at all'), 10), sealing, context)),
    failsWith('BACKUP_CORRUPT', /bad header/),
  );
});

test("leaves the caller's buffers alone unless they are handed over, and seals the same either way", async () => {
  const data = sample(sealedChunkBytes * 2 + 100);
  // Buffers of exactly one chunk on memory of their own: the ones a worker could take without a copy.
  const own = (): Buffer[] => [
    Buffer.from(data.subarray(0, sealedChunkBytes)),
    Buffer.from(data.subarray(sealedChunkBytes, 2 * sealedChunkBytes)),
    Buffer.from(data.subarray(2 * sealedChunkBytes)),
  ];
  const kept = own();
  const storedKept = await collect(
    seal(
      (async function* () {
        yield* kept;
      })(),
      sealing,
      context,
    ),
  );
  assert.ok(Buffer.concat(kept).equals(data), 'buffers not handed over are untouched');
  const given = own();
  const storedGiven = await collect(
    seal(
      (async function* () {
        yield* given;
      })(),
      sealing,
      context,
      { handOver: true },
    ),
  );
  assert.equal(given[0]!.length, 0, 'a whole chunk handed over moved to a worker');
  for (const stored of [storedKept, storedGiven])
    assert.ok((await collect(unseal(pieces(stored, 65_536), sealing, context))).equals(data));
});

test('pieces their producer let go of leave this thread once read; unmarked ones are left alone; the data opens intact', async () => {
  const data = sample(sealedChunkBytes * 2 + 4321);
  const stored = await sealed(data);
  // Cut as a file is read, each piece on memory of its own; every other one marked disposable.
  const read: Buffer[] = [];
  for (let offset = 0; offset < stored.length; offset += 300_000) {
    const piece = Buffer.from(stored.subarray(offset, offset + 300_000));
    read.push(read.length % 2 === 0 ? disposable(piece) : piece);
  }
  const back = await collect(
    unseal(
      (async function* () {
        yield* read;
      })(),
      sealing,
      context,
    ),
  );
  assert.ok(back.equals(data));
  const marked = read.filter((_, index) => index % 2 === 0);
  const unmarked = read.filter((_, index) => index % 2 === 1);
  // Moved to a worker once used up (the last may be held to the end of the stream): its memory here is gone.
  assert.ok(
    marked.slice(0, -1).every((piece) => piece.length === 0),
    'disposable pieces moved away',
  );
  assert.ok(
    unmarked.every(
      (piece) => piece.length > 0 && piece.equals(stored.subarray(read.indexOf(piece) * 300_000).subarray(0, 300_000)),
    ),
    'pieces not marked are untouched',
  );
});

test('an object bound to its cluster opens for that cluster, is refused for another naming both, and its identifier cannot be changed', async () => {
  const data = sample(sealedChunkBytes + 1000);
  const ours = '7400000000000000001';
  const bound = await collect(seal(pieces(data, 100_000), sealing, context, { cluster: ours }));
  assert.ok((await collect(unseal(pieces(bound, 7000), sealing, context, { cluster: ours }))).equals(data));
  assert.ok((await collect(unseal(pieces(bound, 7000), sealing, context))).equals(data), 'a reader expecting none');
  await assert.rejects(
    collect(unseal(pieces(bound, 7000), sealing, context, { cluster: '7400000000000000002', where: 'offsite' })),
    failsWith(
      'REPOSITORY_OF_ANOTHER_CLUSTER',
      new RegExp(
        `${context} in offsite belongs to the PostgreSQL cluster ${ours}, not to this one \\(7400000000000000002\\)`,
      ),
    ),
  );
  // Writing another cluster's identifier into the header is caught by every chunk's authentication.
  const relabelled = Buffer.from(bound);
  relabelled.writeBigUInt64BE(7400000000000000002n, 32);
  await assert.rejects(
    collect(unseal(pieces(relabelled, 7000), sealing, context, { cluster: '7400000000000000002' })),
    failsWith('BACKUP_CORRUPT', /fails authentication/),
  );
  // Objects sealed before the binding name no cluster: still read.
  assert.ok(
    (await collect(unseal(pieces(await sealed(data), 7000), sealing, context, { cluster: ours }))).equals(data),
  );
});

test('a sealed format this version does not know is refused as such, and a foreign object as corrupt', async () => {
  const newer = await sealed(sample(1000));
  newer[8] = 3;
  await assert.rejects(
    collect(unseal(pieces(newer, 7000), sealing, context)),
    failsWith(
      'BACKUP_CORRUPT',
      /sealed format version 3, which this Steadfast does not read: a newer version wrote it/,
    ),
  );
  const foreign = Buffer.alloc(64, 2); // byte 8 says 2, but it is no sealed object
  await assert.rejects(
    collect(unseal(pieces(foreign, 7000), sealing, context)),
    failsWith('BACKUP_CORRUPT', /bad header/),
  );
});
