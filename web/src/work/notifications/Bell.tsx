import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { ErrorAlert } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { LineIcon, Loading } from '../bits';
import type { Notification } from '../types';
import { NotificationItem } from './NotificationItem';
import { useNotifications } from './NotificationsProvider';
import { notificationPage } from './requests';

/** How many of the latest notifications the panel lists (the page lists them all). */
const panelSize = 12;
/** Below this width the bell opens the notifications page instead of a panel. */
const phoneQuery = '(max-width: 640px)';

const bellPath =
  'M9 2.25a4.5 4.5 0 0 0-4.5 4.5v3.1l-1.3 2.55a.6.6 0 0 0 .53.85h10.54a.6.6 0 0 0 .53-.85L13.5 9.85v-3.1A4.5 4.5 0 0 0 9 2.25Z';
const clapperPath = 'M7.1 15.2a2 2 0 0 0 3.8 0';

/** "Notifications, 3 unread": the bell's name says the count its badge shows. */
export const bellLabel = (unread: number | undefined): string =>
  unread ? `Notifications, ${unread} unread` : 'Notifications, none unread';

/**
 * The bell in the top bar: the unread count as a badge; a panel of the latest notifications on a
 * wide screen (each opening its task, "Mark all read", a link to them all), the page on a phone.
 */
export function Bell() {
  const { unread, changes, markRead } = useNotifications();
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<Notification[] | undefined>();
  const { error, busy, run } = useAction();
  const navigate = useNavigate();
  const location = useLocation();
  const id = useId();
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);

  const close = useCallback((refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  }, []);

  useEffect(() => {
    if (!open) return;
    void run(async () => setItems((await notificationPage({ unread: false, limit: panelSize })).items));
  }, [open, changes, run]);

  useEffect(() => {
    if (!open) return;
    panel.current?.focus();
    const outside = (event: Event) => {
      const target = event.target as Node;
      if (!panel.current?.contains(target) && !button.current?.contains(target)) close(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open, close]);

  // A followed link closes the panel.
  useEffect(() => setOpen(false), [location.pathname, location.search]);

  const toggle = () => {
    if (window.matchMedia(phoneQuery).matches) navigate('/notifications');
    else setOpen((was) => !was);
  };
  const opened = (notification: Notification) => {
    setOpen(false);
    if (notification.readAt === null) void markRead({ ids: [notification.id] }).catch(() => undefined);
  };
  const markAll = () => void run(() => markRead({ all: true }));

  return (
    <div className="bell">
      <button
        ref={button}
        type="button"
        className="bell-button"
        aria-label={bellLabel(unread)}
        aria-expanded={open}
        aria-controls={open ? `${id}-panel` : undefined}
        onClick={toggle}
      >
        <LineIcon size={18} d={[bellPath, clapperPath]} />
        {unread ? (
          <span className="bell-count" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        ) : null}
      </button>
      {open && (
        <div
          ref={panel}
          id={`${id}-panel`}
          className="bell-panel"
          role="dialog"
          aria-labelledby={`${id}-title`}
          tabIndex={-1}
          onKeyDown={(event) => {
            if (event.key === 'Escape') close(true);
          }}
        >
          <div className="bell-head">
            <h2 id={`${id}-title`}>Notifications</h2>
            <button type="button" className="link small" onClick={markAll} disabled={busy || !unread}>
              Mark all read
            </button>
          </div>
          <ErrorAlert error={error} />
          {!items && !error && <Loading what="notifications" />}
          {items?.length === 0 && (
            <p className="muted small bell-empty">
              Nothing yet. You hear here when someone assigns you, mentions you or moves a task you follow.
            </p>
          )}
          {items && items.length > 0 && (
            <ul className="notices" aria-label="Latest notifications">
              {items.map((notification) => (
                <NotificationItem key={notification.id} notification={notification} onOpen={opened} />
              ))}
            </ul>
          )}
          <div className="bell-foot">
            <Link to="/notifications" onClick={() => setOpen(false)}>
              See all notifications
            </Link>
          </div>
        </div>
      )}
    </div>
  );
}
