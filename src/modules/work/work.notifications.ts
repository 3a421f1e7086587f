import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { appError } from '../../platform/errors.js';
import type { WorkActor } from './work.policy.js';
import { listProjects } from './work.projects.js';
import type { DigestFrequency, NotificationKind, WorkDatabase } from './work.tables.js';

/** A notification as the bell and the digest show it. */
export interface NotificationView {
  readonly id: string;
  readonly kind: NotificationKind;
  readonly projectId: string;
  readonly task: { readonly id: string; readonly key: string; readonly title: string } | null;
  readonly actor: string | null;
  /** One line a person reads: "Ada assigned you OPS-42 "Deploy the router"". */
  readonly summary: string;
  readonly data: Record<string, unknown>;
  readonly createdAt: Date;
  readonly readAt: Date | null;
}

export interface NotificationPage {
  readonly items: NotificationView[];
  readonly nextCursor: string | null;
  readonly unreadCount: number;
}

/** The task a notification is about, as it was when it was made. */
export interface NotifiedTask {
  readonly id: string;
  readonly key: string;
  readonly title: string;
  readonly projectId: string;
}

type Tx = Transaction<WorkDatabase>;

interface NotificationRow {
  id: string;
  kind: NotificationKind;
  project_id: string;
  task_id: string | null;
  actor: string | null;
  data: Record<string, unknown>;
  created_at: Date;
  read_at: Date | null;
}

const quoted = (data: Record<string, unknown>): string => `${String(data.taskKey)} "${String(data.taskTitle)}"`;

export function summaryOf(row: Pick<NotificationRow, 'kind' | 'actor' | 'data'>): string {
  const who = row.actor ?? 'Someone';
  switch (row.kind) {
    case 'assigned':
      return `${who} assigned you ${quoted(row.data)}`;
    case 'mentioned':
      return `${who} mentioned you on ${quoted(row.data)}`;
    case 'state_changed':
      return `${who} moved ${quoted(row.data)} from ${String(row.data.from)} to ${String(row.data.to)}`;
    case 'due_soon':
      return `${quoted(row.data)} is due ${String(row.data.dueDate)}`;
  }
}

function present(row: NotificationRow): NotificationView {
  return {
    id: row.id,
    kind: row.kind,
    projectId: row.project_id,
    task: row.task_id ? { id: row.task_id, key: String(row.data.taskKey), title: String(row.data.taskTitle) } : null,
    actor: row.actor,
    summary: summaryOf(row),
    data: row.data,
    createdAt: row.created_at,
    readAt: row.read_at,
  };
}

/**
 * Tells `recipients` about a change to a task, in the change's own transaction: nobody hears
 * of a change that did not happen. The person who made it is never told of their own doing.
 */
export async function notify(
  tx: Tx,
  input: {
    recipients: Iterable<string>;
    actor: WorkActor;
    task: NotifiedTask;
    kind: NotificationKind;
    data?: Record<string, unknown>;
    at: Date;
  },
): Promise<void> {
  const named = [...new Set(input.recipients)].filter((id) => id && id !== input.actor.userId);
  if (named.length === 0) return;
  // Only people who see the project hear of it: a mention of someone outside it tells them nothing.
  // Who they are, the actor's name as it is now and the rows, in one statement.
  const actorName = input.actor.userId
    ? sql`coalesce((SELECT name FROM users WHERE id = ${input.actor.userId}), ${input.actor.name})`
    : sql`${input.actor.name}`;
  const data = JSON.stringify({ taskKey: input.task.key, taskTitle: input.task.title, ...input.data });
  await sql`
    INSERT INTO notifications (user_id, project_id, task_id, kind, actor, data, created_at)
    SELECT u.id, ${input.task.projectId}::uuid, ${input.task.id}::uuid, ${input.kind}, ${actorName}, ${data}::jsonb,
           ${input.at}::timestamptz
      FROM users u
     WHERE u.id = ANY(${named}::uuid[]) AND u.disabled_at IS NULL AND ${seesProject(input.task.projectId)}`.execute(tx);
}

/** Whether user `u` sees a project: owners and admins see all, anyone else as a member of it. */
const seesProject = (projectId: string | RawBuilder<unknown>) =>
  sql<boolean>`(u.role IN ('owner', 'admin') OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = ${projectId} AND m.user_id = u.id))`;

/** Whoever watches a task. */
export async function watchersOf(tx: Tx, taskId: string): Promise<string[]> {
  const rows = await tx.selectFrom('task_watchers').select('user_id').where('task_id', '=', taskId).execute();
  return rows.map((row) => row.user_id);
}

const encodeCursor = (seq: number): string => Buffer.from(String(seq)).toString('base64url');

function decodeCursor(cursor: string): number {
  const seq = Number(Buffer.from(cursor, 'base64url').toString());
  if (!Number.isSafeInteger(seq) || seq < 0)
    throw appError('VALIDATION_FAILED', 'The cursor is not one this list gave: start again without it.');
  return seq;
}

/** Notifications about projects the person still sees. */
async function visibleProjects(db: Kysely<WorkDatabase>, actor: WorkActor): Promise<string[]> {
  return (await listProjects(db, actor, true)).map((project) => project.id);
}

async function unreadCount(db: Kysely<WorkDatabase>, userId: string, projectIds: string[]): Promise<number> {
  if (projectIds.length === 0) return 0;
  const { count } = await db
    .selectFrom('notifications')
    .select(db.fn.countAll<string>().as('count'))
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .where('project_id', 'in', projectIds)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** One's notifications, newest first, a page at a time; with how many are unread. */
export async function listNotifications(
  db: Kysely<WorkDatabase>,
  actor: WorkActor,
  options: { unread: boolean; limit: number; cursor?: string | undefined },
): Promise<NotificationPage> {
  if (!actor.userId) return { items: [], nextCursor: null, unreadCount: 0 };
  const projectIds = await visibleProjects(db, actor);
  if (projectIds.length === 0) return { items: [], nextCursor: null, unreadCount: 0 };
  let query = db
    .selectFrom('notifications')
    .select(['id', 'seq', 'kind', 'project_id', 'task_id', 'actor', 'data', 'created_at', 'read_at'])
    .where('user_id', '=', actor.userId)
    .where('project_id', 'in', projectIds)
    .orderBy('seq', 'desc')
    .limit(options.limit + 1);
  if (options.unread) query = query.where('read_at', 'is', null);
  if (options.cursor) query = query.where('seq', '<', decodeCursor(options.cursor));
  const rows = await query.execute();
  const page = rows.slice(0, options.limit);
  return {
    items: page.map(present),
    nextCursor: rows.length > options.limit ? encodeCursor(page[page.length - 1]!.seq) : null,
    unreadCount: await unreadCount(db, actor.userId, projectIds),
  };
}

/** Marks some (or all) of one's notifications read; answers how many stay unread. */
export async function markRead(
  tx: Tx,
  actor: WorkActor,
  which: { ids?: readonly string[] | undefined; all?: boolean | undefined },
  at: Date,
): Promise<number> {
  assertOwnsNotifications(actor);
  if (!which.all && (!which.ids || which.ids.length === 0))
    throw appError('VALIDATION_FAILED', 'Say which notifications to mark read: `ids`, or `all: true`.');
  let update = tx
    .updateTable('notifications')
    .set({ read_at: at })
    .where('user_id', '=', actor.userId)
    .where('read_at', 'is', null);
  if (!which.all) update = update.where('id', 'in', [...which.ids!]);
  await update.execute();
  return unreadCount(tx, actor.userId, await visibleProjects(tx, actor));
}

function assertOwnsNotifications(actor: WorkActor): void {
  if (!actor.userId || actor.readOnly)
    throw appError('FORBIDDEN', 'Notifications are changed with your own session or a read-write token.');
}

export async function digestOf(db: Kysely<WorkDatabase>, userId: string): Promise<DigestFrequency> {
  const row = await db
    .selectFrom('notification_settings')
    .select('email_digest')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.email_digest ?? 'daily';
}

export async function setDigest(tx: Tx, actor: WorkActor, frequency: DigestFrequency): Promise<DigestFrequency> {
  assertOwnsNotifications(actor);
  await tx
    .insertInto('notification_settings')
    .values({ user_id: actor.userId, email_digest: frequency })
    .onConflict((conflict) => conflict.column('user_id').doUpdateSet({ email_digest: frequency }))
    .execute();
  return frequency;
}

/**
 * Tells assignees of open tasks due by tomorrow (`today` as YYYY-MM-DD), once per task, person
 * and due date: the unique index makes a second run, or two at once, add nothing.
 */
export async function notifyDueSoon(db: Kysely<WorkDatabase>, today: string, at: Date): Promise<number> {
  const result = await sql`
    INSERT INTO notifications (user_id, project_id, task_id, kind, actor, data, dedupe, created_at)
    SELECT a.user_id, t.project_id, t.id, 'due_soon', NULL,
           jsonb_build_object('taskKey', p.key || '-' || t.number, 'taskTitle', t.title, 'dueDate', t.due_date::text),
           t.due_date::text, ${at}
      FROM tasks t
      JOIN projects p ON p.id = t.project_id AND p.archived_at IS NULL
      JOIN workflow_states s ON s.id = t.state_id AND s.state_group NOT IN ('completed', 'cancelled')
      JOIN task_assignees a ON a.task_id = t.id
      JOIN users u ON u.id = a.user_id AND u.disabled_at IS NULL
     WHERE t.due_date BETWEEN ${today}::date AND ${today}::date + 1
    ON CONFLICT (user_id, task_id, kind, dedupe) WHERE dedupe IS NOT NULL DO NOTHING`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Someone's unread notifications that no digest has carried yet, and whom to mail them to. */
export interface PendingDigest {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly items: NotificationView[];
}

/**
 * The digests due at `now`: for each person whose setting allows one now (hourly: each run;
 * daily: a day after the last), their unread notifications older than `settleMinutes` (a
 * notification read in the app meanwhile is not mailed) that no digest carried.
 */
export async function pendingDigests(
  db: Kysely<WorkDatabase>,
  now: Date,
  settleMinutes = 10,
): Promise<PendingDigest[]> {
  const settled = new Date(now.getTime() - settleMinutes * 60_000);
  const dayAgo = new Date(now.getTime() - 23 * 3600_000);
  const rows = await db
    .selectFrom('notifications as n')
    .innerJoin('users as u', 'u.id', 'n.user_id')
    .leftJoin('notification_settings as s', 's.user_id', 'n.user_id')
    .select(['n.id', 'n.kind', 'n.project_id', 'n.task_id', 'n.actor', 'n.data', 'n.created_at', 'n.read_at'])
    .select(['u.id as user_id', 'u.email', 'u.name'])
    .where('n.read_at', 'is', null)
    .where('n.emailed_at', 'is', null)
    .where('n.created_at', '<=', settled)
    .where('u.disabled_at', 'is', null)
    .where(seesProject(sql.ref('n.project_id')))
    .where((where) =>
      where.or([
        where('s.email_digest', '=', 'hourly'),
        where.and([
          where(sql`coalesce(s.email_digest, 'daily')`, '=', 'daily'),
          where.or([where('s.last_digest_at', 'is', null), where('s.last_digest_at', '<=', dayAgo)]),
        ]),
      ]),
    )
    .orderBy('n.user_id')
    .orderBy('n.seq')
    .execute();
  const byUser = new Map<string, PendingDigest>();
  for (const row of rows) {
    const digest = byUser.get(row.user_id) ?? { userId: row.user_id, email: row.email, name: row.name, items: [] };
    digest.items.push(present(row));
    byUser.set(row.user_id, digest);
  }
  return [...byUser.values()];
}

/** Records that a digest carried these notifications, and when it went. */
export async function markDigested(tx: Tx, digest: PendingDigest, at: Date): Promise<void> {
  await tx
    .updateTable('notifications')
    .set({ emailed_at: at })
    .where(
      'id',
      'in',
      digest.items.map((item) => item.id),
    )
    .execute();
  await tx
    .insertInto('notification_settings')
    .values({ user_id: digest.userId, last_digest_at: at })
    .onConflict((conflict) => conflict.column('user_id').doUpdateSet({ last_digest_at: at }))
    .execute();
}
