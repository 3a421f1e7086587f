import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollUntil } from '../../platform/clock/clock.js';
import { newClient } from '../../platform/db/connect.js';
import { appError } from '../../platform/errors.js';
import { attachRunning } from '../../platform/postgres/embedded.js';
import type { DrillNode } from './replication.drill-pair.js';

/* What the failover drill watches beside its load: PostgreSQL itself, straight. */

/**
 * The baseline beside our path: a client holding a connection straight to the standby's
 * PostgreSQL, trying a write (a transaction id) every 5 ms; it gets through once promotion ends.
 */
export class DirectWriter {
  readonly firstSuccess: Promise<number>;
  private running = true;

  private constructor(private readonly client: ReturnType<typeof newClient>) {
    this.firstSuccess = this.poll();
  }

  static async open(standby: DrillNode): Promise<DirectWriter> {
    const running = await attachRunning(standby.config);
    if (!running) throw appError('DRILL_FAILED', `${standby.name}'s PostgreSQL is not running.`);
    const client = newClient(running.admin, { application_name: 'steadfast-drill-direct' });
    client.on('error', () => undefined);
    await client.connect();
    return new DirectWriter(client);
  }

  private async poll(): Promise<number> {
    while (this.running) {
      const ok = await this.client.query('SELECT pg_current_xact_id()').then(
        () => true,
        () => false,
      );
      if (ok) return performance.now();
      await sleep(5);
    }
    return Number.NaN;
  }

  async close(): Promise<void> {
    this.running = false;
    await this.firstSuccess;
    await this.client.end().catch(() => undefined);
  }
}

/** Until nothing listens at the port any more (asked every 10 ms, for as long as it takes): the drill's sign that the primary is gone. */
export async function waitUntilRefused(port: number): Promise<void> {
  await pollUntil(() => isRefused(port), { timeoutMs: Number.POSITIVE_INFINITY, intervalMs: 10 });
}

function isRefused(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, timeout: 200 });
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('timeout', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(true));
  });
}
