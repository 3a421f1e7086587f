import { randomBytes } from 'node:crypto';
import { appError } from '../errors.js';
import { copyIntoSlab, slabView, takeSlab } from '../slabs.js';
import { lentSlabBytes, sealedChunkBytes, sealPool } from './seal-pool.js';

/**
 * The sealed stream: how backup data is stored. The plaintext is cut into chunks; each is
 * compressed with LZ4 (kept raw if that does not shrink it) and encrypted with
 * AES-256-GCM. Every chunk's nonce and authenticated data carry its index and whether
 * it is the last, so chunks cannot be reordered, dropped or appended, and a stream cut
 * short is detected (the STREAM construction).
 *
 *   header (32 bytes): "SFSEAL1\0" | version 1 | 3 reserved | key id (8) | base nonce (12)
 *   version 2 adds:    the PostgreSQL system identifier of the cluster it belongs to (u64 BE): 40 bytes
 *   frame:             flags (1: final, compressed) | length (u32 BE) | ciphertext | tag (16)
 *
 * The header is authenticated with every chunk, so the cluster an object names cannot be changed:
 * an object copied in from another cluster's repository is refused on read, naming both.
 */
const magic = Buffer.from('SFSEAL1\0', 'latin1');
const headerBytes = 32;
/** A version 2 header: the cluster's system identifier after the version 1 fields. */
const clusterHeaderBytes = 40;
const frameHeaderBytes = 5;
const tagBytes = 16;
const flagFinal = 1;
const flagCompressed = 2;
/** Plaintext per chunk (defined beside the pool, which lends slabs of it). */
export { sealedChunkBytes };

export interface SealingKey {
  readonly key: Buffer;
  /** Eight bytes identifying the key (not secret), stored in every header. */
  readonly id: Buffer;
}

function nonceFor(base: Buffer, index: number): Buffer {
  const nonce = Buffer.from(base);
  const counter = nonce.readBigUInt64BE(4) ^ BigInt(index);
  nonce.writeBigUInt64BE(counter, 4);
  return nonce;
}

/** Authenticated with every chunk: the header, where the object belongs, the chunk's index and flags. */
function aadFor(header: Buffer, context: Buffer, index: number, flags: number): Buffer {
  const at = header.length;
  const aad = Buffer.alloc(at + 4 + context.length + 9);
  header.copy(aad, 0);
  aad.writeUInt32BE(context.length, at);
  context.copy(aad, at + 4);
  aad.writeBigUInt64BE(BigInt(index), at + 4 + context.length);
  aad[at + 4 + context.length + 8] = flags;
  return aad;
}

/**
 * Re-cuts any stream of buffers into chunks of exactly `size` bytes (the last may be shorter).
 * A piece already a whole chunk is passed on as it is; `fresh` says the chunk was made here.
 */
async function* rechunk(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<{ data: Buffer; fresh: boolean }> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of source) {
    let offset = 0;
    while (offset < piece.length) {
      if (pendingBytes === 0 && piece.length - offset >= size) {
        yield { data: piece.subarray(offset, offset + size), fresh: false };
        offset += size;
        continue;
      }
      const take = Math.min(size - pendingBytes, piece.length - offset);
      pending.push(piece.subarray(offset, offset + take));
      pendingBytes += take;
      offset += take;
      if (pendingBytes === size) {
        yield { data: joined(pending, size), fresh: true };
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield { data: Buffer.concat(pending, pendingBytes), fresh: true };
}

/** The pieces copied into one reusable buffer of `size` bytes. */
function joined(pieces: readonly Buffer[], size: number): Buffer {
  const out = takeSlab(size);
  let at = 0;
  for (const piece of pieces) at += copyIntoSlab(piece, out, at);
  return out;
}

/** Chunks sealed or opened at once: enough to keep every worker busy, few enough to keep memory flat. */
const depth = 2 * sealPool.size;

/** Awaits queued results in order; a failure is reported when its turn comes, never as an unhandled rejection. */
class InOrder<T> {
  private readonly queue: Array<Promise<T>> = [];

  get length(): number {
    return this.queue.length;
  }

  add(result: Promise<T>): void {
    result.catch(() => undefined);
    this.queue.push(result);
  }

  next(): Promise<T> {
    return this.queue.shift()!;
  }
}

export interface SealOptions {
  /**
   * The source's buffers are not used again by anyone, so a whole chunk of them can move to
   * a worker without a copy (afterwards it is empty). Off by default: buffers are copied.
   */
  readonly handOver?: boolean;
  /** The PostgreSQL system identifier of the cluster the object belongs to, bound to it (a version 2 header). */
  readonly cluster?: string | undefined;
}

/** What a reader expects of a sealed object beyond its key and name. */
export interface UnsealOptions {
  /** The cluster it must belong to; an object naming another is refused (one naming none predates the binding). */
  readonly cluster?: string | undefined;
  /** Where it was read from, for the refusal (a repository's name). */
  readonly where?: string | undefined;
  /**
   * Each piece of plaintext is a view of a slab (shared memory, reused) that its reader gives
   * back with giveSlab once done with it (or drops, to the collector): for a reader moving
   * gigabytes to another thread, which then neither allocates nor moves memory per piece.
   */
  readonly intoSlabs?: boolean | undefined;
}

/**
 * Compresses and encrypts `source`; yields the sealed stream, header first. `context` (the
 * object's name, e.g. its key in the repository) is authenticated with every chunk, so an
 * object moved or copied to another name fails to open. Chunks are sealed on the worker
 * pool, several at once, and come out in order.
 */
export async function* seal(
  source: AsyncIterable<Buffer>,
  sealing: SealingKey,
  context: string,
  options: SealOptions = {},
): AsyncGenerator<Buffer> {
  const bound = Buffer.from(context, 'utf8');
  const header = Buffer.alloc(options.cluster === undefined ? headerBytes : clusterHeaderBytes);
  magic.copy(header, 0);
  header[8] = options.cluster === undefined ? 1 : 2;
  if (options.cluster !== undefined) header.writeBigUInt64BE(BigInt(options.cluster), headerBytes);
  sealing.id.copy(header, 12, 0, 8);
  const baseNonce = randomBytes(12);
  baseNonce.copy(header, 20);
  yield header;

  const frames = new InOrder<Buffer>();
  let index = 0;
  const submit = (chunk: { data: Buffer; fresh: boolean }, final: boolean): void => {
    // The worker sets the flags (it decides whether compression pays) in the last byte of the AAD.
    const handOver = chunk.fresh || options.handOver === true;
    frames.add(
      sealPool.seal({
        key: sealing.key,
        nonce: nonceFor(baseNonce, index),
        aad: aadFor(header, bound, index, 0),
        plain: chunk.data,
        final,
        handOver,
      }),
    );
    index++;
  };
  // Each chunk is held until the next arrives, so the last one is known and marked final.
  let held: { data: Buffer; fresh: boolean } | undefined;
  for await (const chunk of rechunk(source, sealedChunkBytes)) {
    if (held) submit(held, false);
    held = chunk;
    if (frames.length >= depth) yield await frames.next();
  }
  // An empty stream still ends with an (empty) final frame.
  submit(held ?? { data: Buffer.alloc(0), fresh: true }, true);
  while (frames.length > 0) yield await frames.next();
}

/** Reads the key id of a sealed stream's header, to tell "wrong key" from "corrupt data". */
export function sealedKeyId(header: Buffer): Buffer {
  if (header.length < headerBytes || !header.subarray(0, 8).equals(magic)) {
    throw appError('BACKUP_CORRUPT', 'This is not a Steadfast sealed backup object (bad header).');
  }
  return header.subarray(12, 20);
}

/** Decrypts, authenticates and decompresses a sealed stream; throws on any tampering or truncation. */
export async function* unseal(
  source: AsyncIterable<Buffer>,
  sealing: SealingKey,
  context: string,
  expected: UnsealOptions = {},
): AsyncGenerator<Buffer> {
  const name = Buffer.from(context, 'utf8');
  const chunks = new InOrder<Buffer>();
  for await (const frame of readFrames(source, sealing, context, expected)) {
    const { index, flags, sealed, fresh, header } = frame;
    const opened = sealPool.open({
      key: sealing.key,
      nonce: nonceFor(header.subarray(20, 32), index),
      aad: aadFor(header, name, index, flags),
      sealed,
      compressed: (flags & flagCompressed) !== 0,
      handOver: fresh,
      intoSlab: expected.intoSlabs === true,
    });
    chunks.add(
      opened.then((plain) => {
        if (plain) return plain;
        throw appError(
          'BACKUP_CORRUPT',
          `Chunk ${index} of ${context} fails authentication: it was altered, damaged, or is another object put in its place.`,
        );
      }),
    );
    if (chunks.length >= depth) {
      const plain = await chunks.next();
      if (plain.length > 0) yield plain;
    }
  }
  while (chunks.length > 0) {
    const plain = await chunks.next();
    if (plain.length > 0) yield plain;
  }
}

/** The frames of a sealed stream, in order, still encrypted: the framing is checked here, the content by the worker. */
async function* readFrames(
  source: AsyncIterable<Buffer>,
  sealing: SealingKey,
  context: string,
  expected: UnsealOptions,
): AsyncGenerator<{ index: number; flags: number; sealed: Buffer; fresh: boolean; header: Buffer }> {
  const reader = new ByteReader(source);
  try {
    const first = await reader.read(headerBytes);
    if (!first) throw appError('BACKUP_CORRUPT', 'The backup object is empty or cut short before its header.');
    let header = Buffer.from(first);
    sealedKeyId(header); // the magic first: not a sealed object at all is corrupt, whatever byte 8 says
    if (header[8] !== 1 && header[8] !== 2)
      throw appError(
        'BACKUP_CORRUPT',
        `${context} is in sealed format version ${header[8]}, which this Steadfast does not read: a newer version wrote it. Upgrade Steadfast to read it.`,
      );
    if (header[8] === 2) {
      const cluster = await reader.read(clusterHeaderBytes - headerBytes);
      if (!cluster) throw appError('BACKUP_CORRUPT', 'The backup object is cut short inside its header.');
      header = Buffer.concat([header, cluster]);
      // Read from the header before any chunk is authenticated: a changed identifier fails authentication next.
      const belongs = header.readBigUInt64BE(headerBytes).toString();
      if (expected.cluster !== undefined && belongs !== expected.cluster)
        throw appError(
          'REPOSITORY_OF_ANOTHER_CLUSTER',
          `${context}${expected.where ? ` in ${expected.where}` : ''} belongs to the PostgreSQL cluster ${belongs}, not to this one (${expected.cluster}): it was copied in from another cluster's repository, and is refused. Remove it, or restore that cluster from its own repository.`,
        );
    }
    if (!sealedKeyId(header).equals(sealing.id.subarray(0, 8))) {
      throw appError(
        'BACKUP_KEY_MISMATCH',
        `This backup was encrypted with key ${sealedKeyId(header).toString('hex')}, not with the key given (${sealing.id.subarray(0, 8).toString('hex')}). Use the backup key that was in use when it was taken.`,
      );
    }
    for (let index = 0; ; index++) {
      const frameHeader = await reader.read(frameHeaderBytes);
      if (!frameHeader)
        throw appError(
          'BACKUP_CORRUPT',
          `The backup object is truncated: it ends after ${index} chunk(s) without its final chunk.`,
        );
      const flags = frameHeader[0]!;
      const length = frameHeader.readUInt32BE(1);
      if (length > sealedChunkBytes + 1024 * 1024)
        throw appError(
          'BACKUP_CORRUPT',
          `Chunk ${index} claims ${length} bytes, more than any chunk can hold: the object is corrupt.`,
        );
      const sealed = await reader.read(length + tagBytes);
      if (!sealed) throw appError('BACKUP_CORRUPT', `The backup object is truncated inside chunk ${index}.`);
      yield { index, flags, sealed, fresh: reader.fresh, header };
      if (flags & flagFinal) {
        if (await reader.read(1)) throw appError('BACKUP_CORRUPT', 'The backup object has data after its final chunk.');
        return;
      }
    }
  } finally {
    // Stopped early (a failure, or a reader that gave up): the source is closed, not left open.
    await reader.close();
  }
}

/** Reads of this size or more that span pieces are made in a slab. */
const slabbedReadBytes = 64 * 1024;

/**
 * Reads exact byte counts from a stream of arbitrarily cut buffers. What a read returns is
 * valid until the next read: pieces of the source it has used up are then let go of (moved to
 * a worker, when their producer marked them disposable: see slabs.ts).
 */
class ByteReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  /** Pieces used up by the last read, let go of at the next. */
  private spent: Buffer[] = [];
  /** Whether the last read made a buffer of its own (rather than a view into the source's). */
  fresh = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Ends the source (its file closed, its connection given back); what it buffered is dropped. */
  async close(): Promise<void> {
    this.buffered = [];
    await this.iterator.return?.();
  }

  /**
   * Exactly `count` bytes, or undefined if the stream ends first. A read spanning pieces is
   * copied once into a buffer of its own: a frame-sized one into a slab (given back by the
   * sealing pool), so a restore allocates no new memory per frame on this thread.
   */
  async read(count: number): Promise<Buffer | undefined> {
    for (const piece of this.spent.splice(0)) sealPool.release(piece);
    while (this.bufferedBytes < count) {
      const { value, done } = await this.iterator.next();
      if (done) return undefined;
      this.buffered.push(value);
      this.bufferedBytes += value.length;
    }
    const first = this.buffered[0]!;
    if (first.length >= count) {
      this.take(count);
      this.fresh = false;
      return first.subarray(0, count);
    }
    this.fresh = true;
    const out =
      count >= slabbedReadBytes && count <= lentSlabBytes
        ? slabView(lentSlabBytes, count)
        : Buffer.allocUnsafeSlow(count);
    let filled = 0;
    for (const piece of this.buffered) {
      if (filled === count) break;
      filled += piece.copy(out, filled, 0, Math.min(piece.length, count - filled));
    }
    this.take(count);
    return out;
  }

  /** Drops the first `count` buffered bytes. */
  private take(count: number): void {
    this.bufferedBytes -= count;
    while (count > 0) {
      const first = this.buffered[0]!;
      if (first.length <= count) {
        count -= first.length;
        this.spent.push(this.buffered.shift()!);
      } else {
        this.buffered[0] = first.subarray(count);
        count = 0;
      }
    }
  }
}
