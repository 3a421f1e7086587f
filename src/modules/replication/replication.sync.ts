import type { Config } from '../../platform/config/config.js';
import { withServer, type DatabaseHandle } from '../../platform/db/handle.js';
import type { Logger } from '../../platform/log/log.js';
import { effectiveMode, type SyncWait } from './replication.settings.js';
import {
  auditReplication,
  modeOverrideFile,
  readModeOverride,
  slotPrefix,
  type ModeOverride,
} from './replication.state.js';

/** An operator's change of a primary's replication mode (`steadfast replication mode`). */
export interface ModeChange {
  readonly mode: 'async' | 'configured';
  readonly reason: string;
  readonly actor: string;
  /** The address the request came from. */
  readonly from?: string;
}

export interface ModeChanged {
  readonly mode: string;
  readonly configured: string;
  readonly override?: ModeOverride;
}

/**
 * Keeps a running primary's synchronous commit in line with what it has: in a synchronous mode,
 * commits wait once a standby of its own streams from it, and for as long as that standby's slot
 * exists (gone for a while, it is waited for; its slot dropped, it is not), unless an operator
 * set the mode to async. A change is reloaded into the running server and audited.
 */
export class SyncSettler {
  /** Whether the running primary's commits wait for a standby, and the replication settings last reloaded. */
  private waitingForStandby = false;
  private appliedSettings = '';
  private settling: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    /** The server's settings for a given wait (app's to compute: archiving and the rest beside replication). */
    private readonly settingsFor: (wait: SyncWait) => Record<string, string | number>,
  ) {}

  /** A server (re)started or promoted: nothing reloaded yet; `waiting` is what its settings started with. */
  reset(waiting: boolean): void {
    this.waitingForStandby = waiting;
    this.appliedSettings = '';
  }

  settle(database: DatabaseHandle, cause: 'check' | 'start'): Promise<void> {
    // One at a time: two reloads finishing in the other order could leave the server's settings and ours apart.
    const run = this.settling.then(() => this.settleNow(database, cause));
    this.settling = run.catch(() => undefined);
    return run;
  }

  private async settleNow(database: DatabaseHandle, cause: 'check' | 'start'): Promise<void> {
    const override = await readModeOverride(this.config.home);
    const slots = await standbySlots(database);
    const forStandby =
      effectiveMode(this.config, override) !== 'async' &&
      (slots.some((slot) => slot.active) || (this.waitingForStandby && slots.length > 0));
    const settings = this.settingsFor({ override, forStandby });
    const key = JSON.stringify(settings);
    if (key === this.appliedSettings) return;
    await database.supervisor?.reconfigure(settings);
    const changed = this.appliedSettings !== '' && forStandby !== this.waitingForStandby;
    this.appliedSettings = key;
    this.waitingForStandby = forStandby;
    if (!changed || cause === 'start' || this.config.replicationMode === 'async' || override) return;
    const reason = forStandby
      ? 'a standby streams from this node: commits wait for it'
      : 'no standby slot is left on this node: commits no longer wait';
    this.log.warn({ mode: this.config.replicationMode }, reason);
    await auditReplication(database.admin, 'system:steadfast', 'replication.mode', {
      node: this.config.nodeName,
      to: forStandby ? this.config.replicationMode : 'async',
      reason,
    });
  }

  /** Runs the primary asynchronously whatever replicationMode says, or back in the configured mode; audited. */
  async changeMode(database: DatabaseHandle, request: ModeChange): Promise<ModeChanged> {
    const before = effectiveMode(this.config, await readModeOverride(this.config.home));
    const entry = (to: string): Promise<void> =>
      auditReplication(database.admin, request.actor, 'replication.mode', {
        node: this.config.nodeName,
        from: before,
        to,
        reason: request.reason,
        ...(request.from ? { via: request.from } : {}),
      });
    let override: ModeOverride | undefined;
    if (request.mode === 'async') {
      override = { mode: 'async', by: request.actor, reason: request.reason, at: new Date().toISOString() };
      await modeOverrideFile(this.config.home).write(override);
      await this.settle(database, 'check');
      await entry('async'); // written once commits no longer wait, or it would wait too
    } else {
      await entry(this.config.replicationMode); // written before commits wait again
      await modeOverrideFile(this.config.home).forget();
      // Asked for the configured mode: commits wait for this node's standby at once, even while it is away.
      this.waitingForStandby = true;
      await this.settle(database, 'check');
    }
    const mode = effectiveMode(this.config, override);
    this.log.warn({ from: before, to: mode, by: request.actor, reason: request.reason }, 'replication mode changed');
    return { mode, configured: this.config.replicationMode, override };
  }
}

/** The slots this primary holds for standbys of its own (not a backup's temporary one), and whether each streams now. */
async function standbySlots(database: DatabaseHandle): Promise<Array<{ active: boolean }>> {
  return withServer(
    database,
    async (client) =>
      (
        await client.query<{ active: boolean }>(
          "SELECT active FROM pg_replication_slots WHERE slot_type = 'physical' AND NOT temporary AND starts_with(slot_name, $1)",
          [slotPrefix],
        )
      ).rows,
  );
}
