// The per-chunk work of the sealed format (src/platform/crypto/sealed.ts), run on a worker
// thread so compression and encryption use every core while the main thread moves data.
// Plain JavaScript: worker threads do not load TypeScript through tsx on Node 20.
import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { compressSync, uncompressSync } from 'lz4-napi';

const flagFinal = 1;
const flagCompressed = 2;
const frameHeaderBytes = 5;
const tagBytes = 16;

/** Compresses (kept raw if that does not shrink it), encrypts and frames one chunk. */
function sealChunk({ key, nonce, aad, plain, final }) {
  const packed = plain.length > 0 ? compressSync(plain) : plain;
  const compressed = packed.length < plain.length;
  const body = compressed ? packed : plain;
  const flags = (final ? flagFinal : 0) | (compressed ? flagCompressed : 0);
  aad[aad.length - 1] = flags;
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const frame = Buffer.allocUnsafeSlow(frameHeaderBytes + body.length + tagBytes);
  frame[0] = flags;
  frame.writeUInt32BE(body.length, 1);
  let at = frameHeaderBytes + cipher.update(body).copy(frame, frameHeaderBytes);
  at += cipher.final().copy(frame, at);
  cipher.getAuthTag().copy(frame, at);
  return frame;
}

/** Authenticates, decrypts and decompresses one frame's body; null if authentication fails. */
function openChunk({ key, nonce, aad, sealed, compressed }) {
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
  const plain = decipher.update(sealed.subarray(0, sealed.length - tagBytes));
  try {
    decipher.final(); // GCM yields nothing more here; it checks the tag
  } catch {
    return null;
  }
  return compressed ? uncompressSync(plain) : plain;
}

/** A buffer on memory of its own (and Node's), so it moves back without a copy. */
function owned(data) {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data;
  const copy = Buffer.allocUnsafeSlow(data.length);
  data.copy(copy);
  return copy;
}

/** Lowers this thread's CPU priority (on Linux niceness is per thread), so PostgreSQL's own processes come first. */
function lowerPriority(nice) {
  try {
    setPriority(nice);
  } catch {
    // Not permitted here: run at normal priority.
  }
}
if (workerData?.nice) lowerPriority(workerData.nice);

parentPort.on('message', ({ id, op, args }) => {
  if (op === 'nice') return lowerPriority(args.nice);
  if (op === 'release') return; // a buffer the parent let go of: this thread's collector frees it
  try {
    for (const name of ['key', 'nonce', 'aad', 'plain', 'sealed', 'out'])
      if (args[name]) args[name] = Buffer.from(args[name].buffer, args[name].byteOffset, args[name].byteLength);
    const result = op === 'seal' ? sealChunk(args) : openChunk(args);
    // Into the slab lent for it, when it fits: shared memory the parent reuses, nothing moved.
    if (result && args.out && result.length <= args.out.length) {
      // Buffer#fill with a buffer of the range's length is one memcpy (a copy into shared memory is not).
      if (result.length > 0) args.out.fill(result, 0, result.length);
      return parentPort.postMessage({ id, written: result.length });
    }
    const out = result && owned(result);
    parentPort.postMessage({ id, result: out }, out && out.byteLength > 0 ? [out.buffer] : []);
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
