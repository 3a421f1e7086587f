import type { Kysely, Selectable, Transaction } from 'kysely';
import { appError } from '../../platform/errors.js';
import { recordActivity } from './work.activity.js';
import { assertProjectRole, canEditTasks, type WorkActor } from './work.policy.js';
import { reachProject, type ProjectAccess } from './work.projects.js';
import { addDays, describeRule, nextOccurrence, type RecurrenceRule } from './work.recurrence.js';
import type { TaskRow } from './work.task-views.js';
import { taskColumns, viewsOf } from './work.task-views.js';
import { createTask } from './work.tasks.js';
import type { Frequency, TaskRecurrencesTable, WorkDatabase } from './work.tables.js';

/** A task's repeat rule, as its page shows it. */
export interface RecurrenceView {
  readonly taskId: string;
  readonly frequency: Frequency;
  readonly every: number;
  readonly weekdays: number[];
  readonly startsOn: string;
  readonly endsOn: string | null;
  /** The next day a copy is made; null when the rule has ended. */
  readonly nextOn: string | null;
  readonly description: string;
}

export interface RecurrenceInput {
  readonly frequency: Frequency;
  readonly every: number;
  readonly weekdays: number[];
  readonly startsOn?: string | undefined;
  readonly endsOn?: string | null | undefined;
}

type Tx = Transaction<WorkDatabase>;
type Row = Selectable<TaskRecurrencesTable>;

/** Who makes the copies: the workspace itself, leading every project. */
const scheduler: WorkActor = { userId: '', name: 'Recurring task', workspaceRole: 'owner', readOnly: false };

/** Occurrences one run makes for one rule at most (a platform down for weeks does not flood a board). */
const catchUpLimit = 31;

const ruleOf = (row: Row): RecurrenceRule => ({
  frequency: row.frequency,
  every: row.every,
  weekdays: row.weekdays,
  startsOn: row.starts_on,
  endsOn: row.ends_on,
});

const present = (row: Row): RecurrenceView => ({
  taskId: row.task_id,
  frequency: row.frequency,
  every: row.every,
  weekdays: row.weekdays,
  startsOn: row.starts_on,
  endsOn: row.ends_on,
  nextOn: row.next_on,
  description: describeRule(ruleOf(row)),
});

const today = (at: Date): string => at.toISOString().slice(0, 10);

/** The task's rule, or null when it does not repeat. */
export async function findRecurrence(db: Kysely<WorkDatabase>, taskId: string): Promise<RecurrenceView | null> {
  const row = await db.selectFrom('task_recurrences').selectAll().where('task_id', '=', taskId).executeTakeFirst();
  return row ? present(row) : null;
}

/** Makes a task repeat, or changes how: copies are made from the next occurrence on (today's included). */
export async function setRecurrence(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  task: TaskRow,
  input: RecurrenceInput,
  at: Date,
): Promise<RecurrenceView> {
  assertProjectRole(access.role, canEditTasks, 'make tasks repeat');
  if (input.frequency !== 'weekly' && input.weekdays.length > 0)
    throw appError('VALIDATION_FAILED', 'Weekdays are for a weekly rule: leave them out, or choose "weekly".');
  const rule: RecurrenceRule = {
    frequency: input.frequency,
    every: input.every,
    weekdays: [...new Set(input.weekdays)].sort(),
    startsOn: input.startsOn ?? today(at),
    endsOn: input.endsOn ?? null,
  };
  if (rule.endsOn !== null && rule.endsOn < rule.startsOn)
    throw appError('VALIDATION_FAILED', 'The rule cannot end before it starts: give an end on or after the start.');
  const before = await tx
    .selectFrom('task_recurrences')
    .selectAll()
    .where('task_id', '=', task.id)
    .forUpdate()
    .executeTakeFirst();
  const values = {
    frequency: rule.frequency,
    every: rule.every,
    weekdays: rule.weekdays as number[],
    starts_on: rule.startsOn,
    ends_on: rule.endsOn,
    next_on: nextOccurrence(rule, today(at)),
    updated_at: at,
  };
  const row = await tx
    .insertInto('task_recurrences')
    .values({ task_id: task.id, project_id: access.project.id, created_by: actor.userId || null, ...values })
    .onConflict((conflict) =>
      conflict.column('task_id').doUpdateSet({ ...values, version: (before?.version ?? 0) + 1 }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordActivity(
    tx,
    { projectId: access.project.id, taskId: task.id },
    actor,
    [{ field: 'recurrence', before: before ? describeRule(ruleOf(before)) : null, after: describeRule(rule) }],
    at,
  );
  return present(row);
}

export async function stopRecurrence(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  task: TaskRow,
  at: Date,
): Promise<void> {
  assertProjectRole(access.role, canEditTasks, 'stop tasks repeating');
  const row = await tx.deleteFrom('task_recurrences').where('task_id', '=', task.id).returningAll().executeTakeFirst();
  if (!row) throw appError('NOT_FOUND', 'This task does not repeat.');
  await recordActivity(
    tx,
    { projectId: access.project.id, taskId: task.id },
    actor,
    [{ field: 'recurrence', before: describeRule(ruleOf(row)), after: null }],
    at,
  );
}

/**
 * Makes the copies due by `at`'s day for one rule, in one transaction: each occurrence is
 * claimed by its (rule, day) key before its task is made, so a second run, or a second
 * scheduler, makes nothing twice; the rule's row is locked, and one a concurrent run holds is
 * skipped. Answers how many tasks it made.
 */
export async function makeOccurrences(tx: Tx, taskId: string, at: Date): Promise<number> {
  const row = await tx
    .selectFrom('task_recurrences')
    .selectAll()
    .where('task_id', '=', taskId)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  if (!row || row.next_on === null || row.next_on > today(at)) return 0;
  const template = await tx
    .selectFrom('tasks')
    .select(taskColumns('tasks'))
    .where('id', '=', taskId)
    .executeTakeFirstOrThrow();
  const [view] = await viewsOf(tx, [template]);
  const access = await reachProject(tx, scheduler, row.project_id);
  const rule = ruleOf(row);
  let made = 0;
  let next: string | null = row.next_on;
  for (let count = 0; next !== null && next <= today(at) && count < catchUpLimit; count += 1) {
    const claimed = await tx
      .insertInto('task_occurrences')
      .values({ recurrence_task_id: taskId, occurs_on: next, made_at: at })
      .onConflict((conflict) => conflict.doNothing())
      .returning('occurs_on')
      .executeTakeFirst();
    if (claimed) {
      const copy = await createTask(
        tx,
        scheduler,
        access,
        {
          title: view!.title,
          description: view!.description,
          priority: view!.priority,
          estimate: view!.estimate,
          dueDate: next,
          assigneeIds: view!.assignees.map((person) => person.id),
          labelIds: view!.labels.map((label) => label.id),
          fields: view!.fields,
        },
        at,
      );
      await tx
        .updateTable('task_occurrences')
        .set({ made_task_id: copy.id })
        .where('recurrence_task_id', '=', taskId)
        .where('occurs_on', '=', next)
        .execute();
      made += 1;
    }
    next = nextOccurrence(rule, addDays(next, 1));
  }
  // Past the catch-up limit, occurrences missed are skipped: the next one is today's or later.
  if (next !== null && next <= today(at)) next = nextOccurrence(rule, today(at));
  await tx.updateTable('task_recurrences').set({ next_on: next }).where('task_id', '=', taskId).execute();
  return made;
}

/** The rules with an occurrence due by `at`'s day, in projects not archived. */
export async function dueRecurrences(db: Kysely<WorkDatabase>, at: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('task_recurrences')
    .innerJoin('projects', 'projects.id', 'task_recurrences.project_id')
    .select('task_recurrences.task_id')
    .where('task_recurrences.next_on', '<=', today(at))
    .where('projects.archived_at', 'is', null)
    .orderBy('task_recurrences.next_on')
    .execute();
  return rows.map((row) => row.task_id);
}
