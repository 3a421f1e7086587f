import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useSession } from '../../session';
import { markRead as markReadRequest, notificationPage } from './requests';

/** How often the bell asks for the unread count while the tab is shown. */
const pollIntervalMs = 30_000;

interface NotificationsState {
  /** Unread notifications; undefined until first read (or for someone who has none: support). */
  unread: number | undefined;
  /** Bumped when the count changes, so an open list reads itself again. */
  changes: number;
  /** Asks for the count now. */
  refresh(): Promise<void>;
  /** Marks notifications read and takes the count the server answers. */
  markRead(which: { ids: string[] } | { all: true }): Promise<void>;
}

const NotificationsContext = createContext<NotificationsState | undefined>(undefined);

/**
 * The unread count of the person signed in, for every page's bell: one poll for the whole app
 * (every 30 s while the tab is shown, and when the window gets focus again), so pages coming and
 * going neither restart nor multiply it.
 */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const { me } = useSession();
  const userId = me && !me.support ? me.user.id : undefined;
  const [unread, setUnread] = useState<number | undefined>();
  const [changes, setChanges] = useState(0);
  const shown = useRef<number | undefined>(undefined);

  const take = useCallback((count: number) => {
    if (shown.current !== count) setChanges((n) => n + 1);
    shown.current = count;
    setUnread(count);
  }, []);

  const refresh = useCallback(async () => {
    if (!userId) return;
    try {
      take((await notificationPage({ unread: true, limit: 1 })).unreadCount);
    } catch {
      // A missed poll is retried at the next one; the bell keeps the count it had.
    }
  }, [userId, take]);

  const markRead = useCallback(
    async (which: { ids: string[] } | { all: true }) => take(await markReadRequest(which)),
    [take],
  );

  useEffect(() => {
    shown.current = undefined;
    setUnread(undefined);
    if (!userId) return;
    void refresh();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh();
    }, pollIntervalMs);
    const onFocus = () => void refresh();
    window.addEventListener('focus', onFocus);
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', onFocus);
    };
  }, [userId, refresh]);

  const value = useMemo(() => ({ unread, changes, refresh, markRead }), [unread, changes, refresh, markRead]);
  return <NotificationsContext.Provider value={value}>{children}</NotificationsContext.Provider>;
}

export function useNotifications(): NotificationsState {
  const state = useContext(NotificationsContext);
  if (!state) throw new Error('useNotifications outside NotificationsProvider');
  return state;
}
