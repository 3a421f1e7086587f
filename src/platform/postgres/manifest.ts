import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { z } from 'zod';

/** The parts of PostgreSQL's backup_manifest (JSON, version 1 or 2) that verification uses. */
const manifestSchema = z.object({
  'PostgreSQL-Backup-Manifest-Version': z.number(),
  Files: z.array(
    z.object({
      Path: z.string().optional(),
      'Encoded-Path': z.string().optional(),
      Size: z.number(),
      'Checksum-Algorithm': z.string().optional(),
      Checksum: z.string().optional(),
    }),
  ),
  'WAL-Ranges': z.array(z.object({ Timeline: z.number(), 'Start-LSN': z.string(), 'End-LSN': z.string() })).optional(),
});
export type BackupManifest = z.infer<typeof manifestSchema>;

export function parseManifest(text: string): BackupManifest {
  return manifestSchema.parse(JSON.parse(text));
}

export interface TarCheck {
  readonly files: number;
  readonly bytes: number;
  /** What does not match, one sentence each; empty when the archive is intact. */
  readonly problems: string[];
}

/**
 * Reads a base backup's tar stream and checks every file against the manifest, as
 * pg_verifybackup does: present, of the listed size, with the listed SHA-256.
 */
export async function checkTarAgainstManifest(source: AsyncIterable<Buffer>, manifest: BackupManifest): Promise<TarCheck> {
  const expected = new Map<string, { size: number; checksum?: string }>();
  for (const file of manifest.Files) {
    const name = file.Path ?? Buffer.from(file['Encoded-Path'] ?? '', 'hex').toString('utf8');
    expected.set(name, { size: file.Size, checksum: file['Checksum-Algorithm'] === 'SHA256' ? file.Checksum : undefined });
  }
  const problems: string[] = [];
  let files = 0;
  let bytes = 0;
  const extract = tar.extract();
  Readable.from(source).on('error', (error) => extract.destroy(error)).pipe(extract);
  for await (const entry of extract) {
    const name = entry.header.name.replace(/^\.\//, '');
    if (entry.header.type !== 'file') {
      entry.resume();
      continue;
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    files++;
    bytes += size;
    const want = expected.get(name);
    expected.delete(name);
    if (!want) {
      if (!name.startsWith('pg_wal/')) problems.push(`${name} is in the archive but not in the manifest`);
      continue;
    }
    if (want.size !== size) problems.push(`${name} has ${size} bytes; the manifest says ${want.size}`);
    else if (want.checksum && want.checksum !== hash.digest('hex')) problems.push(`${name} does not match its checksum`);
  }
  for (const name of expected.keys()) problems.push(`${name} is in the manifest but missing from the archive`);
  return { files, bytes, problems };
}
