import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, setCsrfToken } from '../api';
import { useAction } from '../ui/useAction';

/** The signed-in member of staff, as the console's sign-in, setup and `GET /console/me` answer. */
export interface StaffMe {
  staff: { id: string; email: string; name: string };
  csrfToken: string;
}

interface ConsoleSessionState {
  /** Undefined while loading; null when nobody is signed in. */
  me: StaffMe | null | undefined;
  /** Why the console signed one out (the server's words), for the sign-in page to say. */
  endedBecause: string | undefined;
  refresh(me?: StaffMe): Promise<void>;
  /** The server refused the session (401): back to sign in, saying why. */
  expire(reason: string): void;
  signOut(): Promise<void>;
}

const ConsoleSessionContext = createContext<ConsoleSessionState | undefined>(undefined);

export function ConsoleSessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<StaffMe | null | undefined>(undefined);
  const [endedBecause, setEndedBecause] = useState<string | undefined>();

  const refresh = useCallback(async (given?: StaffMe) => {
    try {
      const next = given ?? (await api<StaffMe>('GET', '/console/me'));
      setCsrfToken(next.csrfToken);
      setEndedBecause(undefined);
      setMe(next);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) throw error;
      setCsrfToken(null);
      setMe(null);
    }
  }, []);

  const expire = useCallback((reason: string) => {
    setCsrfToken(null);
    setEndedBecause(reason);
    setMe(null);
  }, []);

  const signOut = useCallback(async () => {
    await api('DELETE', '/console/session').catch(() => undefined);
    setCsrfToken(null);
    setMe(null);
  }, []);

  useEffect(() => void refresh().catch(() => setMe(null)), [refresh]);

  return (
    <ConsoleSessionContext.Provider value={{ me, endedBecause, refresh, expire, signOut }}>
      {children}
    </ConsoleSessionContext.Provider>
  );
}

export function useConsoleSession(): ConsoleSessionState {
  const state = useContext(ConsoleSessionContext);
  if (!state) throw new Error('useConsoleSession outside ConsoleSessionProvider');
  return state;
}

/** useAction for the console's signed-in screens: a refused session (401) goes back to sign in instead of showing here. */
export function useStaffAction() {
  const action = useAction();
  const { expire } = useConsoleSession();
  const { run: runAction } = action;
  const run = useCallback(
    (work: () => Promise<void>) =>
      runAction(async () => {
        try {
          await work();
        } catch (caught) {
          if (caught instanceof ApiError && caught.status === 401) expire(caught.message);
          else throw caught;
        }
      }),
    [runAction, expire],
  );
  return { ...action, run };
}
