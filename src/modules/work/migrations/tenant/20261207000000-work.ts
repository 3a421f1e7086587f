import { sql, type Kysely } from 'kysely';

/**
 * The work a workspace tracks: projects with their members, workflow states and transition
 * rules, labels and custom fields; tasks (numbered per project: OPS-42) with assignees, labels,
 * relations and field values; comments; the activity history of every change; the events a
 * project's live stream replays to a client that reconnects; and the Idempotency-Key store.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Trusted since PostgreSQL 13: the workspace's own role, owner of its database, may create it.
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);

  await sql`
    CREATE TABLE projects (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      key text NOT NULL UNIQUE CHECK (key ~ '^[A-Z][A-Z0-9]{1,9}$'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      description text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
      next_number integer NOT NULL DEFAULT 1,
      version integer NOT NULL DEFAULT 1,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      archived_at timestamptz
    )`.execute(db);

  await sql`
    CREATE TABLE project_members (
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      role text NOT NULL CHECK (role IN ('lead', 'member', 'viewer')),
      added_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (project_id, user_id)
    )`.execute(db);
  await sql`CREATE INDEX project_members_user ON project_members (user_id)`.execute(db);

  await sql`
    CREATE TABLE workflow_states (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
      state_group text NOT NULL CHECK (state_group IN ('backlog', 'unstarted', 'started', 'completed', 'cancelled')),
      position integer NOT NULL,
      color text NOT NULL DEFAULT '#8a8f98' CHECK (color ~ '^#[0-9a-f]{6}$'),
      is_default boolean NOT NULL DEFAULT false,
      UNIQUE (project_id, name)
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX workflow_states_one_default ON workflow_states (project_id) WHERE is_default`.execute(
    db,
  );

  // A state with rules allows moves only to the states its rules name (for the roles they name, or anyone).
  await sql`
    CREATE TABLE transition_rules (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      from_state_id uuid NOT NULL REFERENCES workflow_states (id) ON DELETE CASCADE,
      to_state_id uuid NOT NULL REFERENCES workflow_states (id) ON DELETE CASCADE,
      roles text[] CHECK (roles <@ ARRAY['lead', 'member']::text[]),
      UNIQUE (from_state_id, to_state_id)
    )`.execute(db);

  await sql`
    CREATE TABLE labels (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
      color text NOT NULL DEFAULT '#8a8f98' CHECK (color ~ '^#[0-9a-f]{6}$'),
      UNIQUE (project_id, name)
    )`.execute(db);

  await sql`
    CREATE TABLE custom_fields (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
      kind text NOT NULL CHECK (kind IN ('text', 'number', 'date', 'select', 'multi_select', 'user')),
      options jsonb NOT NULL DEFAULT '[]',
      required boolean NOT NULL DEFAULT false,
      position integer NOT NULL,
      UNIQUE (project_id, name)
    )`.execute(db);

  await sql`
    CREATE TABLE tasks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      number integer NOT NULL,
      title text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
      description text NOT NULL DEFAULT '' CHECK (length(description) <= 100000),
      state_id uuid NOT NULL REFERENCES workflow_states (id),
      priority text NOT NULL DEFAULT 'none' CHECK (priority IN ('none', 'low', 'medium', 'high', 'urgent')),
      start_date date,
      due_date date CHECK (due_date IS NULL OR start_date IS NULL OR due_date >= start_date),
      estimate numeric(8, 2) CHECK (estimate IS NULL OR estimate >= 0),
      parent_id uuid REFERENCES tasks (id) ON DELETE SET NULL,
      position double precision NOT NULL,
      fields jsonb NOT NULL DEFAULT '{}',
      version integer NOT NULL DEFAULT 1,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz,
      search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('english', description), 'B')
      ) STORED,
      UNIQUE (project_id, number),
      CHECK (parent_id IS DISTINCT FROM id)
    )`.execute(db);
  await sql`CREATE INDEX tasks_board ON tasks (project_id, state_id, position)`.execute(db);
  await sql`CREATE INDEX tasks_updated ON tasks (project_id, updated_at DESC, id)`.execute(db);
  await sql`CREATE INDEX tasks_parent ON tasks (parent_id) WHERE parent_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX tasks_due ON tasks (due_date) WHERE due_date IS NOT NULL`.execute(db);
  await sql`CREATE INDEX tasks_search ON tasks USING gin (search)`.execute(db);
  await sql`CREATE INDEX tasks_title_trgm ON tasks USING gin (title gin_trgm_ops)`.execute(db);
  await sql`CREATE INDEX tasks_fields ON tasks USING gin (fields jsonb_path_ops)`.execute(db);

  await sql`
    CREATE TABLE task_assignees (
      task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      PRIMARY KEY (task_id, user_id)
    )`.execute(db);
  await sql`CREATE INDEX task_assignees_user ON task_assignees (user_id)`.execute(db);

  await sql`
    CREATE TABLE task_labels (
      task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      label_id uuid NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
      PRIMARY KEY (task_id, label_id)
    )`.execute(db);
  await sql`CREATE INDEX task_labels_label ON task_labels (label_id)`.execute(db);

  // "blocks" reads from task to related: task blocks related. The others are symmetric, kept once.
  await sql`
    CREATE TABLE task_relations (
      task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      related_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('blocks', 'relates_to', 'duplicates')),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (task_id, related_id, kind),
      CHECK (task_id <> related_id)
    )`.execute(db);
  await sql`CREATE INDEX task_relations_related ON task_relations (related_id)`.execute(db);

  await sql`
    CREATE TABLE task_watchers (
      task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      PRIMARY KEY (task_id, user_id)
    )`.execute(db);

  await sql`
    CREATE TABLE comments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
      author_id uuid REFERENCES users (id) ON DELETE SET NULL,
      body text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      search tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED
    )`.execute(db);
  await sql`CREATE INDEX comments_task ON comments (task_id, created_at)`.execute(db);
  await sql`CREATE INDEX comments_search ON comments USING gin (search)`.execute(db);

  // What changed, by whom, when: one row per field of a change. Never updated.
  await sql`
    CREATE TABLE activity (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      task_id uuid REFERENCES tasks (id) ON DELETE CASCADE,
      actor text NOT NULL,
      actor_id uuid,
      at timestamptz NOT NULL DEFAULT now(),
      field text NOT NULL,
      before jsonb,
      after jsonb
    )`.execute(db);
  await sql`CREATE INDEX activity_task ON activity (task_id, id)`.execute(db);
  await sql`CREATE INDEX activity_project ON activity (project_id, id)`.execute(db);

  // What a project's live stream sent: a client reconnecting with Last-Event-ID gets what it missed.
  await sql`
    CREATE TABLE work_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      at timestamptz NOT NULL DEFAULT now(),
      kind text NOT NULL,
      data jsonb NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX work_events_project ON work_events (project_id, id)`.execute(db);

  await sql`
    CREATE TABLE idempotency_keys (
      actor text NOT NULL,
      key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
      fingerprint text NOT NULL,
      status integer,
      body jsonb,
      headers jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (actor, key)
    )`.execute(db);
  await sql`CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)`.execute(db);
}
