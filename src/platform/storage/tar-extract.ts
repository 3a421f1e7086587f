import { createWriteStream } from 'node:fs';
import { chown, lchown, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

export interface ExtractOptions {
  /** Owner of everything written (the Postgres OS user when we are root). */
  readonly owner?: { uid: number; gid: number } | undefined;
  /** Called with the bytes of file content written so far. */
  readonly onBytes?: (bytes: number) => void;
}

/**
 * Unpacks a tar stream into `target`, refusing entries that would land outside it.
 * Returns the number of files and bytes written.
 */
export async function extractTar(source: AsyncIterable<Buffer>, target: string, options: ExtractOptions = {}): Promise<{ files: number; bytes: number }> {
  const root = path.resolve(target);
  const extract = tar.extract();
  Readable.from(source).on('error', (error) => extract.destroy(error)).pipe(extract);
  let files = 0;
  let bytes = 0;
  for await (const entry of extract) {
    const { header } = entry;
    const destination = path.resolve(root, header.name);
    if (destination !== root && !destination.startsWith(`${root}${path.sep}`)) throw new Error(`archive entry ${header.name} points outside ${root}`);
    if (header.type === 'directory') {
      await mkdir(destination, { recursive: true, mode: header.mode ?? 0o700 });
      entry.resume();
    } else if (header.type === 'symlink') {
      await mkdir(path.dirname(destination), { recursive: true });
      await symlink(header.linkname ?? '', destination);
      entry.resume();
    } else if (header.type === 'file') {
      await mkdir(path.dirname(destination), { recursive: true });
      const counted = (async function* () {
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          options.onBytes?.(bytes);
          yield chunk;
        }
      })();
      await pipeline(Readable.from(counted), createWriteStream(destination, { mode: header.mode ?? 0o600 }));
      files++;
    } else {
      entry.resume();
      continue;
    }
    if (options.owner) {
      const change = header.type === 'symlink' ? lchown : chown;
      await change(destination, options.owner.uid, options.owner.gid);
    }
  }
  if (options.owner) await chown(root, options.owner.uid, options.owner.gid);
  return { files, bytes };
}
