import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import type { Logger } from '../../platform/log/log.js';
import type { AttachmentLimits } from './work.attachments.js';
import { dueRecurrences, makeOccurrences } from './work.recurring.js';
import { markDigested, notifyDueSoon, pendingDigests, type PendingDigest } from './work.notifications.js';
import { LiveStreams, type Listen } from './work.live.js';
import type { TenantTables } from '../../platform/db/schema.js';
import { oncePerKey, pruneIdempotencyKeys, type IdempotentRequest, type StoredResponse } from './work.idempotency.js';
import type { WorkDatabase, WorkTables } from './work.tables.js';

/** Runs work against an active workspace's database, as the workspace's own role (TenancyService.withDatabase). */
export type TenantDatabases = <R>(slug: string, work: (db: Kysely<TenantTables>) => Promise<R>) => Promise<R>;

/** How long a project's live events are kept for clients that reconnect. */
export const eventsKeptHours = 24;

export interface WorkServiceDeps {
  /** Runs work against an active workspace's database, as its own role. */
  readonly databases: TenantDatabases;
  readonly clock: Clock;
  /** Listens on a channel of a workspace's database, for the live streams. */
  readonly listen: Listen;
  readonly log: Logger;
  /** How big one attached file and all of a workspace's files may be. */
  readonly attachments: AttachmentLimits;
}

/**
 * A workspace's projects and tasks. Reads run on a connection of the workspace's pool; every
 * change runs in one transaction, with its activity and its event, so a change is recorded and
 * announced exactly when it is made. A POST with an Idempotency-Key stores its answer in the
 * same transaction (see oncePerKey).
 */
export class WorkService {
  /** This process's live streams of project events. */
  readonly live: LiveStreams;

  constructor(private readonly deps: WorkServiceDeps) {
    this.live = new LiveStreams(deps.listen, (slug, work) => this.read(slug, work), deps.log);
  }

  get attachmentLimits(): AttachmentLimits {
    return this.deps.attachments;
  }

  now(): Date {
    return this.deps.clock.now();
  }

  read<R>(slug: string, work: (db: Kysely<WorkDatabase>) => Promise<R>): Promise<R> {
    return this.deps.databases(slug, (db) => work(db.withTables<WorkTables>()));
  }

  write<R>(slug: string, work: (tx: Transaction<WorkDatabase>, at: Date) => Promise<R>): Promise<R> {
    const at = this.deps.clock.now();
    return this.read(slug, (db) => db.transaction().execute((tx) => work(tx, at)));
  }

  /** A change that answers `status` and `body`, made once per Idempotency-Key when the request has one. */
  respond(
    slug: string,
    once: Omit<IdempotentRequest, 'at'> | undefined,
    work: (tx: Transaction<WorkDatabase>, at: Date) => Promise<StoredResponse>,
  ): Promise<StoredResponse & { replayed: boolean }> {
    return this.write(slug, async (tx, at) =>
      once ? oncePerKey(tx, { ...once, at }, () => work(tx, at)) : { ...(await work(tx, at)), replayed: false },
    );
  }

  /** Tells assignees of the workspace's open tasks due today or tomorrow (UTC), once per task, person and date. */
  notifyDueSoon(slug: string): Promise<number> {
    const now = this.deps.clock.now();
    return this.read(slug, (db) => notifyDueSoon(db, now.toISOString().slice(0, 10), now));
  }

  /**
   * Makes the workspace's recurring tasks due today, each rule in its own transaction: one
   * that cannot be copied (a required custom field added since, say) is logged and left for
   * the next run, and holds up no other.
   */
  async makeRecurringTasks(slug: string): Promise<{ made: number; failed: number }> {
    let made = 0;
    let failed = 0;
    for (const taskId of await this.read(slug, (db) => dueRecurrences(db, this.deps.clock.now()))) {
      try {
        made += await this.write(slug, (tx, at) => makeOccurrences(tx, taskId, at));
      } catch (error) {
        failed += 1;
        this.deps.log.warn({ err: error, tenant: slug, taskId }, 'a recurring task could not be copied');
      }
    }
    return { made, failed };
  }

  /** The workspace's notification digests due now. */
  pendingDigests(slug: string): Promise<PendingDigest[]> {
    return this.read(slug, (db) => pendingDigests(db, this.deps.clock.now()));
  }

  markDigested(slug: string, digest: PendingDigest): Promise<void> {
    return this.write(slug, (tx, at) => markDigested(tx, digest, at));
  }

  /** Forgets one workspace's expired Idempotency-Keys, and live events older than a day (a client gone longer reloads). */
  prune(slug: string): Promise<{ keys: number; events: number }> {
    const now = this.deps.clock.now();
    return this.read(slug, async (db) => ({
      keys: await pruneIdempotencyKeys(db, now),
      events: Number(
        (
          await db
            .deleteFrom('work_events')
            .where('at', '<', new Date(now.getTime() - eventsKeptHours * 3600_000))
            .executeTakeFirst()
        ).numDeletedRows,
      ),
    }));
  }
}
