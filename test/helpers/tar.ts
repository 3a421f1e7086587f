import { TarReader, type TarEntry } from '../../src/platform/storage/tar-reader.js';

/** Every entry of an archive with its content, as TarReader reads it fed in pieces of `pieceBytes`. */
export function readTarEntries(
  data: Buffer,
  pieceBytes = data.length,
): Map<string, { entry: TarEntry; content: Buffer }> {
  const seen = new Map<string, { entry: TarEntry; content: Buffer }>();
  let parts: Buffer[] = [];
  const reader = new TarReader({
    entry: () => (parts = []),
    data: (piece) => parts.push(Buffer.from(piece)),
    end: (entry) => seen.set(entry.name, { entry, content: Buffer.concat(parts) }),
  });
  for (let offset = 0; offset < data.length; offset += pieceBytes)
    reader.feed(data.subarray(offset, offset + pieceBytes));
  reader.finish();
  return seen;
}
