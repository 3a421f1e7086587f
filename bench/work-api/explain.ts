import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { listTasks, type TaskFilters, type TaskSort } from '../../src/modules/work/work.task-list.js';
import type { WorkDatabase } from '../../src/modules/work/work.tables.js';
import type { WorkActor } from '../../src/modules/work/work.policy.js';
import { round } from '../lib.js';
import type { SeedProject } from './seed.js';

interface Logged {
  sql: string;
  parameters: readonly unknown[];
  ms: number;
}

/**
 * Where a list's time goes (WORK_BENCH_EXPLAIN=1): each of the mix's lists and searches run
 * twice through the list's own code on the seeded database, every query timed, and the plan of
 * any query over 10 ms printed with EXPLAIN (ANALYZE, BUFFERS).
 */
export async function explainLists(
  target: pg.ClientConfig,
  projects: readonly SeedProject[],
  userIds: readonly string[],
  terms: readonly string[],
  print: (line: string) => void,
): Promise<void> {
  const logged: Logged[] = [];
  const pool = new pg.Pool({ ...target, max: 1 });
  const db = new Kysely<WorkDatabase>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query')
        logged.push({
          sql: event.query.sql,
          parameters: event.query.parameters,
          ms: round(event.queryDurationMillis, 1),
        });
    },
  });
  const [project] = projects;
  // As the bench's token holder, the workspace's owner, sees them.
  const owner: WorkActor = { userId: userIds[0]!, name: 'Ada Lovelace', workspaceRole: 'owner', readOnly: false };
  const base = { projects: { actor: owner, ref: project!.id } };
  const cases: Array<[string, TaskFilters, TaskSort, number]> = [
    ['project', base, 'updated', 50],
    ['group, by priority', { ...base, groups: ['unstarted', 'started'] }, 'priority', 50],
    ['assignee, by due', { ...base, assignee: userIds[1] }, 'due', 50],
    ['label, by created', { ...base, labelIds: [project!.labelIds[0]!] }, 'created', 50],
    ['state, by board', { ...base, stateIds: [project!.states[1]!.id] }, 'board', 50],
    [
      'priority and group, by key',
      { ...base, priorities: ['high', 'urgent'], groups: ['backlog', 'unstarted'] },
      'key',
      50,
    ],
    ...terms.map(
      (q) =>
        [`search "${q}"`, { projects: { actor: owner }, q }, 'relevance', 25] as [
          string,
          TaskFilters,
          TaskSort,
          number,
        ],
    ),
  ];
  try {
    // Twice: the first pass finds caches cold (Postgres's buffers, rendered Markdown), the second as a busy server has them.
    for (const [name, filters, sort, limit] of [
      ...cases,
      ...cases.map(([n, ...rest]) => [`${n} (again)`, ...rest] as const),
    ]) {
      logged.length = 0;
      const started = performance.now();
      await listTasks(db, filters, sort, limit, undefined);
      print(
        `explain: ${name}: ${round(performance.now() - started, 1)} ms in ${logged.length} queries (${logged.map((q) => q.ms).join(', ')})`,
      );
      for (const query of logged.filter((q) => q.ms > 10)) {
        const { rows } = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${query.sql}`, [...query.parameters]);
        print(`  ${query.sql.replace(/\s+/g, ' ').slice(0, 400)}`);
        for (const row of rows as Array<{ 'QUERY PLAN': string }>) print(`    ${row['QUERY PLAN']}`);
      }
    }
  } finally {
    await db.destroy();
  }
}
