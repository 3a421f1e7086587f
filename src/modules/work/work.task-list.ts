import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import { appError } from '../../platform/errors.js';
import type { WorkActor } from './work.policy.js';
import { visibleProjectIds } from './work.projects.js';
import {
  decorated,
  listItemOf,
  taskColumns,
  type Decoration,
  type TaskListItem,
  type TaskRow,
} from './work.task-views.js';
import type { Priority, StateGroup, WorkDatabase } from './work.tables.js';

/** How a list of tasks is narrowed; every filter given must hold. */
export interface TaskFilters {
  /** Whose tasks: the projects this person may see, or the one of them named (key or id). */
  readonly projects: { readonly actor: WorkActor; readonly ref?: string | undefined };
  readonly stateIds?: readonly string[] | undefined;
  readonly groups?: readonly StateGroup[] | undefined;
  /** A user id, or "none" for tasks nobody is assigned. */
  readonly assignee?: string | undefined;
  readonly labelIds?: readonly string[] | undefined;
  readonly priorities?: readonly Priority[] | undefined;
  readonly dueBefore?: string | undefined;
  readonly dueAfter?: string | undefined;
  readonly parentId?: string | undefined;
  /** Custom field values: `{ fieldId: value }`, each one contained in the task's value (any of a multi select's). */
  readonly fieldValues?: Readonly<Record<string, string>> | undefined;
  /** Words, a partial word or a task key: searched in keys, titles, descriptions and comments. */
  readonly q?: string | undefined;
}

export type TaskSort = 'updated' | 'created' | 'priority' | 'due' | 'key' | 'board' | 'relevance';

export interface TaskPage {
  readonly items: TaskListItem[];
  /** Pass as `cursor` for the next page; null on the last. */
  readonly nextCursor: string | null;
}

/** Each sort: the SQL expression it orders by (then the id), its type for the cursor, and its direction. */
const sorts: Record<Exclude<TaskSort, 'relevance'>, { expression: string; type: string; direction: 'asc' | 'desc' }> = {
  updated: { expression: 't.updated_at', type: 'timestamptz', direction: 'desc' },
  created: { expression: 't.created_at', type: 'timestamptz', direction: 'desc' },
  priority: {
    expression: "array_position(ARRAY['none','low','medium','high','urgent'], t.priority)",
    type: 'integer',
    direction: 'desc',
  },
  due: { expression: "coalesce(t.due_date, 'infinity'::date)", type: 'date', direction: 'asc' },
  key: { expression: 't.number', type: 'integer', direction: 'asc' },
  board: { expression: 't.position', type: 'double precision', direction: 'asc' },
};

const taskKey = /^([A-Za-z][A-Za-z0-9]{1,9})-(\d{1,9})$/;

/**
 * One page of tasks, keyset-paged: the cursor holds the last task's sort value and id, so a page
 * is as fast at the 1,000th page as at the first and a task changed meanwhile is neither skipped
 * nor shown twice by a sort it did not move in. Each sort has an index in its order (project, value,
 * id), so a page reads about as many rows as it shows. Search matches full words (PostgreSQL full
 * text, as written and English-stemmed, in titles, descriptions and comments), parts of words in
 * titles (trigrams) and task keys.
 */
export async function listTasks(
  db: Kysely<WorkDatabase>,
  filters: TaskFilters,
  sort: TaskSort,
  limit: number,
  cursor: string | undefined,
): Promise<TaskPage> {
  const q = filters.q?.trim();
  const order = sort === 'relevance' && q ? relevance(q) : sorts[sort === 'relevance' ? 'updated' : sort];
  const after = cursor ? decodeCursor(cursor, sort, order.type) : undefined;
  const page = db
    .selectFrom('tasks as t')
    .select(taskColumns('t'))
    .select(sql`${sql.raw(order.expression)}`.as('sort_key'))
    .where((eb) => {
      const all: Expression<SqlBool>[] = [
        filters.projects.ref === undefined
          ? sql<SqlBool>`t.project_id = ANY(ARRAY(${visibleProjectIds(filters.projects.actor)}))`
          : sql<SqlBool>`t.project_id = (${visibleProjectIds(filters.projects.actor, filters.projects.ref)})`,
      ];
      if (filters.stateIds?.length) all.push(eb('t.state_id', 'in', filters.stateIds));
      if (filters.groups?.length)
        all.push(
          sql<SqlBool>`t.state_id IN (SELECT id FROM workflow_states WHERE state_group = ANY(${filters.groups}))`,
        );
      if (filters.assignee === 'none')
        all.push(sql<SqlBool>`NOT EXISTS (SELECT 1 FROM task_assignees a WHERE a.task_id = t.id)`);
      else if (filters.assignee)
        all.push(
          sql<SqlBool>`EXISTS (SELECT 1 FROM task_assignees a WHERE a.task_id = t.id AND a.user_id = ${filters.assignee})`,
        );
      for (const labelId of filters.labelIds ?? [])
        all.push(sql<SqlBool>`EXISTS (SELECT 1 FROM task_labels l WHERE l.task_id = t.id AND l.label_id = ${labelId})`);
      if (filters.priorities?.length) all.push(eb('t.priority', 'in', filters.priorities));
      if (filters.dueBefore) all.push(sql<SqlBool>`t.due_date <= ${filters.dueBefore}::date`);
      if (filters.dueAfter) all.push(sql<SqlBool>`t.due_date >= ${filters.dueAfter}::date`);
      if (filters.parentId) all.push(eb('t.parent_id', '=', filters.parentId));
      for (const [fieldId, value] of Object.entries(filters.fieldValues ?? {})) all.push(fieldMatches(fieldId, value));
      if (q) all.push(searchMatches(q, sort === 'relevance'));
      if (after)
        all.push(
          sql<SqlBool>`(${sql.raw(order.expression)}, t.id) ${sql.raw(order.direction === 'asc' ? '>' : '<')} (${after.value}::${sql.raw(order.type)}, ${after.id}::uuid)`,
        );
      return eb.and(all);
    })
    .orderBy(sql.raw(`${order.expression} ${order.direction}, t.id ${order.direction}`))
    .limit(limit + 1);
  // The page and what its views refer to, in one statement, in the page's order.
  const { rows } = await sql<
    TaskRow & Decoration & { sort_value: string }
  >`${decorated(sql`(${page}) t`, sql`, t.sort_key::text AS sort_value`)}
    ORDER BY ${sql.raw(`t.sort_key ${order.direction}, t.id ${order.direction}`)}`.execute(db);
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    items: shown.map(listItemOf),
    nextCursor: rows.length > limit && last ? encodeCursor(sort, last.sort_value, last.id) : null,
  };
}

/** Both readings of the words: titles are indexed as written ('simple'), descriptions and comments stemmed ('english'). */
const tsquery = (q: string) => sql`(websearch_to_tsquery('simple', ${q}) || websearch_to_tsquery('english', ${q}))`;

function relevance(q: string): { expression: string; type: string; direction: 'desc' } {
  // A literal in the expression, escaped as SQL: the expression is also compared in the cursor.
  const literal = `'${q.replaceAll("'", "''")}'`;
  return {
    expression: `(ts_rank(t.search, websearch_to_tsquery('simple', ${literal}) || websearch_to_tsquery('english', ${literal})) + similarity(t.title, ${literal}))::real`,
    type: 'real',
    direction: 'desc',
  };
}

/**
 * The tasks a search finds, as one set of ids from three searches each served by its own
 * index (full text on tasks, trigrams on titles, full text on comments), fetched by primary
 * key: an OR across them in one condition would read every task. Ranked by relevance, a search
 * ranks a bounded set of matches, not every one, so a word in thousands of tasks is answered as
 * fast as a rare one: up to `relevanceCandidates` matches of the words of titles and
 * descriptions, then, each up to the room those leave, parts of titles and matches in comments
 * (which rank below them: their rank is the title's likeness alone).
 */
function searchMatches(q: string, capped: boolean): Expression<SqlBool> {
  const key = taskKey.exec(q);
  if (key)
    return sql<SqlBool>`(t.number = ${Number(key[2])} AND t.project_id IN (SELECT id FROM projects WHERE key = ${key[1]!.toUpperCase()}))`;
  const pattern = `%${escapeLike(q)}%`;
  if (!capped)
    return sql<SqlBool>`t.id = ANY(ARRAY(
      (SELECT id FROM tasks WHERE search @@ ${tsquery(q)})
      UNION (SELECT id FROM tasks WHERE title ILIKE ${pattern})
      UNION (SELECT task_id FROM comments WHERE search @@ ${tsquery(q)})
    ))`;
  return sql<SqlBool>`t.id = ANY(ARRAY(
    WITH words AS (SELECT id FROM tasks WHERE search @@ ${tsquery(q)} LIMIT ${relevanceCandidates}),
         room AS (SELECT ${relevanceCandidates} - count(*) AS n FROM words)
    (SELECT id FROM words)
    UNION (SELECT id FROM tasks WHERE title ILIKE ${pattern} LIMIT (SELECT n FROM room))
    UNION (SELECT task_id FROM comments WHERE search @@ ${tsquery(q)} LIMIT (SELECT n FROM room))
  ))`;
}

/** Matches of the words of titles and descriptions a relevance-ranked search ranks, at most. */
export const relevanceCandidates = 100;

function fieldMatches(fieldId: string, value: string): Expression<SqlBool> {
  const number = Number(value);
  const forms: unknown[] = [value, [value]];
  if (value.trim() !== '' && Number.isFinite(number)) forms.push(number);
  return sql<SqlBool>`(${sql.join(
    forms.map((form) => sql`t.fields @> ${JSON.stringify({ [fieldId]: form })}::jsonb`),
    sql` OR `,
  )})`;
}

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (match) => `\\${match}`);

/** What a sort's cursor value must look like before it is cast: a tampered cursor is a 400, never a database error. */
const cursorValue: Record<string, RegExp> = {
  timestamptz: /^\d{4}-\d{2}-\d{2} [\d:.+-]+$/,
  integer: /^-?\d{1,10}$/,
  date: /^(\d{4}-\d{2}-\d{2}|infinity)$/,
  'double precision': /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i,
  real: /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i,
};

function encodeCursor(sort: TaskSort, value: string, id: string): string {
  return Buffer.from(JSON.stringify([sort, value, id])).toString('base64url');
}

function decodeCursor(text: string, sort: TaskSort, type: string): { value: string; id: string } {
  try {
    const [made, value, id] = JSON.parse(Buffer.from(text, 'base64url').toString()) as unknown[];
    if (
      made === sort &&
      typeof value === 'string' &&
      cursorValue[type]!.test(value) &&
      typeof id === 'string' &&
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)
    )
      return { value, id };
  } catch {
    // falls through to the error below
  }
  throw appError(
    'VALIDATION_FAILED',
    'The cursor is not one this API gave out for this sort: start again from the first page, without it.',
  );
}
