import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** A write the load sent and the HTTP API acknowledged (2xx): the drill counts it lost if the new primary lacks it. */
export interface Acknowledged {
  readonly sequence: number;
  /** performance.now() when it was last sent (the commit came after). */
  readonly sentAt: number;
  /** performance.now() when the acknowledgement arrived. */
  readonly at: number;
  /** The port of the PostgreSQL that made (or found) the write: which node answered. */
  readonly serverPort: number;
}

export interface LoadTarget {
  readonly port: number;
  /** The tenant's host name (the Host header): the write goes through tenant routing like any other. */
  readonly host: string;
  readonly token: string;
}

/**
 * The drill's write load: `clients` loops, each sending POST /api/v1/drill/writes with the next
 * sequence number and an Idempotency-Key, one at a time, as fast as the API answers. A write
 * that fails (a 503, a cut connection) is sent again with the same number and key until it is
 * acknowledged, the way a well-behaved client rides out a failover. Every acknowledgement is
 * journaled with its time.
 */
export class WriteLoad {
  readonly journal: Acknowledged[] = [];
  /** Requests that failed and were sent again, by HTTP status (0: no response). */
  readonly failures = new Map<number, number>();
  private next: number;
  private running = true;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly loops: Array<Promise<void>>;

  constructor(
    private readonly target: LoadTarget,
    clients: number,
    private readonly runId: string,
    firstSequence = 1,
  ) {
    this.next = firstSequence;
    this.loops = Array.from({ length: clients }, () => this.loop());
  }

  /** The first acknowledgement after `since` (performance.now()) that the server at `serverPort` gave, if any yet. */
  firstFrom(serverPort: number, since: number): Acknowledged | undefined {
    let first: Acknowledged | undefined;
    for (let i = this.journal.length - 1; i >= 0 && this.journal[i]!.at > since; i--) {
      if (this.journal[i]!.serverPort === serverPort) first = this.journal[i];
    }
    return first;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.agent.destroy();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const sequence = this.next++;
      for (;;) {
        const sentAt = performance.now();
        const { status, serverPort } = await this.send(sequence);
        if (status >= 200 && status < 300) {
          this.journal.push({ sequence, sentAt, at: performance.now(), serverPort });
          break;
        }
        this.failures.set(status, (this.failures.get(status) ?? 0) + 1);
        if (!this.running) return;
        await sleep(20);
      }
    }
  }

  private send(sequence: number): Promise<{ status: number; serverPort: number }> {
    const body = JSON.stringify({ sequence });
    const failed = { status: 0, serverPort: 0 };
    return new Promise((resolve) => {
      const request = http.request(
        {
          agent: this.agent,
          host: '127.0.0.1',
          port: this.target.port,
          method: 'POST',
          path: '/api/v1/drill/writes',
          timeout: 30_000,
          headers: {
            host: this.target.host,
            authorization: `Bearer ${this.target.token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'idempotency-key': `${this.runId}-${sequence}`,
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, serverPort: serverPortOf(text) }));
          response.on('error', () => resolve(failed));
        },
      );
      request.on('timeout', () => request.destroy(new Error('timed out')));
      request.on('error', () => resolve(failed));
      request.end(body);
    });
  }
}

function serverPortOf(body: string): number {
  try {
    return Number((JSON.parse(body) as { serverPort?: unknown }).serverPort) || 0;
  } catch {
    return 0;
  }
}
