import { api } from '../../api';
import type { DigestFrequency, Notification, NotificationPage } from '../types';

/** A page of one's notifications, newest first: only the unread ones, or all; `cursor` continues a page. */
export function notificationPage(options: {
  unread: boolean;
  limit: number;
  cursor?: string | null;
}): Promise<NotificationPage> {
  const params = new URLSearchParams({ unread: String(options.unread), limit: String(options.limit) });
  if (options.cursor) params.set('cursor', options.cursor);
  return api<NotificationPage>('GET', `/notifications?${params}`);
}

/** Marks the notifications given (or all) read; resolves to how many stay unread. */
export async function markRead(which: { ids: string[] } | { all: true }): Promise<number> {
  return (await api<{ unreadCount: number }>('POST', '/notifications/read', which)).unreadCount;
}

export async function digestFrequency(): Promise<DigestFrequency> {
  return (await api<{ emailDigest: DigestFrequency }>('GET', '/notifications/settings')).emailDigest;
}

export async function setDigestFrequency(emailDigest: DigestFrequency): Promise<DigestFrequency> {
  return (await api<{ emailDigest: DigestFrequency }>('PUT', '/notifications/settings', { emailDigest })).emailDigest;
}

/** The page of the task a notification is about: its project's key is its key's part before the dash. */
export function taskPathOf(notification: Notification): string | undefined {
  const key = notification.task?.key;
  if (!key || !key.includes('-')) return undefined;
  return `/projects/${encodeURIComponent(key.slice(0, key.lastIndexOf('-')))}/tasks/${encodeURIComponent(key)}`;
}
