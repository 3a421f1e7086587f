import type { Kysely, Selectable, Transaction } from 'kysely';
import { appError } from '../../platform/errors.js';
import { publish } from './work.activity.js';
import { handleOf } from './work.markdown.js';
import { assertProjectRole, canEditTasks, canManageProject, type WorkActor } from './work.policy.js';
import { assertVersion, isUuid, reachProject, type ProjectAccess } from './work.projects.js';
import type { PersonRef } from './work.task-views.js';
import type { SavedViewsTable, ViewQuery, WorkDatabase } from './work.tables.js';

/** A saved view as the list and the board offer it. */
export interface ViewView {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly shared: boolean;
  readonly layout: 'list' | 'board';
  readonly query: ViewQuery;
  readonly owner: PersonRef | null;
  readonly yours: boolean;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ViewInput {
  readonly name?: string | undefined;
  readonly shared?: boolean | undefined;
  readonly layout?: 'list' | 'board' | undefined;
  readonly query?: ViewQuery | undefined;
}

type Row = Selectable<SavedViewsTable>;
type Tx = Transaction<WorkDatabase>;

const noSuchView = (): Error => appError('NOT_FOUND', 'There is no such saved view in this project.');

/** Saved views are someone's: staff under a support grant and read-only tokens keep none. */
function assertOwnsViews(actor: WorkActor): void {
  if (!actor.userId || actor.readOnly)
    throw appError('FORBIDDEN', 'Saving views needs your own session or a read-write token.');
}

/** Sharing puts a view in front of everyone in the project: a member may, a viewer keeps views for themselves. */
function assertMayShare(access: ProjectAccess): void {
  assertProjectRole(access.role, canEditTasks, 'share views with the project');
}

async function present(db: Kysely<WorkDatabase>, actor: WorkActor, rows: readonly Row[]): Promise<ViewView[]> {
  const owners = [...new Set(rows.map((row) => row.owner_id))];
  const people = owners.length
    ? await db.selectFrom('users').select(['id', 'name', 'email']).where('id', 'in', owners).execute()
    : [];
  const byId = new Map(people.map((row) => [row.id, { id: row.id, name: row.name, handle: handleOf(row.email) }]));
  return rows.map((row) => ({
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    shared: row.shared,
    layout: row.layout,
    query: row.query,
    owner: byId.get(row.owner_id) ?? null,
    yours: row.owner_id === actor.userId,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));
}

/** The project's shared views and the person's own, shared first, by name. */
export async function listViews(db: Kysely<WorkDatabase>, actor: WorkActor, projectId: string): Promise<ViewView[]> {
  const rows = await db
    .selectFrom('saved_views')
    .selectAll()
    .where('project_id', '=', projectId)
    .where((where) => where.or([where('shared', '=', true), where('owner_id', '=', actor.userId || null)]))
    .orderBy('shared', 'desc')
    .orderBy('name')
    .execute();
  return present(db, actor, rows);
}

/** A view the person may see (shared, or theirs), or 404 alike for unknown and someone else's personal one. */
export async function findView(
  db: Kysely<WorkDatabase>,
  actor: WorkActor,
  projectId: string,
  id: string,
  lock = false,
): Promise<Row> {
  if (!isUuid(id)) throw noSuchView();
  let query = db.selectFrom('saved_views').selectAll().where('id', '=', id).where('project_id', '=', projectId);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row || (!row.shared && row.owner_id !== actor.userId)) throw noSuchView();
  return row;
}

const nameTaken = (name: string): Error =>
  appError('ALREADY_EXISTS', `A view named "${name}" exists already here: choose another name.`);

/** Postgres's unique violation on one of the name indexes, as the 409 a person understands. */
async function unlessNameTaken<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw nameTaken(name);
    throw error;
  }
}

export async function createView(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  input: Required<Pick<ViewInput, 'name'>> & ViewInput,
  at: Date,
): Promise<ViewView> {
  assertOwnsViews(actor);
  if (input.shared) assertMayShare(access);
  const row = await unlessNameTaken(input.name, () =>
    tx
      .insertInto('saved_views')
      .values({
        project_id: access.project.id,
        owner_id: actor.userId,
        name: input.name,
        shared: input.shared ?? false,
        layout: input.layout ?? 'list',
        query: JSON.stringify(input.query ?? {}),
        created_at: at,
        updated_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  const [view] = await present(tx, actor, [row]);
  if (row.shared) await publish(tx, access.project.id, 'view.created', { viewId: row.id });
  return view!;
}

/** Its owner changes a view; a shared one its owner or a project lead (who looks after what the project sees). */
function assertMayChange(actor: WorkActor, access: ProjectAccess, row: Row): void {
  assertOwnsViews(actor);
  if (row.owner_id !== actor.userId && !(row.shared && canManageProject(access.role)))
    throw appError('FORBIDDEN', 'Only whoever saved this view, or a project lead for a shared view, may change it.');
}

export async function updateView(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  row: Row,
  input: ViewInput,
  expectedVersion: number,
  at: Date,
): Promise<ViewView> {
  assertMayChange(actor, access, row);
  assertVersion('view', row.version, expectedVersion);
  if (input.shared) assertMayShare(access);
  const name = input.name ?? row.name;
  const updated = await unlessNameTaken(name, () =>
    tx
      .updateTable('saved_views')
      .set({
        name,
        shared: input.shared ?? row.shared,
        layout: input.layout ?? row.layout,
        query: JSON.stringify(input.query ?? row.query),
        version: row.version + 1,
        updated_at: at,
      })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  // Everyone in the project hears of a shared view's change (one that stops being shared, too); a personal one is nobody else's.
  if (row.shared || updated.shared) await publish(tx, access.project.id, 'view.updated', { viewId: row.id });
  return (await present(tx, actor, [updated]))[0]!;
}

export async function deleteView(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  row: Row,
  expectedVersion: number,
): Promise<void> {
  assertMayChange(actor, access, row);
  assertVersion('view', row.version, expectedVersion);
  await tx.deleteFrom('saved_views').where('id', '=', row.id).execute();
  if (row.shared) await publish(tx, access.project.id, 'view.deleted', { viewId: row.id });
}

/** The project and filters of a saved view the person may see, for `GET /tasks?view=`; 404 alike otherwise. */
export async function viewFilters(
  db: Kysely<WorkDatabase>,
  actor: WorkActor,
  id: string,
): Promise<{ projectId: string; query: ViewQuery }> {
  const saved = await db.selectFrom('saved_views').select('project_id').where('id', '=', id).executeTakeFirst();
  if (!saved) throw noSuchView();
  const access = await reachProject(db, actor, saved.project_id).catch(() => {
    throw noSuchView();
  });
  const row = await findView(db, actor, access.project.id, id);
  return { projectId: row.project_id, query: row.query };
}
