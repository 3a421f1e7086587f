import { z } from 'zod';
import { priorities, stateGroups } from './work.tables.js';

/** The work API's shapes: requests checked at the edge, answers serialized by them, and the OpenAPI document made from both. */
const date = z.iso.date('Give a date as YYYY-MM-DD.');
const color = z.string().regex(/^#[0-9a-f]{6}$/, 'Give a colour as #rrggbb, lower case.');
const stateGroup = z.enum(stateGroups);
const priority = z.enum(priorities);
const projectRole = z.enum(['lead', 'member', 'viewer']);
const timestamp = z.iso.datetime();
/** A task's key (OPS-42) or id, as paths take it. */
export const taskRef = z.string().min(1).max(64).describe('The task key (`OPS-42`) or id.');
export const projectRef = z.string().min(1).max(64).describe('The project key (`OPS`) or id.');
const text = (max: number) => z.string().max(max, `At most ${max.toLocaleString('en')} characters.`);
const title = z.string().trim().min(1, 'Give the task a title.').max(500, 'A title has at most 500 characters.');

export const personSchema = z.object({ id: z.uuid(), name: z.string(), handle: z.string() }).meta({ id: 'Person' });
export const taskRefSchema = z
  .object({ id: z.uuid(), key: z.string(), title: z.string(), stateGroup })
  .meta({ id: 'TaskRef' });
export const stateSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    group: stateGroup,
    color: z.string(),
    position: z.number().int(),
    isDefault: z.boolean(),
  })
  .meta({ id: 'WorkflowState' });
export const ruleSchema = z
  .object({
    fromStateId: z.uuid(),
    toStateId: z.uuid(),
    roles: z
      .array(z.enum(['lead', 'member']))
      .nullable()
      .describe('Project roles allowed this move (a lead counts as a member); null: anyone who may edit tasks.'),
  })
  .meta({ id: 'TransitionRule' });
export const labelSchema = z.object({ id: z.uuid(), name: z.string(), color: z.string() }).meta({ id: 'Label' });
export const fieldSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: z.enum(['text', 'number', 'date', 'select', 'multi_select', 'user']),
    options: z.array(z.string()),
    required: z.boolean(),
    position: z.number().int(),
  })
  .meta({ id: 'CustomField' });
export const projectMemberSchema = z
  .object({ userId: z.uuid(), name: z.string(), email: z.string(), role: projectRole })
  .meta({ id: 'ProjectMember' });

export const projectSchema = z
  .object({
    id: z.uuid(),
    key: z.string(),
    name: z.string(),
    description: z.string(),
    version: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
    archivedAt: timestamp.nullable(),
    yourRole: projectRole,
  })
  .meta({ id: 'Project' });
export const projectDetailSchema = projectSchema
  .extend({
    states: z.array(stateSchema),
    rules: z.array(ruleSchema),
    labels: z.array(labelSchema),
    fields: z.array(fieldSchema),
    members: z.array(projectMemberSchema),
  })
  .meta({ id: 'ProjectDetail' });

export const createProjectBody = z.object({
  key: z
    .string()
    .trim()
    .regex(/^[A-Za-z][A-Za-z0-9]{1,9}$/, 'A key is 2 to 10 letters or digits, starting with a letter, e.g. OPS.')
    .describe('Prefix of the project’s task keys (OPS makes OPS-1, OPS-2, ...); stored in upper case.'),
  name: z.string().trim().min(1, 'Give the project a name.').max(200),
  description: text(20000).optional(),
});
export const updateProjectBody = z
  .object({
    name: z.string().trim().min(1, 'A project keeps a name.').max(200).optional(),
    description: text(20000).optional(),
    archived: z
      .boolean()
      .optional()
      .describe('true archives the project (hidden from lists, kept); false restores it.'),
  })
  .strict();

export const stateBody = z
  .object({
    name: z.string().trim().min(1, 'Name the state.').max(60).optional(),
    group: stateGroup.optional(),
    color: color.optional(),
    position: z.number().int().min(0).optional(),
    isDefault: z.boolean().optional().describe('New tasks start here.'),
  })
  .strict();
export const rulesBody = z.object({ rules: z.array(ruleSchema).max(500) });
export const labelBody = z.object({
  name: z.string().trim().min(1, 'Name the label.').max(60),
  color: color.optional(),
});
export const fieldBody = z
  .object({
    name: z.string().trim().min(1, 'Name the field.').max(60).optional(),
    kind: fieldSchema.shape.kind.optional(),
    options: z.array(z.string().trim().min(1).max(100)).max(100).optional(),
    required: z.boolean().optional(),
  })
  .strict();
export const memberBody = z.object({ role: projectRole });

export const taskSchema = z
  .object({
    id: z.uuid(),
    key: z.string(),
    number: z.number().int(),
    projectId: z.uuid(),
    projectKey: z.string(),
    title: z.string(),
    description: z.string().describe('Markdown.'),
    descriptionHtml: z.string().describe('The description rendered and sanitised: safe to show as HTML.'),
    state: z.object({ id: z.uuid(), name: z.string(), group: stateGroup, color: z.string() }),
    priority,
    startDate: z.string().nullable(),
    dueDate: z.string().nullable(),
    estimate: z.number().nullable(),
    parent: taskRefSchema.nullable(),
    assignees: z.array(personSchema),
    labels: z.array(labelSchema),
    fields: z.record(z.string(), z.unknown()).describe('Custom field values by field id.'),
    subtaskCount: z.number().int(),
    commentCount: z.number().int(),
    position: z.number(),
    createdBy: personSchema.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
    completedAt: timestamp.nullable(),
    version: z.number().int().describe('Send it back as `If-Match: "<version>"` to change the task.'),
  })
  .meta({ id: 'Task' });
export const taskDetailSchema = taskSchema
  .extend({
    subtasks: z.array(taskRefSchema),
    relations: z.array(
      z.object({ kind: z.enum(['blocks', 'blocked_by', 'relates_to', 'duplicates']), task: taskRefSchema }),
    ),
  })
  .meta({ id: 'TaskDetail' });

const taskFields = {
  description: text(100000).optional(),
  stateId: z.uuid().optional(),
  priority: priority.optional(),
  startDate: date.nullable().optional(),
  dueDate: date.nullable().optional(),
  estimate: z.number().min(0).max(999999).nullable().optional(),
  parent: taskRef.nullable().optional().describe('The parent task’s key or id, in the same project; null removes it.'),
  assigneeIds: z.array(z.uuid()).max(50).optional(),
  labelIds: z.array(z.uuid()).max(50).optional(),
  fields: z.record(z.uuid(), z.unknown()).optional().describe('Custom field values by field id; null clears one.'),
  position: z.number().finite().optional().describe('Place within its state on the board: smaller is higher.'),
};
const datesInOrder = (body: { startDate?: string | null | undefined; dueDate?: string | null | undefined }) =>
  !body.startDate || !body.dueDate || body.dueDate >= body.startDate;
const datesMessage = { message: 'The due date cannot be before the start date.', path: ['dueDate'] };
export const createTaskBody = z
  .object({ title, ...taskFields })
  .strict()
  .refine(datesInOrder, datesMessage);
export const updateTaskBody = z
  .object({ title: title.optional(), ...taskFields })
  .strict()
  .refine(datesInOrder, datesMessage);

const csv = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .max(4000)
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));
export const taskQuery = z.object({
  project: projectRef.optional().describe('Only this project’s tasks; all the projects you see without it.'),
  state: csv(z.uuid()).optional().describe('State ids, comma-separated.'),
  group: csv(stateGroup).optional().describe('State groups, comma-separated (e.g. `unstarted,started`).'),
  assignee: z.union([z.uuid(), z.enum(['me', 'none'])]).optional(),
  label: csv(z.uuid()).optional().describe('Label ids, comma-separated: tasks with all of them.'),
  priority: csv(priority).optional(),
  dueBefore: date.optional(),
  dueAfter: date.optional(),
  parent: taskRef.optional(),
  field: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe('`<field id>:<value>`, repeatable: tasks whose custom field holds the value.'),
  q: z.string().trim().max(200).optional().describe('Words, part of a word, or a task key.'),
  sort: z.enum(['updated', 'created', 'priority', 'due', 'key', 'board', 'relevance']).default('updated'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
  view: z
    .uuid('Give the saved view id (a UUID).')
    .optional()
    .describe("A saved view: its project, filters and sort apply (this request's only add limit and cursor)."),
});
/** A task in a list: the rendered description is only on a task's own answers. */
export const taskListItemSchema = taskSchema.omit({ descriptionHtml: true }).meta({ id: 'TaskListItem' });
export const taskPageSchema = z
  .object({
    items: z.array(taskListItemSchema),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last.'),
  })
  .meta({ id: 'TaskPage' });

export const relationBody = z.object({
  kind: z.enum(['blocks', 'blocked_by', 'relates_to', 'duplicates']),
  task: taskRef,
});

export const commentSchema = z
  .object({
    id: z.uuid(),
    taskId: z.uuid(),
    author: personSchema.nullable(),
    body: z.string(),
    bodyHtml: z.string().describe('Rendered and sanitised, mentions marked.'),
    mentions: z.array(personSchema),
    version: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Comment' });
export const commentBody = z.object({
  body: z
    .string()
    .trim()
    .min(1, 'Write something.')
    .max(20000, 'A comment has at most 20,000 characters.')
    .describe('Markdown; `@handle` mentions a member (the part of their address before the @).'),
});

export const activitySchema = z
  .object({
    id: z.number().int(),
    actor: z.string(),
    at: timestamp,
    field: z.string(),
    before: z.unknown(),
    after: z.unknown(),
  })
  .meta({ id: 'Activity' });

export const attachmentSchema = z
  .object({
    id: z.uuid(),
    taskId: z.uuid(),
    name: z.string(),
    mediaType: z.string().describe('Read from the content; the file name and the Content-Type sent are not believed.'),
    size: z.number().int().describe('Bytes.'),
    sha256: z.string(),
    inline: z.boolean().describe('A raster image the app may show; any other file is only downloaded.'),
    uploadedBy: personSchema.nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'Attachment' });

/** A saved view's filters: the task list's own query parameters (as text), checked as the list checks them. */
export const viewQuery = z
  .object({
    state: z.string().max(4000).optional(),
    group: z.string().max(200).optional(),
    assignee: z.string().max(64).optional(),
    label: z.string().max(4000).optional(),
    priority: z.string().max(200).optional(),
    dueBefore: z.string().max(10).optional(),
    dueAfter: z.string().max(10).optional(),
    field: z.union([z.string().max(1000), z.array(z.string().max(1000)).max(20)]).optional(),
    q: z.string().max(200).optional(),
    sort: z.string().max(20).optional(),
  })
  .strict()
  .superRefine((value, context) => {
    const checked = taskQuery.omit({ view: true }).safeParse(value);
    if (!checked.success)
      for (const issue of checked.error.issues)
        context.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  })
  .describe('Filters and sort, as `GET /tasks` takes them (e.g. `{"group": "started", "assignee": "me"}`).');

const viewName = z.string().trim().min(1, 'Give the view a name.').max(100, 'A view name has at most 100 characters.');
const layout = z.enum(['list', 'board']);

export const viewSchema = z
  .object({
    id: z.uuid(),
    projectId: z.uuid(),
    name: z.string(),
    shared: z.boolean().describe('Shared with everyone in the project; otherwise only its owner sees it.'),
    layout,
    query: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
    owner: personSchema.nullable(),
    yours: z.boolean(),
    version: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'SavedView' });

export const createViewBody = z.object({
  name: viewName,
  shared: z.boolean().default(false),
  layout: layout.default('list'),
  query: viewQuery.default({}),
});
export const updateViewBody = z
  .object({
    name: viewName.optional(),
    shared: z.boolean().optional(),
    layout: layout.optional(),
    query: viewQuery.optional(),
  })
  .strict();

const digestFrequency = z
  .enum(['off', 'hourly', 'daily'])
  .describe('How often unread notifications are mailed: never, each hour, or once a day.');

export const notificationSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(['assigned', 'mentioned', 'state_changed', 'due_soon']),
    projectId: z.uuid(),
    task: z.object({ id: z.uuid(), key: z.string(), title: z.string() }).nullable(),
    actor: z.string().nullable(),
    summary: z.string().describe('One line a person reads.'),
    data: z.record(z.string(), z.unknown()),
    createdAt: timestamp,
    readAt: timestamp.nullable(),
  })
  .meta({ id: 'Notification' });
export const notificationPageSchema = z
  .object({
    items: z.array(notificationSchema),
    nextCursor: z.string().nullable(),
    unreadCount: z.number().int(),
  })
  .meta({ id: 'NotificationPage' });
export const notificationQuery = z.object({
  unread: z.enum(['true', 'false']).default('false'),
  limit: z.coerce.number().int().min(1).max(100).default(30),
  cursor: z.string().max(200).optional(),
});
export const markReadBody = z
  .object({
    ids: z.array(z.uuid()).max(500).optional(),
    all: z.boolean().optional(),
  })
  .strict();
export const notificationSettingsSchema = z.object({ emailDigest: digestFrequency });

export const recurrenceSchema = z
  .object({
    taskId: z.uuid(),
    frequency: z.enum(['daily', 'weekly', 'monthly']),
    every: z.number().int(),
    weekdays: z.array(z.number().int()),
    startsOn: z.string(),
    endsOn: z.string().nullable(),
    nextOn: z.string().nullable().describe('The next day a copy of the task is made, due that day; null once ended.'),
    description: z.string().describe('The rule in words: "every 2 weeks on Monday and Thursday, from 2026-12-01".'),
  })
  .meta({ id: 'Recurrence' });
export const recurrenceBody = z.object({
  frequency: z.enum(['daily', 'weekly', 'monthly']),
  every: z.number().int().min(1, 'Repeat at least every 1.').max(365, 'Repeat at most every 365.').default(1),
  weekdays: z
    .array(z.number().int().min(0).max(6))
    .max(7)
    .default([])
    .describe('Weekly only: 0 = Sunday … 6 = Saturday; empty: the weekday of the start.'),
  startsOn: date.optional().describe('The first day it may occur; today without it.'),
  endsOn: date.nullable().optional().describe('The last day it may occur; without it, it repeats until stopped.'),
});
