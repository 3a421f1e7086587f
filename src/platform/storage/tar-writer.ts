/**
 * Headers of POSIX ustar archives, as PostgreSQL's BASE_BACKUP writes them (and TarReader
 * reads them): a 512-byte header per entry, content padded to 512 bytes, no trailer here
 * (whoever ends the archive adds the two zero blocks).
 */
export interface TarHeaderEntry {
  /** Path inside the archive, '/'-separated; directories without a trailing slash. */
  readonly name: string;
  readonly type: 'file' | 'directory' | 'symlink';
  readonly mode: number;
  readonly size: number;
  readonly mtime: Date;
  readonly linkname?: string;
}

export const tarBlockBytes = 512;

/** The header block of one entry; throws for a name ustar cannot hold. */
export function tarHeader(entry: TarHeaderEntry): Buffer {
  const header = Buffer.alloc(tarBlockBytes);
  const name = entry.type === 'directory' ? `${entry.name}/` : entry.name;
  const { prefix, rest } = splitName(name);
  header.write(rest, 0, 100, 'utf8');
  writeOctal(header, 100, 8, entry.mode & 0o7777);
  writeOctal(header, 108, 8, 0); // uid, gid: ownership is set on restore
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, entry.type === 'file' ? entry.size : 0);
  writeOctal(header, 136, 12, Math.floor(entry.mtime.getTime() / 1000));
  header.write('        ', 148, 8, 'latin1'); // the checksum counts its own field as spaces
  header.write(entry.type === 'file' ? '0' : entry.type === 'directory' ? '5' : '2', 156, 1, 'latin1');
  if (entry.linkname) header.write(entry.linkname, 157, 100, 'utf8');
  header.write('ustar\u000000', 257, 8, 'latin1');
  header.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return header;
}

/** Zero bytes that follow `size` bytes of content to the next block boundary. */
export function tarPadding(size: number): number {
  return (tarBlockBytes - (size % tarBlockBytes)) % tarBlockBytes;
}

/** ustar keeps up to 100 bytes of name and 155 of leading directories in a prefix field. */
function splitName(name: string): { prefix: string; rest: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', rest: name };
  for (let at = name.indexOf('/'); at !== -1; at = name.indexOf('/', at + 1)) {
    const prefix = name.slice(0, at);
    const rest = name.slice(at + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return { prefix, rest };
  }
  throw new Error(`${name} is too long for a tar header`);
}

function writeOctal(header: Buffer, at: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new Error(`${value} does not fit a ${length}-byte tar field`);
  header.write(`${digits.padStart(length - 1, '0')}\0`, at, length, 'latin1');
}
