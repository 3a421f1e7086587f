import { CronExpressionParser } from 'cron-parser';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Clock } from '../clock/clock.js';
import type { PlatformTables } from '../db/schema.js';
import type { Logger } from '../log/log.js';
import type { JobDefinition, JobQueue } from './queue.js';

export interface Schedule<S extends z.ZodType = z.ZodType> {
  /** Stable name; the last fire time is kept under it. */
  readonly name: string;
  /** Five-field cron expression, e.g. `0 2 * * *` for 02:00 daily. */
  readonly cron: string;
  /** IANA time zone the cron expression is read in. */
  readonly timeZone: string;
  readonly job: JobDefinition<S>;
  readonly payload: z.input<S>;
}

/** Throws a readable error for an invalid cron expression or time zone. */
export function validateSchedule(cron: string, timeZone: string): void {
  try {
    CronExpressionParser.parse(cron, { tz: timeZone, strict: false }).next();
  } catch (error) {
    throw new Error(`invalid schedule "${cron}" in time zone ${timeZone}: ${(error as Error).message}`);
  }
}

/** The most recent time at or before `now` that the schedule fires. */
export function latestFireAtOrBefore(cron: string, timeZone: string, now: Date): Date {
  const probe = new Date(now.getTime() + 1000);
  return CronExpressionParser.parse(cron, { tz: timeZone, currentDate: probe }).prev().toDate();
}

/**
 * Turns schedules into queued jobs. Only the leader ticks it. Each fire is enqueued with
 * a key made of the schedule's name and fire time, so a fire is never queued twice even
 * if leadership changes hands during it. Fires missed while no process was running are
 * caught up once (the latest), not once per missed fire.
 */
export class Scheduler {
  private readonly schedules: Schedule[] = [];
  private readonly lastFired = new Map<string, Date>();

  constructor(
    private readonly db: Kysely<PlatformTables>,
    private readonly queue: JobQueue,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  add(schedule: Schedule): this {
    validateSchedule(schedule.cron, schedule.timeZone);
    this.schedules.push(schedule);
    return this;
  }

  /** Enqueues every schedule that has come due; returns the names fired. */
  async tick(): Promise<string[]> {
    const now = this.clock.now();
    const fired: string[] = [];
    for (const schedule of this.schedules) {
      const due = latestFireAtOrBefore(schedule.cron, schedule.timeZone, now);
      const last = await this.lastFireOf(schedule.name, due);
      if (due.getTime() <= last.getTime()) continue;
      await this.queue.enqueue(schedule.job, schedule.payload, {
        dedupeKey: `schedule:${schedule.name}:${due.toISOString()}`,
      });
      await this.db
        .insertInto('job_schedules')
        .values({ name: schedule.name, last_fired_at: due })
        .onConflict((conflict) => conflict.column('name').doUpdateSet({ last_fired_at: due }))
        .execute();
      this.lastFired.set(schedule.name, due);
      this.log.info({ schedule: schedule.name, fireTime: due.toISOString() }, 'schedule fired');
      fired.push(schedule.name);
    }
    return fired;
  }

  /** Forgets cached fire times; a new leader reads them from the database. */
  reset(): void {
    this.lastFired.clear();
  }

  private async lastFireOf(name: string, dueNow: Date): Promise<Date> {
    const cached = this.lastFired.get(name);
    if (cached) return cached;
    const row = await this.db
      .selectFrom('job_schedules')
      .select('last_fired_at')
      .where('name', '=', name)
      .executeTakeFirst();
    if (row) {
      this.lastFired.set(name, row.last_fired_at);
      return row.last_fired_at;
    }
    // A new schedule starts counting from now: it does not fire for times before it existed.
    await this.db
      .insertInto('job_schedules')
      .values({ name, last_fired_at: dueNow })
      .onConflict((conflict) => conflict.column('name').doNothing())
      .execute();
    this.lastFired.set(name, dueNow);
    return dueNow;
  }
}
