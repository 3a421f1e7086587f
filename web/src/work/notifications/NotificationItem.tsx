import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { Ago, Avatar } from '../bits';
import type { Notification } from '../types';
import { taskPathOf } from './requests';

/** A mark for what a notification tells of: who did it, or a clock for a due date. */
function Mark({ notification }: { notification: Notification }) {
  if (notification.kind === 'due_soon' || !notification.actor)
    return (
      <span className="avatar notice-clock" aria-hidden="true">
        <svg width="14" height="14" viewBox="0 0 14 14" focusable="false">
          <circle cx="7" cy="7" r="5.75" fill="none" stroke="currentColor" strokeWidth="1.5" />
          <path d="M7 4v3.25L9 8.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
        </svg>
      </span>
    );
  return (
    <span aria-hidden="true">
      <Avatar person={{ name: notification.actor }} />
    </span>
  );
}

/**
 * One notification: its summary (plain text, whatever a title or name holds), how long ago, and
 * whether it is unread; a link to its task that marks it read as it is followed.
 */
export function NotificationItem({
  notification,
  onOpen,
  action,
}: {
  notification: Notification;
  onOpen(notification: Notification): void;
  /** A button beside it, e.g. "Mark read" on the full page. */
  action?: ReactNode;
}) {
  const unread = notification.readAt === null;
  const path = taskPathOf(notification);
  const body = (
    <>
      <Mark notification={notification} />
      <span className="notice-text">
        {unread && <span className="visually-hidden">Unread: </span>}
        <span className="notice-summary">{notification.summary}</span>
        {typeof notification.data.excerpt === 'string' && notification.data.excerpt && (
          <span className="notice-excerpt muted small">{notification.data.excerpt}</span>
        )}
        <span className="notice-meta muted small">
          <Ago iso={notification.createdAt} />
          {!path && ' · the task is gone'}
        </span>
      </span>
      {unread && <span className="unread-dot" aria-hidden="true" />}
    </>
  );
  return (
    <li className={unread ? 'notice unread' : 'notice'}>
      {path ? (
        <Link to={path} className="notice-main" onClick={() => onOpen(notification)}>
          {body}
        </Link>
      ) : (
        <div className="notice-main">{body}</div>
      )}
      {action}
    </li>
  );
}
