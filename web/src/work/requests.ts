import { api, ApiError } from '../api';
import type { Task, TaskPage } from './types';

/** A random UUID; crypto.randomUUID exists only in secure contexts, getRandomValues everywhere. */
export function randomId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The header that makes a write apply only to the version one read (412 otherwise). */
export const ifMatch = (version: number): Record<string, string> => ({ 'if-match': `"${version}"` });

/**
 * Makes something once per action: the key is chosen when the person acts, so a retry of the
 * same request (a lost answer) never makes a second one.
 */
export function create<T>(path: string, body: unknown, key: string = randomId()): Promise<T> {
  return api<T>('POST', path, body, { 'idempotency-key': key });
}

/** Someone else changed it since it was read (412). */
export const isEditConflict = (error: unknown): boolean => error instanceof ApiError && error.status === 412;

/** The workflow refused a move (409 TRANSITION_NOT_ALLOWED); its detail names the allowed states. */
export const isRefusedMove = (error: unknown): error is ApiError =>
  error instanceof ApiError && error.code === 'TRANSITION_NOT_ALLOWED';

/** A page of tasks for a query; `cursor` continues a previous page. */
export function taskPage(query: URLSearchParams, cursor?: string | null): Promise<TaskPage> {
  const params = new URLSearchParams(query);
  if (cursor) params.set('cursor', cursor);
  return api<TaskPage>('GET', `/tasks?${params}`);
}

/** Every task a query finds, page by page (a board shows them all), up to `max`. */
export async function allTasks(query: URLSearchParams, max = 2000): Promise<Task[]> {
  const tasks: Task[] = [];
  let cursor: string | null = null;
  do {
    const page: TaskPage = await taskPage(query, cursor);
    tasks.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && tasks.length < max);
  return tasks;
}
