import { day, priorityWords } from '../format';
import type { Activity, CustomField, Priority, ProjectMember, TaskDetail } from '../types';
import { relationWords } from './Relations';

/** What a change's sentence needs beyond the entry: names of fields, people and related tasks. */
export interface ActivityContext {
  fields: CustomField[];
  members: ProjectMember[];
  task: TaskDetail;
}

const quoted = (value: unknown) => `“${String(value)}”`;
const names = (list: unknown): string[] => (Array.isArray(list) ? list.map(String) : []);
const andList = (items: string[]) =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

/** "set the due date to Jun 3", "changed the due date from Jun 3 to Jun 5", "removed the due date". */
function changed(what: string, before: unknown, after: unknown, show: (value: unknown) => string): string {
  const was = before !== null && before !== undefined && before !== '';
  const is = after !== null && after !== undefined && after !== '';
  if (was && is) return `changed ${what} from ${show(before)} to ${show(after)}`;
  if (is) return `set ${what} to ${show(after)}`;
  return `removed ${what}${was ? ` (was ${show(before)})` : ''}`;
}

/** Added and removed items of a list: "assigned Max and Ada, unassigned Sam". */
function listChange(before: unknown, after: unknown, added: string, removed: string): string {
  const was = names(before);
  const is = names(after);
  const plus = is.filter((name) => !was.includes(name));
  const minus = was.filter((name) => !is.includes(name));
  return [plus.length ? `${added} ${andList(plus)}` : '', minus.length ? `${removed} ${andList(minus)}` : '']
    .filter(Boolean)
    .join(', and ');
}

/** A custom field's value as a person reads it (people by name, lists joined). */
function fieldValue(field: CustomField | undefined, value: unknown, members: ProjectMember[]): string {
  const one = (item: unknown) =>
    field?.kind === 'user'
      ? (members.find((member) => member.userId === item)?.name ?? 'someone')
      : field?.kind === 'date'
        ? day(String(item))
        : String(item);
  return Array.isArray(value) ? value.map(one).join(', ') : one(value);
}

function fieldsChange(before: unknown, after: unknown, context: ActivityContext): string {
  const was = (before ?? {}) as Record<string, unknown>;
  const is = (after ?? {}) as Record<string, unknown>;
  const ids = [...new Set([...Object.keys(was), ...Object.keys(is)])].filter(
    (id) => JSON.stringify(was[id] ?? null) !== JSON.stringify(is[id] ?? null),
  );
  return ids
    .map((id) => {
      const field = context.fields.find((each) => each.id === id);
      return changed(field?.name ?? 'a removed field', was[id] ?? null, is[id] ?? null, (value) =>
        fieldValue(field, value, context.members),
      );
    })
    .join(', and ');
}

/** The words after the actor's name for one entry of a task's history. */
export function activityWords(entry: Activity, context: ActivityContext): string {
  const { before, after } = entry;
  switch (entry.field) {
    case 'created':
      return 'created the task';
    case 'title':
      return `renamed the task from ${quoted(before)} to ${quoted(after)}`;
    case 'description':
      return after ? (before ? 'edited the description' : 'added a description') : 'removed the description';
    case 'state':
      return before ? `changed state from ${before} to ${after}` : `set the state to ${after}`;
    case 'priority':
      return `changed priority from ${priorityWords[before as Priority] ?? before} to ${priorityWords[after as Priority] ?? after}`;
    case 'startDate':
      return changed('the start date', before, after, (value) => day(String(value)));
    case 'dueDate':
      return changed('the due date', before, after, (value) => day(String(value)));
    case 'estimate':
      return changed('the estimate', before, after, String);
    case 'parent':
      return changed('the parent', before, after, String);
    case 'assignees':
      return listChange(before, after, 'assigned', 'unassigned');
    case 'labels':
      return listChange(before, after, 'added the label', 'removed the label');
    case 'fields':
      return fieldsChange(before, after, context);
    case 'comment':
      return 'commented';
    case 'comment.edited':
      return 'edited a comment';
    case 'comment.deleted':
      return 'deleted a comment';
    case 'attachment':
      return after ? `attached ${quoted(after)}` : `removed the attachment ${quoted(before)}`;
    case 'recurrence':
      return after
        ? `${before ? 'changed the task to repeat' : 'made the task repeat'} ${String(after)}`
        : 'stopped the task repeating';
  }
  if (entry.field.startsWith('relation.')) {
    const kind = entry.field.slice('relation.'.length) as keyof typeof relationWords;
    const otherId = after ?? before;
    const other = context.task.relations.find((relation) => relation.task.id === otherId)?.task.key ?? 'another task';
    const words = (relationWords[kind] ?? kind).toLowerCase();
    return after ? `marked this task: ${words} ${other}` : `removed “${words} ${other}”`;
  }
  return `changed ${entry.field}`;
}
