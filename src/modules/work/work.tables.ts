import type { ColumnType, Generated } from 'kysely';
import type { NullableTimestamp, TenantTables, Timestamp } from '../../platform/db/schema.js';

/** Types of the tables work's tenant migrations make; reached with `db.withTables<WorkTables>()`. */
export const stateGroups = ['backlog', 'unstarted', 'started', 'completed', 'cancelled'] as const;
export type StateGroup = (typeof stateGroups)[number];
export type ProjectRole = 'lead' | 'member' | 'viewer';
export const priorities = ['none', 'low', 'medium', 'high', 'urgent'] as const;
export type Priority = (typeof priorities)[number];
export type RelationKind = 'blocks' | 'relates_to' | 'duplicates';
export type FieldKind = 'text' | 'number' | 'date' | 'select' | 'multi_select' | 'user';

type Version = ColumnType<number, number | undefined, number>;
type JsonValue = ColumnType<unknown, string, string>;

export interface ProjectsTable {
  id: Generated<string>;
  key: string;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  next_number: ColumnType<number, number | undefined, number>;
  version: Version;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  archived_at: NullableTimestamp;
}

export interface ProjectMembersTable {
  project_id: string;
  user_id: string;
  role: ProjectRole;
  added_at: Timestamp;
}

export interface WorkflowStatesTable {
  id: Generated<string>;
  project_id: string;
  name: string;
  state_group: StateGroup;
  position: number;
  color: ColumnType<string, string | undefined, string>;
  is_default: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface TransitionRulesTable {
  id: Generated<string>;
  project_id: string;
  from_state_id: string;
  to_state_id: string;
  /** Project roles allowed this move; null: anyone who may edit the task. */
  roles: Array<'lead' | 'member'> | null;
}

export interface LabelsTable {
  id: Generated<string>;
  project_id: string;
  name: string;
  color: ColumnType<string, string | undefined, string>;
}

export interface CustomFieldsTable {
  id: Generated<string>;
  project_id: string;
  name: string;
  kind: FieldKind;
  /** The choices of a select field, in order. */
  options: ColumnType<string[], string | undefined, string>;
  required: ColumnType<boolean, boolean | undefined, boolean>;
  position: number;
}

export interface TasksTable {
  id: Generated<string>;
  project_id: string;
  number: number;
  title: string;
  description: ColumnType<string, string | undefined, string>;
  state_id: string;
  priority: ColumnType<Priority, Priority | undefined, Priority>;
  /** YYYY-MM-DD (platform/db/connect.ts reads dates as text). */
  start_date: string | null;
  due_date: string | null;
  /** numeric, read as text. */
  estimate: ColumnType<string | null, number | null | undefined, number | null>;
  parent_id: string | null;
  position: number;
  /** Custom field values by field id. */
  fields: ColumnType<Record<string, unknown>, string | undefined, string>;
  version: Version;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  completed_at: NullableTimestamp;
}

export interface TaskAssigneesTable {
  task_id: string;
  user_id: string;
}

export interface TaskLabelsTable {
  task_id: string;
  label_id: string;
}

export interface TaskRelationsTable {
  task_id: string;
  related_id: string;
  kind: RelationKind;
  created_at: Generated<Date>;
}

export interface TaskWatchersTable {
  task_id: string;
  user_id: string;
}

export interface CommentsTable {
  id: Generated<string>;
  task_id: string;
  author_id: string | null;
  body: string;
  version: Version;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AttachmentsTable {
  id: Generated<string>;
  task_id: string;
  name: string;
  media_type: string;
  size: number;
  sha256: string;
  content: Buffer;
  uploaded_by: string | null;
  created_at: Timestamp;
}

export interface SavedViewsTable {
  id: Generated<string>;
  project_id: string;
  owner_id: string;
  name: string;
  shared: boolean;
  layout: 'list' | 'board';
  query: ColumnType<ViewQuery, string, string>;
  version: Version;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A saved view's filters, as the task list's query parameters. */
export type ViewQuery = Record<string, string | string[]>;

export type NotificationKind = 'assigned' | 'mentioned' | 'state_changed' | 'due_soon';
export type DigestFrequency = 'off' | 'hourly' | 'daily';

export interface NotificationsTable {
  id: Generated<string>;
  /** int8, read as a number. */
  seq: ColumnType<number, never, never>;
  user_id: string;
  project_id: string;
  task_id: string | null;
  kind: NotificationKind;
  actor: string | null;
  data: ColumnType<Record<string, unknown>, string, never>;
  dedupe: string | null;
  created_at: Timestamp;
  read_at: NullableTimestamp;
  emailed_at: NullableTimestamp;
}

export interface NotificationSettingsTable {
  user_id: string;
  email_digest: ColumnType<DigestFrequency, DigestFrequency | undefined, DigestFrequency>;
  last_digest_at: NullableTimestamp;
}

export type Frequency = 'daily' | 'weekly' | 'monthly';

export interface TaskRecurrencesTable {
  task_id: string;
  project_id: string;
  frequency: Frequency;
  every: number;
  weekdays: number[];
  /** date columns are read as YYYY-MM-DD text (platform/db/connect.ts). */
  starts_on: string;
  ends_on: string | null;
  next_on: string | null;
  version: Version;
  created_by: string | null;
  updated_at: Timestamp;
}

export interface TaskOccurrencesTable {
  recurrence_task_id: string;
  occurs_on: string;
  made_task_id: string | null;
  made_at: Timestamp;
}

export interface ActivityTable {
  /** int8, read as a number (platform/db/connect.ts parses int8 so). */
  id: ColumnType<number, never, never>;
  project_id: string;
  task_id: string | null;
  actor: string;
  actor_id: string | null;
  at: Timestamp;
  field: string;
  before: JsonValue;
  after: JsonValue;
}

export interface WorkEventsTable {
  id: ColumnType<number, never, never>;
  project_id: string;
  at: Timestamp;
  kind: string;
  data: ColumnType<Record<string, unknown>, string, never>;
}

export interface IdempotencyKeysTable {
  actor: string;
  key: string;
  fingerprint: string;
  status: number | null;
  body: ColumnType<unknown, string | null | undefined, string | null>;
  headers: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  expires_at: Timestamp;
}

/** Identity's accounts, as work reads them (names and who is active); identity writes them. */
export interface WorkUsersView {
  id: string;
  email: string;
  name: string;
  role: string;
  disabled_at: NullableTimestamp;
}

// A type, not an interface: Kysely's withTables wants a record type.
export type WorkTables = {
  projects: ProjectsTable;
  project_members: ProjectMembersTable;
  workflow_states: WorkflowStatesTable;
  transition_rules: TransitionRulesTable;
  labels: LabelsTable;
  custom_fields: CustomFieldsTable;
  tasks: TasksTable;
  task_assignees: TaskAssigneesTable;
  task_labels: TaskLabelsTable;
  task_relations: TaskRelationsTable;
  task_watchers: TaskWatchersTable;
  comments: CommentsTable;
  attachments: AttachmentsTable;
  saved_views: SavedViewsTable;
  notifications: NotificationsTable;
  notification_settings: NotificationSettingsTable;
  task_recurrences: TaskRecurrencesTable;
  task_occurrences: TaskOccurrencesTable;
  activity: ActivityTable;
  work_events: WorkEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  users: WorkUsersView;
};

/** A workspace's database as work sees it. */
export type WorkDatabase = TenantTables & WorkTables;
