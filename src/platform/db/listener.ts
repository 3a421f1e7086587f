import pg from 'pg';
import type { ConnectionTarget } from './connect.js';
import { locatorFor, primaryClientClass } from './primary.js';

/** What a listener tells its owner: each notification's payload, and that it is listening again after a gap. */
export interface ListenHandlers {
  readonly notify: (payload: string) => void;
  /** Called once LISTEN holds again after the connection was lost: notifications in the gap are gone, read what was missed. */
  readonly resumed: () => void;
}

const retryMs = [100, 250, 500, 1000, 2000, 5000];

/**
 * One connection that LISTENs on a channel of one database (on the primary of a host list),
 * reconnecting with back-off when it is lost (a restart, a failover): PostgreSQL delivers NOTIFY
 * only to sessions listening when the notifying transaction commits, so after a gap its owner is
 * told to catch up from what it stored.
 */
export class NotificationListener {
  private client: pg.Client | undefined;
  private closed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: ConnectionTarget,
    private readonly channel: string,
    private readonly handlers: ListenHandlers,
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  }

  /** Resolves once LISTEN holds; rejects if the first connection fails. */
  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const hosts = this.target.hosts;
    const Client = hosts && hosts.length > 1 ? primaryClientClass(locatorFor(hosts)) : pg.Client;
    const client = new Client({
      host: this.target.host,
      port: this.target.port,
      user: this.target.user,
      password: this.target.password,
      database: this.target.database,
      ssl: this.target.ssl,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      application_name: 'steadfast-listen',
    });
    client.on('error', () => undefined);
    client.on('notification', (message) => {
      if (message.channel === this.channel && message.payload !== undefined) this.handlers.notify(message.payload);
    });
    client.on('end', () => {
      if (this.client === client) this.reconnectLater();
    });
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.attempt = 0;
  }

  private reconnectLater(): void {
    this.client = undefined;
    if (this.closed) return;
    const delay = retryMs[Math.min(this.attempt++, retryMs.length - 1)]!;
    this.timer = setTimeout(() => {
      this.connect().then(
        () => {
          if (!this.closed) this.handlers.resumed();
        },
        () => this.reconnectLater(),
      );
    }, delay);
  }
}
