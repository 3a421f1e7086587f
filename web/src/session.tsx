import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, setCsrfToken, type Me } from './api';

interface Workspace {
  slug: string;
  name: string;
}

interface SessionState {
  /** Undefined while loading; null when nobody is signed in. */
  me: Me | null | undefined;
  workspace: Workspace | undefined;
  /** After a sign-in or a change to one's account: takes the answer, or asks again. */
  refresh(me?: Me): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [workspace, setWorkspace] = useState<Workspace | undefined>(undefined);

  const refresh = useCallback(async (given?: Me) => {
    try {
      const next = given ?? (await api<Me>('GET', '/me'));
      setCsrfToken(next.csrfToken);
      setMe(next);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setCsrfToken(null);
        setMe(null);
      } else throw error;
    }
  }, []);

  const signOut = useCallback(async () => {
    await api('DELETE', '/session').catch(() => undefined);
    setCsrfToken(null);
    setMe(null);
  }, []);

  useEffect(() => {
    void refresh().catch(() => setMe(null));
    void api<Workspace>('GET', '/tenant').then(setWorkspace, () => undefined);
  }, [refresh]);

  useEffect(() => {
    if (workspace) document.title = `${workspace.name} · Steadfast`;
  }, [workspace]);

  return <SessionContext.Provider value={{ me, workspace, refresh, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}
