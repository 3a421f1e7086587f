import { crc32c } from '@node-rs/crc32';

/**
 * CRC-32C (Castagnoli), computed with the CPU's CRC instruction: the checksum PostgreSQL's
 * backup manifest uses by default, and ours for stored backup objects. It catches damage and
 * truncation (the sealed format's AES-GCM tags catch tampering) at about 8 GB/s here, where
 * SHA-256 ran at 1.1 GB/s and took a tenth of a backup's main-thread time.
 */
export class Crc32c {
  private state = 0;

  update(data: Uint8Array): this {
    this.state = crc32c(data, this.state);
    return this;
  }

  /** Eight hex digits, most significant first. */
  hex(): string {
    return this.state.toString(16).padStart(8, '0');
  }

  /** As PostgreSQL writes it in backup_manifest: the four bytes in the machine's (little-endian) order. */
  manifestHex(): string {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(this.state);
    return bytes.toString('hex');
  }
}
