// The baseline for work-api: the same routes answering with the same SQL a hand-written server
// would run (one statement per read, one transaction per write), with no authentication,
// validation, Markdown, activity, events or Idempotency-Key. BARE_DATABASE is the connection
// (JSON), BARE_POOL_MAX the size of its pool (as the platform's per-workspace pool).
import Fastify from 'fastify';
import pg from 'pg';
import { relevanceCandidates } from '../../src/modules/work/work.task-list.js';

const pool = new pg.Pool({ ...JSON.parse(process.env.BARE_DATABASE!), max: Number(process.env.BARE_POOL_MAX ?? 4) });
const app = Fastify({ logger: false });

/** A task as the API shows it: its project's key, state, people, labels, parent and counts. */
const taskColumns = (t: string) => `
  ${t}.id, p.key || '-' || ${t}.number AS key, ${t}.number, ${t}.project_id, p.key AS project_key, ${t}.title,
  ${t}.description, json_build_object('id', s.id, 'name', s.name, 'group', s.state_group, 'color', s.color) AS state,
  ${t}.priority, ${t}.start_date, ${t}.due_date, ${t}.estimate::float8 AS estimate,
  (SELECT json_build_object('id', pt.id, 'key', p.key || '-' || pt.number, 'title', pt.title, 'stateGroup', ps.state_group)
     FROM tasks pt JOIN workflow_states ps ON ps.id = pt.state_id WHERE pt.id = ${t}.parent_id) AS parent,
  (SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.name, 'email', u.email) ORDER BY u.name), '[]')
     FROM task_assignees a JOIN users u ON u.id = a.user_id WHERE a.task_id = ${t}.id) AS assignees,
  (SELECT coalesce(json_agg(json_build_object('id', l.id, 'name', l.name, 'color', l.color) ORDER BY l.name), '[]')
     FROM task_labels tl JOIN labels l ON l.id = tl.label_id WHERE tl.task_id = ${t}.id) AS labels,
  ${t}.fields, (SELECT count(*) FROM tasks st WHERE st.parent_id = ${t}.id)::int AS subtask_count,
  (SELECT count(*) FROM comments c WHERE c.task_id = ${t}.id)::int AS comment_count, ${t}.position,
  (SELECT json_build_object('id', u.id, 'name', u.name, 'email', u.email) FROM users u WHERE u.id = ${t}.created_by)
    AS created_by, ${t}.created_at, ${t}.updated_at, ${t}.completed_at, ${t}.version`;

const sorts: Record<string, [string, 'asc' | 'desc']> = {
  updated: ['t.updated_at', 'desc'],
  created: ['t.created_at', 'desc'],
  priority: ["array_position(ARRAY['none','low','medium','high','urgent'], t.priority)", 'desc'],
  due: ["coalesce(t.due_date, 'infinity'::date)", 'asc'],
  key: ['t.number', 'asc'],
  board: ['t.position', 'asc'],
};
const taskKey = /^([A-Za-z][A-Za-z0-9]{1,9})-(\d{1,9})$/;
const list = (value: string | undefined) => value?.split(',').filter(Boolean);

/** Project ids by key, read once: like ours, queries then filter on the id, which the indexes lead with. */
const projects = new Map<string, string>();
async function projectId(key: string): Promise<string> {
  const known = projects.get(key.toUpperCase());
  if (known) return known;
  const { rows } = await pool.query('SELECT id FROM projects WHERE key = $1', [key.toUpperCase()]);
  const id = (rows[0] as { id: string } | undefined)?.id ?? '00000000-0000-0000-0000-000000000000';
  projects.set(key.toUpperCase(), id);
  return id;
}

app.get('/api/v1/tasks', async (request) => {
  const query = request.query as Record<string, string | undefined>;
  const params: unknown[] = [];
  const $ = (value: unknown) => `$${params.push(value)}`;
  const where = ['true'];
  if (query.project) where.push(`t.project_id = ${$(await projectId(query.project))}`);
  // IN lists, as Kysely writes them: one value becomes `=`, which the board's index orders by.
  if (query.state) where.push(`t.state_id IN (${list(query.state)!.map($).join(', ')})`);
  if (query.group)
    where.push(`t.state_id IN (SELECT id FROM workflow_states WHERE state_group = ANY(${$(list(query.group))}))`);
  if (query.assignee)
    where.push(`EXISTS (SELECT 1 FROM task_assignees a WHERE a.task_id = t.id AND a.user_id = ${$(query.assignee)})`);
  for (const label of list(query.label) ?? [])
    where.push(`EXISTS (SELECT 1 FROM task_labels l WHERE l.task_id = t.id AND l.label_id = ${$(label)})`);
  if (query.priority) where.push(`t.priority IN (${list(query.priority)!.map($).join(', ')})`);
  const q = query.q?.trim();
  let [order, direction] = sorts[query.sort ?? 'updated'] ?? sorts.updated!;
  if (q) {
    const key = taskKey.exec(q);
    if (key) where.push(`t.number = ${$(Number(key[2]))} AND t.project_id = ${$(await projectId(key[1]!))}`);
    else {
      const text = $(q);
      const words = `(websearch_to_tsquery('simple', ${text}) || websearch_to_tsquery('english', ${text}))`;
      const pattern = $(`%${q.replace(/[\\%_]/g, '\\$&')}%`);
      // Ranked, as ours: title and description words first, parts of titles and comments in the room left.
      where.push(
        query.sort === 'relevance'
          ? `t.id = ANY(ARRAY(WITH words AS (SELECT id FROM tasks WHERE search @@ ${words} LIMIT ${relevanceCandidates}),
               room AS (SELECT ${relevanceCandidates} - count(*) AS n FROM words)
             (SELECT id FROM words)
             UNION (SELECT id FROM tasks WHERE title ILIKE ${pattern} LIMIT (SELECT n FROM room))
             UNION (SELECT task_id FROM comments WHERE search @@ ${words} LIMIT (SELECT n FROM room))))`
          : `t.id = ANY(ARRAY((SELECT id FROM tasks WHERE search @@ ${words})
             UNION (SELECT id FROM tasks WHERE title ILIKE ${pattern})
             UNION (SELECT task_id FROM comments WHERE search @@ ${words})))`,
      );
      if (query.sort === 'relevance')
        [order, direction] = [`(ts_rank(t.search, ${words}) + similarity(t.title, ${text}))::real`, 'desc'];
    }
  }
  const limit = Number(query.limit ?? 50);
  const { rows } = await pool.query(
    `WITH page AS (SELECT t.*, (${order})::text AS sort_value FROM tasks t WHERE ${where.join(' AND ')}
                   ORDER BY ${order} ${direction}, t.id ${direction} LIMIT ${limit + 1})
     SELECT ${taskColumns('t')}, t.sort_value FROM page t JOIN projects p ON p.id = t.project_id
     JOIN workflow_states s ON s.id = t.state_id ORDER BY ${order} ${direction}, t.id ${direction}`,
    params,
  );
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return {
    items: rows.slice(0, limit),
    nextCursor: last ? Buffer.from(JSON.stringify([query.sort, last.sort_value, last.id])).toString('base64url') : null,
  };
});

const byKey = `t.project_id = $1 AND t.number = $2`;
const keyParams = async (ref: string) => {
  const [, project, number] = taskKey.exec(ref) ?? [];
  return [await projectId(project ?? ''), Number(number)];
};

app.get('/api/v1/tasks/:task', async (request, reply) => {
  const { rows } = await pool.query(
    `SELECT ${taskColumns('t')},
       (SELECT coalesce(json_agg(json_build_object('id', c.id, 'key', p.key || '-' || c.number, 'title', c.title,
          'stateGroup', cs.state_group) ORDER BY c.number), '[]')
          FROM tasks c JOIN workflow_states cs ON cs.id = c.state_id WHERE c.parent_id = t.id) AS subtasks,
       (SELECT coalesce(json_agg(json_build_object('kind', r.kind, 'task', json_build_object('id', o.id,
          'key', op.key || '-' || o.number, 'title', o.title, 'stateGroup', os.state_group)) ORDER BY r.created_at), '[]')
          FROM task_relations r JOIN tasks o ON o.id = CASE WHEN r.task_id = t.id THEN r.related_id ELSE r.task_id END
          JOIN projects op ON op.id = o.project_id JOIN workflow_states os ON os.id = o.state_id
          WHERE r.task_id = t.id OR r.related_id = t.id) AS relations
     FROM tasks t JOIN projects p ON p.id = t.project_id JOIN workflow_states s ON s.id = t.state_id WHERE ${byKey}`,
    await keyParams((request.params as { task: string }).task),
  );
  if (!rows[0]) return reply.status(404).send({ title: 'no such task' });
  return reply.header('etag', `"${rows[0].version}"`).send(rows[0]);
});

interface TaskBody {
  title?: string;
  description?: string;
  stateId?: string;
  priority?: string;
  assigneeIds?: string[];
  labelIds?: string[];
}

app.post('/api/v1/projects/:project/tasks', async (request, reply) => {
  const body = request.body as TaskBody;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(
      `WITH project AS (UPDATE projects SET next_number = next_number + 1 WHERE id = $1 RETURNING id, next_number - 1 AS number),
       state AS (SELECT s.id FROM workflow_states s, project WHERE s.project_id = project.id AND s.is_default)
       INSERT INTO tasks (project_id, number, title, description, state_id, priority, position)
       SELECT project.id, project.number, $2, $3, state.id, $4,
         (SELECT coalesce(max(position), 0) + 1024 FROM tasks WHERE state_id = state.id)
       FROM project, state RETURNING id, number, version`,
      [
        await projectId((request.params as { project: string }).project),
        body.title,
        body.description ?? '',
        body.priority,
      ],
    );
    const task = rows[0] as { id: string; number: number; version: number };
    await client.query('INSERT INTO task_assignees (task_id, user_id) SELECT $1, unnest($2::uuid[])', [
      task.id,
      body.assigneeIds ?? [],
    ]);
    await client.query('INSERT INTO task_labels (task_id, label_id) SELECT $1, unnest($2::uuid[])', [
      task.id,
      body.labelIds ?? [],
    ]);
    await client.query('COMMIT');
    const key = `${(request.params as { project: string }).project.toUpperCase()}-${task.number}`;
    return reply
      .status(201)
      .header('etag', `"${task.version}"`)
      .send({ ...task, key });
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
});

app.patch('/api/v1/tasks/:task', async (request, reply) => {
  const body = request.body as TaskBody;
  const version = Number(/\d+/.exec(String(request.headers['if-match']))?.[0]);
  const { rows } = await pool.query(
    `UPDATE tasks t SET state_id = coalesce($3, t.state_id), priority = coalesce($4, t.priority),
       version = t.version + 1, updated_at = now(),
       completed_at = CASE WHEN (SELECT state_group FROM workflow_states WHERE id = coalesce($3, t.state_id)) = 'completed'
         THEN coalesce(t.completed_at, now()) END
     WHERE ${byKey} AND t.version = $5 RETURNING t.*`,
    [
      ...(await keyParams((request.params as { task: string }).task)),
      body.stateId ?? null,
      body.priority ?? null,
      version,
    ],
  );
  if (!rows[0]) return reply.status(412).send({ title: 'changed meanwhile' });
  return reply.header('etag', `"${rows[0].version}"`).send(rows[0]);
});

app.post('/api/v1/tasks/:task/comments', async (request, reply) => {
  const { rows } = await pool.query(
    `INSERT INTO comments (task_id, body) SELECT t.id, $3 FROM tasks t WHERE ${byKey} RETURNING *`,
    [...(await keyParams((request.params as { task: string }).task)), (request.body as { body: string }).body],
  );
  if (!rows[0]) return reply.status(404).send({ title: 'no such task' });
  return reply.status(201).send(rows[0]);
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.stdout.write('is running\n');
process.once('SIGTERM', () => void app.close().then(() => pool.end().then(() => process.exit(0))));
