import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { newClient, type ConnectionTarget } from '../db/connect.js';
import type { Logger } from '../log/log.js';

/**
 * Leadership among all Steadfast processes of one platform: whoever holds a session-level
 * advisory lock in the platform database runs the schedules. The lock lives as long as
 * its connection, so a process that dies or loses its connection loses leadership at
 * once and another takes over at its next attempt.
 *
 * Events: `acquired`, `lost`.
 */
export class LeaderLock extends EventEmitter {
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private leader = false;
  private stopped = true;

  constructor(
    private readonly target: ConnectionTarget,
    private readonly lockKey: number,
    private readonly log: Logger,
    private readonly retryMs = 2000,
  ) {
    super();
  }

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    this.stopped = false;
    void this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.setLeader(false);
    // Closing the session releases the lock.
    await client?.end().catch(() => undefined);
  }

  /** One tick: a leader checks that its session (and so its lock) is alive; others try to take the lock. */
  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.client) {
        const client = await this.connect();
        if (this.stopped) {
          await client.end().catch(() => undefined);
          return;
        }
        this.client = client;
      }
      if (this.leader) {
        await this.client.query('SELECT 1');
      } else {
        const { rows } = await this.client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
          this.lockKey,
        ]);
        // stop() may have run during the query: it closed the session, so the lock is gone too.
        if (rows[0]?.locked && !this.stopped) this.setLeader(true);
      }
    } catch (error) {
      this.log.debug({ err: error }, 'leader lock check failed');
      this.dropClient();
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.attempt(), this.retryMs);
  }

  private async connect(): Promise<pg.Client> {
    const client = newClient(this.target, {
      application_name: 'steadfast-leader',
      connectionTimeoutMillis: 5000,
      keepAlive: true,
    });
    client.on('error', (error) => {
      this.log.warn({ err: error }, 'leader lock connection failed');
      if (this.client === client) this.dropClient();
    });
    await client.connect();
    return client;
  }

  private dropClient(): void {
    const client = this.client;
    this.client = undefined;
    void client?.end().catch(() => undefined);
    this.setLeader(false);
  }

  private setLeader(value: boolean): void {
    if (value === this.leader) return;
    this.leader = value;
    this.log.info({ leader: value }, value ? 'this process is now the leader' : 'this process is no longer the leader');
    this.emit(value ? 'acquired' : 'lost');
  }
}
