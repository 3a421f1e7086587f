/** The work API's shapes as the screens use them (see the `work` tag of /api/v1/openapi.json). */

export type ProjectRole = 'lead' | 'member' | 'viewer';
export type StateGroup = 'backlog' | 'unstarted' | 'started' | 'completed' | 'cancelled';
export type Priority = 'none' | 'low' | 'medium' | 'high' | 'urgent';
export type FieldKind = 'text' | 'number' | 'date' | 'select' | 'multi_select' | 'user';
export type RelationKind = 'blocks' | 'blocked_by' | 'relates_to' | 'duplicates';

export const stateGroups: readonly StateGroup[] = ['backlog', 'unstarted', 'started', 'completed', 'cancelled'];
export const priorities: readonly Priority[] = ['urgent', 'high', 'medium', 'low', 'none'];
export const fieldKinds: readonly FieldKind[] = ['text', 'number', 'date', 'select', 'multi_select', 'user'];
export const relationKinds: readonly RelationKind[] = ['blocks', 'blocked_by', 'relates_to', 'duplicates'];

export interface Project {
  id: string;
  key: string;
  name: string;
  description: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  archivedAt: string | null;
  yourRole: ProjectRole;
}

export interface WorkflowState {
  id: string;
  name: string;
  group: StateGroup;
  color: string;
  position: number;
  isDefault: boolean;
}

export interface TransitionRule {
  fromStateId: string;
  toStateId: string;
  /** Project roles allowed the move; null: anyone who may edit tasks. */
  roles: Array<'lead' | 'member'> | null;
}

export interface Label {
  id: string;
  name: string;
  color: string;
}

export interface CustomField {
  id: string;
  name: string;
  kind: FieldKind;
  options: string[];
  required: boolean;
  position: number;
}

export interface ProjectMember {
  userId: string;
  name: string;
  email: string;
  role: ProjectRole;
}

export interface ProjectDetail extends Project {
  states: WorkflowState[];
  rules: TransitionRule[];
  labels: Label[];
  fields: CustomField[];
  members: ProjectMember[];
}

export interface Person {
  id: string;
  name: string;
  handle: string;
}

export interface TaskRef {
  id: string;
  key: string;
  title: string;
  stateGroup: StateGroup;
}

export interface Task {
  id: string;
  key: string;
  number: number;
  projectId: string;
  projectKey: string;
  title: string;
  description: string;
  /** Rendered and sanitised by the server: safe to show as HTML. Only on a task's own answers, not in lists. */
  descriptionHtml?: string;
  state: { id: string; name: string; group: StateGroup; color: string };
  priority: Priority;
  startDate: string | null;
  dueDate: string | null;
  estimate: number | null;
  parent: TaskRef | null;
  assignees: Person[];
  labels: Label[];
  fields: Record<string, unknown>;
  subtaskCount: number;
  commentCount: number;
  position: number;
  createdBy: Person | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  version: number;
}

export interface TaskDetail extends Task {
  subtasks: TaskRef[];
  relations: Array<{ kind: RelationKind; task: TaskRef }>;
}

export interface TaskPage {
  items: Task[];
  nextCursor: string | null;
}

export interface Comment {
  id: string;
  taskId: string;
  author: Person | null;
  body: string;
  /** Rendered and sanitised by the server, mentions as <span class="mention">. */
  bodyHtml: string;
  mentions: Person[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface Activity {
  id: number;
  actor: string;
  at: string;
  field: string;
  before: unknown;
  after: unknown;
}

/** A workspace member, as GET /members lists them (for adding people to a project). */
export interface WorkspaceMember {
  id: string;
  email: string;
  name: string;
  role: 'owner' | 'admin' | 'member' | 'viewer';
}

/** A file on a task (its content has its own address: /tasks/{task}/attachments/{id}). */
export interface Attachment {
  id: string;
  taskId: string;
  name: string;
  /** Read by the server from the content, not from the name. */
  mediaType: string;
  /** Bytes. */
  size: number;
  sha256: string;
  /** A raster image the app may show as a picture; any other file is only downloaded. */
  inline: boolean;
  uploadedBy: Person | null;
  createdAt: string;
}

/** The task list's own query parameters, as a saved view keeps them. */
export type ViewQuery = Record<string, string | string[]>;

/** A saved view: filters and sort, one's own or shared with the project. */
export interface SavedView {
  id: string;
  projectId: string;
  name: string;
  shared: boolean;
  layout: 'list' | 'board';
  query: ViewQuery;
  owner: Person | null;
  /** Saved by the person looking. */
  yours: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What a notification tells of. */
export type NotificationKind = 'assigned' | 'mentioned' | 'state_changed' | 'due_soon';

/** Something that happened to one's work, as the bell and /notifications list it. */
export interface Notification {
  id: string;
  kind: NotificationKind;
  projectId: string;
  /** The task it is about, as it was then; null once the task is gone. */
  task: { id: string; key: string; title: string } | null;
  actor: string | null;
  /** One line a person reads, made by the server (plain text, never markup). */
  summary: string;
  data: Record<string, unknown>;
  createdAt: string;
  readAt: string | null;
}

export interface NotificationPage {
  items: Notification[];
  nextCursor: string | null;
  unreadCount: number;
}

/** How often unread notifications are mailed. */
export type DigestFrequency = 'off' | 'hourly' | 'daily';

export type Frequency = 'daily' | 'weekly' | 'monthly';

/** A task's repeat rule: a copy of the task, due that day, is made on each occurrence. */
export interface Recurrence {
  taskId: string;
  frequency: Frequency;
  every: number;
  /** Weekly only: 0 = Sunday … 6 = Saturday; empty: the start's weekday. */
  weekdays: number[];
  startsOn: string;
  endsOn: string | null;
  /** The next day a copy is made; null once the rule has ended. */
  nextOn: string | null;
  /** The rule in words, from the server: "every 2 weeks on Monday and Thursday, from 2026-12-01". */
  description: string;
}
