import { useCallback, useEffect, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ErrorAlert } from '../../ui/Field';
import { Shell } from '../../ui/Shell';
import { useAction } from '../../ui/useAction';
import { Loading } from '../bits';
import { LoadMore, useCursorPages } from '../pages';
import type { Notification } from '../types';
import { NotificationItem } from './NotificationItem';
import { useNotifications } from './NotificationsProvider';
import { notificationPage } from './requests';

const pageSize = 30;

/**
 * All one's notifications (/notifications, where the digest mail links): the unread ones or all,
 * newest first, a page at a time; each opens its task and is marked read, or is marked read here.
 */
export function NotificationsPage() {
  const [params] = useSearchParams();
  const all = params.get('show') === 'all';
  const { unread, changes, markRead } = useNotifications();
  const { error, busy, run } = useAction();
  const fetchPage = useCallback(
    (after?: string | null) => notificationPage({ unread: !all, limit: pageSize, cursor: after }),
    [all],
  );
  const { items, setItems, cursor, pages, load } = useCursorPages<Notification>(run, fetchPage);
  useEffect(() => {
    setItems(undefined);
    void load();
  }, [load]);
  // A new notification (or one read elsewhere) shows at once, unless one has paged on.
  const paged = useRef(false);
  paged.current = pages > 1;
  const seen = useRef(changes);
  useEffect(() => {
    if (seen.current === changes) return;
    seen.current = changes;
    if (!paged.current) void load();
  }, [changes, load]);

  const readHere = (notification: Notification) =>
    void run(async () => {
      await markRead({ ids: [notification.id] });
      const at = new Date().toISOString();
      setItems((shown) =>
        all
          ? shown?.map((item) => (item.id === notification.id ? { ...item, readAt: at } : item))
          : shown?.filter((item) => item.id !== notification.id),
      );
    });
  const opened = (notification: Notification) => {
    if (notification.readAt === null) void markRead({ ids: [notification.id] }).catch(() => undefined);
  };

  return (
    <Shell>
      <div className="section-head">
        <h1>Notifications</h1>
        <button
          type="button"
          className="secondary small"
          disabled={busy || !unread}
          onClick={() => void run(() => markRead({ all: true }))}
        >
          Mark all read
        </button>
      </div>
      <nav className="tabs" aria-label="Which notifications">
        <Link to="/notifications" aria-current={all ? undefined : 'page'}>
          Unread{unread ? ` (${unread})` : ''}
        </Link>
        <Link to="/notifications?show=all" aria-current={all ? 'page' : undefined}>
          All
        </Link>
      </nav>
      <ErrorAlert error={error} />
      {!items && !error && <Loading what="notifications" />}
      {items?.length === 0 && (
        <div className="empty panel">
          <p>
            <strong>{all ? 'No notifications yet.' : 'You’re all caught up.'}</strong>
          </p>
          <p className="muted">
            {all ? (
              'You hear here when someone assigns you, mentions you or moves a task you follow.'
            ) : (
              <Link to="/notifications?show=all">See the ones you have read</Link>
            )}
          </p>
        </div>
      )}
      {items && items.length > 0 && (
        <ul className="notices panel flush" aria-label={all ? 'All notifications' : 'Unread notifications'}>
          {items.map((notification) => (
            <NotificationItem
              key={notification.id}
              notification={notification}
              onOpen={opened}
              action={
                notification.readAt === null && (
                  <button
                    type="button"
                    className="link small notice-action"
                    disabled={busy}
                    aria-label={`Mark read: ${notification.summary}`}
                    onClick={() => readHere(notification)}
                  >
                    Mark read
                  </button>
                )
              }
            />
          ))}
        </ul>
      )}
      <LoadMore cursor={cursor} busy={busy} load={(after) => void load(after)} />
    </Shell>
  );
}
