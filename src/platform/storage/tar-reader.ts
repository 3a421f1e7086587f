/**
 * A streaming reader of the tar archives PostgreSQL's BASE_BACKUP writes (ustar headers,
 * base-256 sizes for large files). Fed buffers of any size, it calls back with each entry,
 * its content as views into the buffers fed (no copy), and its end. It checks each header's
 * checksum, so a damaged archive is reported rather than unpacked into nonsense.
 */
export interface TarEntry {
  readonly name: string;
  readonly type: 'file' | 'directory' | 'symlink';
  readonly mode: number;
  readonly size: number;
  readonly linkname: string;
}

export interface TarHandler {
  entry(entry: TarEntry): void;
  /** Content of the current entry, in order; a view valid as long as the buffer fed. */
  data(data: Buffer): void;
  end(entry: TarEntry): void;
}

const block = 512;

export class TarReader {
  private readonly header = Buffer.alloc(block);
  private headerFilled = 0;
  private current: TarEntry | undefined;
  /** Content bytes of the current entry still to come, then padding to the next block. */
  private contentLeft = 0;
  private paddingLeft = 0;
  private finished = false;

  constructor(private readonly handler: TarHandler) {}

  feed(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.finished) {
      if (this.contentLeft > 0) {
        const take = Math.min(this.contentLeft, chunk.length - offset);
        this.handler.data(chunk.subarray(offset, offset + take));
        this.contentLeft -= take;
        offset += take;
        if (this.contentLeft === 0) this.endEntry();
        continue;
      }
      if (this.paddingLeft > 0) {
        const skip = Math.min(this.paddingLeft, chunk.length - offset);
        this.paddingLeft -= skip;
        offset += skip;
        continue;
      }
      const take = Math.min(block - this.headerFilled, chunk.length - offset);
      chunk.copy(this.header, this.headerFilled, offset, offset + take);
      this.headerFilled += take;
      offset += take;
      if (this.headerFilled === block) {
        this.headerFilled = 0;
        this.startEntry();
      }
    }
  }

  /** Throws unless the archive ended cleanly (its end marker, or at least a whole last entry). */
  finish(): void {
    if (this.current || this.headerFilled > 0)
      throw new Error(`the archive is cut short${this.current ? ` inside ${this.current.name}` : ''}`);
  }

  private startEntry(): void {
    if (this.header.every((byte) => byte === 0)) {
      this.finished = true; // the end marker: two zero blocks (the first is enough to stop)
      return;
    }
    if (octal(this.header, 148, 8) !== headerChecksum(this.header))
      throw new Error('a tar header fails its checksum: the archive is damaged');
    const flag = String.fromCharCode(this.header[156]!);
    const type =
      flag === '0' || flag === '\0' ? 'file' : flag === '5' ? 'directory' : flag === '2' ? 'symlink' : undefined;
    if (!type)
      throw new Error(
        `the archive holds a tar entry of type '${flag}', which PostgreSQL does not write: it is not a base backup archive`,
      );
    // POSIX ustar keeps long names' leading directories in a prefix field (GNU tar uses those bytes otherwise).
    const posix = this.header.toString('latin1', 257, 263) === 'ustar\0';
    const prefix = posix ? text(this.header, 345, 155) : '';
    const name = text(this.header, 0, 100);
    const size = type === 'file' ? number(this.header, 124, 12) : 0;
    // PostgreSQL ends the names of directories and of tablespace links with a slash, as tar does for directories.
    const full = (prefix ? `${prefix}/${name}` : name).replace(/(.)\/+$/, '$1');
    this.current = { name: full, type, mode: octal(this.header, 100, 8), size, linkname: text(this.header, 157, 100) };
    this.handler.entry(this.current);
    this.contentLeft = size;
    if (size === 0) this.endEntry();
  }

  private endEntry(): void {
    const entry = this.current!;
    this.current = undefined;
    this.paddingLeft = (block - (entry.size % block)) % block;
    this.handler.end(entry);
  }
}

function text(header: Buffer, at: number, length: number): string {
  const end = header.indexOf(0, at);
  return header.toString('utf8', at, end === -1 || end > at + length ? at + length : end);
}

function octal(header: Buffer, at: number, length: number): number {
  const digits = header
    .toString('latin1', at, at + length)
    .replace(/[\0 ]+$/, '')
    .trim();
  return digits ? parseInt(digits, 8) : 0;
}

/** A size field: octal, or base-256 (high bit set) for files of 8 GiB and more. */
function number(header: Buffer, at: number, length: number): number {
  if ((header[at]! & 0x80) === 0) return octal(header, at, length);
  let value = header[at]! & 0x7f;
  for (let i = 1; i < length; i++) value = value * 256 + header[at + i]!;
  return value;
}

/** The sum of the header's bytes with the checksum field counted as spaces. */
function headerChecksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}
