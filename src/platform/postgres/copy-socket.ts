import { Socket } from 'node:net';

const copyData = 0x64; // 'd': a CopyData message, and the archive-data subtype of BASE_BACKUP's CopyData
const headerBytes = 5; // type (1) + length (4, counting itself)
/** Bytes read from the kernel at once, into one buffer reused for every read. */
const readBytes = 1024 * 1024;

/**
 * A socket for node-postgres that reads into one reused buffer and takes the archive data of
 * BASE_BACKUP (CopyData messages whose payload starts with 'd') out of the stream itself,
 * handing it to `onArchiveData` as views valid only during the call. Every other message goes
 * on to node-postgres as usual. Reading a backup through node-postgres allocated a buffer per
 * socket read and copied each payload twice, which cost more CPU than compressing it.
 *
 * Plain TCP or Unix sockets only: with TLS, node-postgres wraps the socket and this cannot see
 * the messages (the caller uses a plain socket then).
 */
export function copySocket(onArchiveData: (data: Buffer) => void): Socket {
  const read = Buffer.allocUnsafe(readBytes);
  const splitter = new MessageSplitter((message) => socket.emit('data', message), onArchiveData);
  const socket = new Socket({
    onread: { buffer: read, callback: (bytes: number) => splitter.feed(read.subarray(0, bytes)) },
  } as ConstructorParameters<typeof Socket>[0]);
  return socket;
}

/** Cuts the protocol stream into messages; see copySocket. */
export class MessageSplitter {
  private readonly header = Buffer.alloc(headerBytes);
  private headerFilled = 0;
  /** The message being gathered for node-postgres (header included), or the archive bytes still to pass on. */
  private message: Buffer | undefined;
  private messageFilled = 0;
  private archiveLeft = 0;

  constructor(
    private readonly toClient: (message: Buffer) => void,
    private readonly onArchiveData: (data: Buffer) => void,
  ) {}

  feed(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) {
      if (this.archiveLeft > 0) {
        const take = Math.min(this.archiveLeft, data.length - offset);
        this.onArchiveData(data.subarray(offset, offset + take));
        this.archiveLeft -= take;
        offset += take;
        continue;
      }
      if (this.message) {
        const copied = data.copy(
          this.message,
          this.messageFilled,
          offset,
          offset + Math.min(this.message.length - this.messageFilled, data.length - offset),
        );
        this.messageFilled += copied;
        offset += copied;
        if (this.messageFilled === this.message.length) {
          const message = this.message;
          this.message = undefined;
          this.toClient(message);
        }
        continue;
      }
      if (this.headerFilled < headerBytes) {
        const copied = data.copy(
          this.header,
          this.headerFilled,
          offset,
          offset + Math.min(headerBytes - this.headerFilled, data.length - offset),
        );
        this.headerFilled += copied;
        offset += copied;
        // A CopyData with a body waits for its first byte (next turn); any other message is gathered whole.
        if (this.headerFilled === headerBytes && !(this.header[0] === copyData && this.header.readUInt32BE(1) > 4))
          this.startMessage(Buffer.alloc(0));
        continue;
      }
      // The header is a CopyData's: its first payload byte says whether the rest is archive data.
      const subtype = data[offset]!;
      if (subtype === copyData) {
        this.archiveLeft = this.header.readUInt32BE(1) - 5;
        this.headerFilled = 0;
        offset++;
      } else {
        this.startMessage(data.subarray(offset, offset + 1));
        offset++;
      }
    }
  }

  /** Begins gathering a whole message for node-postgres: the header read, plus `first` bytes of its body. */
  private startMessage(first: Buffer): void {
    const total = 1 + this.header.readUInt32BE(1);
    const message = Buffer.allocUnsafe(total);
    this.header.copy(message, 0);
    first.copy(message, headerBytes);
    this.headerFilled = 0;
    this.messageFilled = headerBytes + first.length;
    if (this.messageFilled === total) this.toClient(message);
    else this.message = message;
  }
}
