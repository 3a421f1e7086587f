import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import tar from 'tar-stream';

const run = promisify(execFile);

export interface ExtractOptions {
  /** Owner of everything written (the Postgres OS user when we are root). */
  readonly owner?: { uid: number; gid: number } | undefined;
  /** Called with the bytes of file content written so far. */
  readonly onBytes?: (bytes: number) => void;
}

/** Files up to this size are gathered in memory and written in one call; larger ones are streamed. */
const smallFileBytes = 1024 * 1024;

/**
 * Unpacks a tar stream into `target`, refusing entries that would land outside it.
 * Returns the number of files and bytes written. A data directory is mostly small files,
 * so those are written whole, directories are made once, and ownership is set in one pass.
 */
export async function extractTar(source: AsyncIterable<Buffer>, target: string, options: ExtractOptions = {}): Promise<{ files: number; bytes: number }> {
  const root = path.resolve(target);
  const extract = tar.extract();
  Readable.from(source).on('error', (error) => extract.destroy(error)).pipe(extract);
  const made = new Set<string>([root]);
  const ensureDir = async (dir: string, mode = 0o700): Promise<void> => {
    if (made.has(dir)) return;
    await mkdir(dir, { recursive: true, mode });
    made.add(dir);
  };
  let files = 0;
  let bytes = 0;
  for await (const entry of extract) {
    const { header } = entry;
    const destination = path.resolve(root, header.name);
    if (destination !== root && !destination.startsWith(`${root}${path.sep}`)) throw new Error(`archive entry ${header.name} points outside ${root}`);
    if (header.type === 'directory') {
      await ensureDir(destination, header.mode ?? 0o700);
      entry.resume();
    } else if (header.type === 'symlink') {
      await ensureDir(path.dirname(destination));
      await symlink(header.linkname ?? '', destination);
      entry.resume();
    } else if (header.type === 'file') {
      await ensureDir(path.dirname(destination));
      const mode = header.mode ?? 0o600;
      if ((header.size ?? 0) <= smallFileBytes) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
        const content = Buffer.concat(chunks);
        await writeFile(destination, content, { mode });
        bytes += content.length;
        options.onBytes?.(bytes);
      } else {
        const counted = (async function* () {
          for await (const chunk of entry as AsyncIterable<Buffer>) {
            bytes += chunk.length;
            options.onBytes?.(bytes);
            yield chunk;
          }
        })();
        await pipeline(Readable.from(counted), createWriteStream(destination, { mode }));
      }
      files++;
    } else {
      entry.resume();
    }
  }
  if (options.owner) await run('chown', ['-R', '--no-dereference', `${options.owner.uid}:${options.owner.gid}`, root]);
  return { files, bytes };
}
