import { isSegmentName, segmentBytes } from './backup.wal-plan.js';

/**
 * A piece of a segment as streamed: `<segment>.<from>-<to>.partial`, byte offsets in 8 hex
 * digits. Only new bytes are stored each time, so the cost follows the WAL written.
 */
export const partialName = (segment: string, from: number, to: number): string =>
  `${segment}.${hex8(from)}-${hex8(to)}.partial`;
export const partialPattern = /^([0-9A-F]{24})\.([0-9A-F]{8})-([0-9A-F]{8})\.partial$/;
const hex8 = (value: number): string => value.toString(16).toUpperCase().padStart(8, '0');

export interface Piece {
  readonly file: string;
  readonly from: number;
  readonly to: number;
}

/** The pieces that make a segment's longest run from byte 0, in order, and how far it goes. */
export function chainOfPieces(pieces: readonly string[]): { pieces: Piece[]; end: number } {
  const parsed: Piece[] = [];
  for (const file of pieces) {
    const match = partialPattern.exec(file);
    if (match) parsed.push({ file, from: parseInt(match[2]!, 16), to: parseInt(match[3]!, 16) });
  }
  const chain: Piece[] = [];
  let end = 0;
  for (;;) {
    // At each position, the piece covering it that reaches furthest (pieces overlap after a reconnect).
    const next = parsed.filter((piece) => piece.from <= end && piece.to > end).sort((a, b) => b.to - a.to)[0];
    if (!next) return { pieces: chain, end };
    chain.push(next);
    end = next.to;
  }
}

/**
 * For each segment held only as streamed pieces, the pieces that make it from byte 0. An
 * unfinished segment can only be the end of the WAL: one followed by whole segments is left
 * out, so the plan reports the hole instead of recovery stopping quietly inside it.
 */
export function streamedSegments(files: readonly string[]): Map<string, Piece[]> {
  const whole = files.filter(isSegmentName);
  const wholeSet = new Set(whole);
  const bySegment = new Map<string, string[]>();
  for (const file of files) {
    const match = partialPattern.exec(file);
    if (match && !wholeSet.has(match[1]!)) bySegment.set(match[1]!, [...(bySegment.get(match[1]!) ?? []), file]);
  }
  const usable = new Map<string, Piece[]>();
  for (const [segment, pieces] of bySegment) {
    const chain = chainOfPieces(pieces);
    if (chain.end === 0) continue;
    const followed = whole.some((other) => other.slice(0, 8) === segment.slice(0, 8) && other > segment);
    if (chain.end < segmentBytes && followed) continue;
    usable.set(segment, chain.pieces);
  }
  return usable;
}

/** The bytes of consecutive pieces, each overlap with the piece before skipped. */
export async function* joinPieces(
  pieces: readonly Piece[],
  open: (file: string) => AsyncIterable<Buffer>,
): AsyncGenerator<Buffer> {
  let end = 0;
  for (const piece of pieces) {
    let skip = end - piece.from;
    for await (const chunk of open(piece.file)) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      yield skip > 0 ? chunk.subarray(skip) : chunk;
      skip = 0;
    }
    end = piece.to;
  }
}

/** A partial segment as Postgres will read it: a whole segment's size, zeros after the end (read as the end of WAL). */
export async function* paddedToSegment(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    yield chunk;
  }
  const zeros = Buffer.alloc(1024 * 1024);
  for (let left = segmentBytes - bytes; left > 0; left -= zeros.length)
    yield left >= zeros.length ? zeros : zeros.subarray(0, left);
}
