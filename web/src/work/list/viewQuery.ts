import { groupWords, priorityWords, day } from '../format';
import type { Priority, ProjectDetail, SavedView, StateGroup, ViewQuery } from '../types';

export const sortWords = {
  updated: 'Recently updated',
  created: 'Recently created',
  priority: 'Priority',
  due: 'Due date',
  key: 'Key',
  board: 'Board order',
} as const;

/** The sort asked for; by default the best matches first when searching, the latest changed otherwise. */
export const sortOf = (params: URLSearchParams): string =>
  params.get('sort') ?? (params.get('q') ? 'relevance' : 'updated');

/** The task list's query parameters a saved view keeps (the list's filters and sort); `field` repeats. */
export const viewKeys = [
  'state',
  'group',
  'assignee',
  'label',
  'priority',
  'dueBefore',
  'dueAfter',
  'field',
  'q',
  'sort',
] as const;

/** The address parameter naming the saved view the list was opened with. */
export const viewParam = 'view';

/** The filters and sort of the list's address, as a view keeps them (only those set). */
export function queryOf(params: URLSearchParams): ViewQuery {
  const query: ViewQuery = {};
  for (const key of viewKeys) {
    const values = params.getAll(key).filter(Boolean);
    if (values.length === 0) continue;
    query[key] = key === 'field' && values.length > 1 ? values : values[0]!;
  }
  return query;
}

/** Whether the address has any filter or sort of its own. */
export const hasFilters = (params: URLSearchParams): boolean => Object.keys(queryOf(params)).length > 0;

const valuesOf = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : (Array.isArray(value) ? value : [value]).slice().sort();

/** Whether two queries ask for the same tasks in the same order. */
export function sameQuery(a: ViewQuery, b: ViewQuery): boolean {
  return viewKeys.every((key) => valuesOf(a[key]).join('\n') === valuesOf(b[key]).join('\n'));
}

/** The list's address for a saved view: its filters, and its id (so the bar marks it). */
export function searchOf(view: SavedView): string {
  const params = new URLSearchParams();
  for (const key of viewKeys) for (const value of valuesOf(view.query[key])) params.append(key, value);
  params.set(viewParam, view.id);
  return `?${params}`;
}

/** A query in words, for the save form and a view's tooltip: "Started · Assigned to me · Sorted by priority". */
export function describeQuery(query: ViewQuery, project: ProjectDetail): string {
  // Lists of ids and codes are comma-separated, as the list takes them; words and field filters are whole.
  const one = (key: string) =>
    valuesOf(query[key]).flatMap((value) => (key === 'q' || key === 'field' ? [value] : value.split(',')));
  const list = (key: string, word: (value: string) => string) => one(key).map(word).join(' or ');
  const member = (id: string) => project.members.find((each) => each.userId === id)?.name ?? 'someone';
  const parts = [
    list('group', (group) => groupWords[group as StateGroup] ?? group),
    list('state', (id) => project.states.find((state) => state.id === id)?.name ?? 'a removed state'),
    list('assignee', (who) =>
      who === 'me' ? 'Assigned to me' : who === 'none' ? 'Unassigned' : `Assigned to ${member(who)}`,
    ),
    one('label')
      .map((id) => `Labelled ${project.labels.find((label) => label.id === id)?.name ?? 'a removed label'}`)
      .join(', '),
    list('priority', (priority) => `${priorityWords[priority as Priority] ?? priority} priority`),
    one('dueBefore').map((date) => `Due before ${day(date)}`)[0] ?? '',
    one('dueAfter').map((date) => `Due after ${day(date)}`)[0] ?? '',
    one('field').length > 0 ? `${one('field').length} custom field filter${one('field').length > 1 ? 's' : ''}` : '',
    one('q').map((words) => `Matching “${words}”`)[0] ?? '',
    one('sort').map(
      (sort) => `Sorted by ${(sortWords[sort as keyof typeof sortWords] ?? 'best match').toLowerCase()}`,
    )[0] ?? '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : 'All tasks, no filters';
}
