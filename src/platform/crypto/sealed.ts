import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { compress, uncompress } from 'lz4-napi';
import { appError } from '../errors.js';

/**
 * The sealed stream: how backup data is stored. The plaintext is cut into chunks; each is
 * compressed with LZ4 (kept raw if that does not shrink it) and encrypted with
 * AES-256-GCM. Every chunk's nonce and authenticated data carry its index and whether
 * it is the last, so chunks cannot be reordered, dropped or appended, and a stream cut
 * short is detected (the STREAM construction).
 *
 *   header (32 bytes): "SFSEAL1\0" | version 1 | 3 reserved | key id (8) | base nonce (12)
 *   frame:             flags (1: final, compressed) | length (u32 BE) | ciphertext | tag (16)
 */
const magic = Buffer.from('SFSEAL1\0', 'latin1');
const headerBytes = 32;
const frameHeaderBytes = 5;
const tagBytes = 16;
const flagFinal = 1;
const flagCompressed = 2;
/** Plaintext per chunk: large enough for good compression, small enough to keep memory flat. */
export const sealedChunkBytes = 4 * 1024 * 1024;
/** Chunks compressed at once (LZ4 runs on libuv's thread pool). */
const compressionDepth = 3;

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
  const aad = Buffer.alloc(headerBytes + 4 + context.length + 9);
  header.copy(aad, 0);
  aad.writeUInt32BE(context.length, headerBytes);
  context.copy(aad, headerBytes + 4);
  aad.writeBigUInt64BE(BigInt(index), headerBytes + 4 + context.length);
  aad[headerBytes + 4 + context.length + 8] = flags;
  return aad;
}

/** Re-cuts any stream of buffers into chunks of exactly `size` bytes (the last may be shorter). */
async function* rechunk(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of source) {
    let offset = 0;
    while (offset < piece.length) {
      const take = Math.min(size - pendingBytes, piece.length - offset);
      pending.push(piece.subarray(offset, offset + take));
      pendingBytes += take;
      offset += take;
      if (pendingBytes === size) {
        yield Buffer.concat(pending, size);
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

async function squeeze(chunk: Buffer): Promise<{ data: Buffer; compressed: boolean }> {
  const packed = await compress(chunk);
  return packed.length < chunk.length ? { data: packed, compressed: true } : { data: chunk, compressed: false };
}

/**
 * Compresses and encrypts `source`; yields the sealed stream, header first. `context` (the
 * object's name, e.g. its key in the repository) is authenticated with every chunk, so an
 * object moved or copied to another name fails to open.
 */
export async function* seal(source: AsyncIterable<Buffer>, sealing: SealingKey, context: string): AsyncGenerator<Buffer> {
  const bound = Buffer.from(context, 'utf8');
  const header = Buffer.alloc(headerBytes);
  magic.copy(header, 0);
  header[8] = 1;
  sealing.id.copy(header, 12, 0, 8);
  const baseNonce = randomBytes(12);
  baseNonce.copy(header, 20);
  yield header;

  const inFlight: Array<Promise<{ data: Buffer; compressed: boolean }>> = [];
  let index = 0;
  const emit = async (final: boolean): Promise<Buffer> => {
    const { data, compressed } = await inFlight.shift()!;
    return frame(data, compressed, final);
  };
  const frame = (data: Buffer, compressed: boolean, final: boolean): Buffer => {
    const flags = (final ? flagFinal : 0) | (compressed ? flagCompressed : 0);
    const cipher = createCipheriv('aes-256-gcm', sealing.key, nonceFor(baseNonce, index));
    cipher.setAAD(aadFor(header, bound, index, flags));
    const body = Buffer.concat([cipher.update(data), cipher.final()]);
    const out = Buffer.alloc(frameHeaderBytes + body.length + tagBytes);
    out[0] = flags;
    out.writeUInt32BE(body.length, 1);
    body.copy(out, frameHeaderBytes);
    cipher.getAuthTag().copy(out, frameHeaderBytes + body.length);
    index++;
    return out;
  };

  for await (const chunk of rechunk(source, sealedChunkBytes)) {
    inFlight.push(squeeze(chunk));
    if (inFlight.length > compressionDepth) yield await emit(false);
  }
  while (inFlight.length > 1) yield await emit(false);
  // The last frame is marked final; an empty stream still ends with an (empty) final frame.
  yield inFlight.length === 1 ? await emit(true) : frame(Buffer.alloc(0), false, true);
}

/** Reads the key id of a sealed stream's header, to tell "wrong key" from "corrupt data". */
export function sealedKeyId(header: Buffer): Buffer {
  if (header.length < headerBytes || !header.subarray(0, 8).equals(magic)) {
    throw appError('BACKUP_CORRUPT', 'This is not a Steadfast sealed backup object (bad header).');
  }
  return header.subarray(12, 20);
}

/** Decrypts, authenticates and decompresses a sealed stream; throws on any tampering or truncation. */
export async function* unseal(source: AsyncIterable<Buffer>, sealing: SealingKey, context: string): AsyncGenerator<Buffer> {
  // Decryption runs here; decompression of the next chunks overlaps on libuv's thread pool.
  const inFlight: Array<Promise<Buffer>> = [];
  for await (const { data, compressed } of openFrames(source, sealing, Buffer.from(context, 'utf8'))) {
    inFlight.push(compressed ? uncompress(data) : Promise.resolve(data));
    if (inFlight.length > compressionDepth) yield await inFlight.shift()!;
  }
  while (inFlight.length > 0) yield await inFlight.shift()!;
}

/** The authenticated, still compressed chunks of a sealed stream, in order. */
async function* openFrames(source: AsyncIterable<Buffer>, sealing: SealingKey, context: Buffer): AsyncGenerator<{ data: Buffer; compressed: boolean }> {
  const reader = new ByteReader(source);
  const header = await reader.read(headerBytes);
  if (!header) throw appError('BACKUP_CORRUPT', 'The backup object is empty or cut short before its header.');
  if (!sealedKeyId(header).equals(sealing.id.subarray(0, 8))) {
    throw appError('BACKUP_KEY_MISMATCH', `This backup was encrypted with key ${sealedKeyId(header).toString('hex')}, not with the key given (${sealing.id.subarray(0, 8).toString('hex')}). Use the backup key that was in use when it was taken.`);
  }
  const baseNonce = header.subarray(20, 32);
  for (let index = 0; ; index++) {
    const frameHeader = await reader.read(frameHeaderBytes);
    if (!frameHeader) throw appError('BACKUP_CORRUPT', `The backup object is truncated: it ends after ${index} chunk(s) without its final chunk.`);
    const flags = frameHeader[0]!;
    const length = frameHeader.readUInt32BE(1);
    if (length > sealedChunkBytes + 1024 * 1024) throw appError('BACKUP_CORRUPT', `Chunk ${index} claims ${length} bytes, more than any chunk can hold: the object is corrupt.`);
    const body = await reader.read(length + tagBytes);
    if (!body) throw appError('BACKUP_CORRUPT', `The backup object is truncated inside chunk ${index}.`);
    const decipher = createDecipheriv('aes-256-gcm', sealing.key, nonceFor(baseNonce, index));
    decipher.setAAD(aadFor(header, context, index, flags));
    decipher.setAuthTag(body.subarray(length));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(body.subarray(0, length)), decipher.final()]);
    } catch {
      throw appError('BACKUP_CORRUPT', `Chunk ${index} of ${context.toString('utf8')} fails authentication: it was altered, damaged, or is another object put in its place.`);
    }
    if (plain.length > 0) yield { data: plain, compressed: (flags & flagCompressed) !== 0 };
    if (flags & flagFinal) {
      if (await reader.read(1)) throw appError('BACKUP_CORRUPT', 'The backup object has data after its final chunk.');
      return;
    }
  }
}

/** Reads exact byte counts from a stream of arbitrarily cut buffers. */
class ByteReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Exactly `count` bytes, or undefined if the stream ends first. */
  async read(count: number): Promise<Buffer | undefined> {
    while (this.bufferedBytes < count) {
      const { value, done } = await this.iterator.next();
      if (done) return undefined;
      this.buffered.push(value);
      this.bufferedBytes += value.length;
    }
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.bufferedBytes);
    const out = all.subarray(0, count);
    const rest = all.subarray(count);
    this.buffered = rest.length ? [rest] : [];
    this.bufferedBytes = rest.length;
    return out;
  }
}
