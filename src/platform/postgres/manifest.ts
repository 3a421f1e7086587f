import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Crc32c } from '../checksum.js';
import { TarReader } from '../storage/tar-reader.js';

/** The parts of PostgreSQL's backup_manifest (JSON, version 1 or 2) that verification uses. */
const manifestSchema = z.object({
  'PostgreSQL-Backup-Manifest-Version': z.number(),
  Files: z.array(
    z.object({
      Path: z.string().optional(),
      'Encoded-Path': z.string().optional(),
      Size: z.number(),
      'Last-Modified': z.string().optional(),
      'Checksum-Algorithm': z.string().optional(),
      Checksum: z.string().optional(),
      /** Ours: the earlier backup that holds this file, left out of this one as unchanged (an incremental). */
      Reference: z.string().optional(),
    }),
  ),
  'WAL-Ranges': z.array(z.object({ Timeline: z.number(), 'Start-LSN': z.string(), 'End-LSN': z.string() })).optional(),
});
export type BackupManifest = z.infer<typeof manifestSchema>;

export function parseManifest(text: string): BackupManifest {
  return manifestSchema.parse(JSON.parse(text));
}

export type ManifestFile = BackupManifest['Files'][number];

/** A manifest file's path in the archive. */
export function manifestPath(file: ManifestFile): string {
  return file.Path ?? Buffer.from(file['Encoded-Path'] ?? '', 'hex').toString('utf8');
}

/** A manifest's `Last-Modified` (`2026-12-07 02:00:01 GMT`) in whole seconds since 1970. */
export function modifiedSeconds(file: ManifestFile): number | undefined {
  const at = file['Last-Modified'] ? Date.parse(file['Last-Modified'].replace(' ', 'T').replace(' GMT', 'Z')) : NaN;
  return Number.isNaN(at) ? undefined : at / 1000;
}

export interface TarCheck {
  readonly files: number;
  readonly bytes: number;
  /** What does not match, one sentence each; empty when the archive is intact. */
  readonly problems: string[];
  /** With `partOf` (the archive is one of several holding the manifest's files): the listed files it does not hold. */
  readonly missing?: string[];
}

/**
 * Reads a base backup's tar stream and checks every file against the manifest, as
 * pg_verifybackup does: present, of the listed size, with the listed checksum (CRC32C, what
 * we ask for, or SHA256; files listed with another algorithm or none are checked by size).
 * With `partOf`, the archive is one of several holding the listed files (an earlier backup's,
 * for the files an incremental needs of it): files it holds unlisted are passed over, and the
 * listed ones it lacks are returned as `missing`, for the caller to look for in the others.
 */
export async function checkTarAgainstManifest(
  source: AsyncIterable<Buffer>,
  manifest: BackupManifest,
  options: { partOf?: boolean } = {},
): Promise<TarCheck> {
  const expected = new Map<string, { size: number; algorithm?: string; checksum?: string }>();
  for (const file of manifest.Files) {
    const name = manifestPath(file);
    expected.set(name, { size: file.Size, algorithm: file['Checksum-Algorithm'], checksum: file.Checksum });
  }
  const problems: string[] = [];
  let files = 0;
  let bytes = 0;
  let sum: ReturnType<typeof checksummer>;
  let size = 0;
  const reader = new TarReader({
    entry(entry) {
      size = 0;
      sum = checksummer(expected.get(entry.name.replace(/^\.\//, ''))?.algorithm);
    },
    data(data) {
      sum?.update(data);
      size += data.length;
    },
    end(entry) {
      if (entry.type !== 'file') return;
      const name = entry.name.replace(/^\.\//, '');
      files++;
      bytes += size;
      const want = expected.get(name);
      expected.delete(name);
      if (!want) {
        if (!name.startsWith('pg_wal/') && !options.partOf)
          problems.push(`${name} is in the archive but not in the manifest`);
      } else if (want.size !== size) problems.push(`${name} has ${size} bytes; the manifest says ${want.size}`);
      else if (sum && want.checksum !== sum.digest()) problems.push(`${name} does not match its checksum`);
    },
  });
  for await (const chunk of source) reader.feed(chunk);
  reader.finish();
  if (options.partOf) return { files, bytes, problems, missing: [...expected.keys()] };
  for (const name of expected.keys()) problems.push(`${name} is in the manifest but missing from the archive`);
  return { files, bytes, problems };
}

/** The manifest's checksum algorithms we compute, with their manifest spelling. */
function checksummer(algorithm: string | undefined): { update(chunk: Buffer): void; digest(): string } | undefined {
  if (algorithm === 'CRC32C') {
    const crc = new Crc32c();
    return { update: (chunk) => crc.update(chunk), digest: () => crc.manifestHex() };
  }
  if (algorithm === 'SHA256') {
    const hash = createHash('sha256');
    return { update: (chunk) => hash.update(chunk), digest: () => hash.digest('hex') };
  }
  return undefined;
}
