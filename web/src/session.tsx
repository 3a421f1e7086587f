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
  /** Why this tab's support access ended (the server's words), when it held one and the workspace now refuses it. */
  supportEnded: string | undefined;
  /** After a sign-in or a change to one's account: takes the answer, or asks again. */
  refresh(me?: Me): Promise<void>;
  /** Signs out; support leaves the workspace instead, back to the console. */
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

/**
 * Marks a tab that entered as support (per tab and origin, gone with the tab): when the workspace
 * later answers 401, the tab explains that the grant ended instead of offering a sign-in.
 */
const supportTab = {
  key: 'steadfast.support',
  set: (held: boolean) =>
    held ? sessionStorage.setItem(supportTab.key, '1') : sessionStorage.removeItem(supportTab.key),
  held: () => sessionStorage.getItem(supportTab.key) === '1',
};

/** The staff console's address: `console.` beside this workspace's `<slug>.` on the same base domain. */
export function consoleAddress(): string {
  const { protocol, host } = window.location;
  return `${protocol}//console.${host.slice(host.indexOf('.') + 1)}`;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [workspace, setWorkspace] = useState<Workspace | undefined>(undefined);
  const [supportEnded, setSupportEnded] = useState<string | undefined>(undefined);

  const refresh = useCallback(async (given?: Me) => {
    try {
      const next = given ?? (await api<Me>('GET', '/me'));
      setCsrfToken(next.csrfToken);
      supportTab.set(next.support !== undefined);
      setSupportEnded(undefined);
      setMe(next);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        if (supportTab.held()) setSupportEnded(error.message);
        setCsrfToken(null);
        setMe(null);
      } else throw error;
    }
  }, []);

  const support = me?.support !== undefined;
  const signOut = useCallback(async () => {
    if (support) {
      await api('DELETE', '/support/session').catch(() => undefined);
      supportTab.set(false);
      window.location.assign(consoleAddress());
      return;
    }
    await api('DELETE', '/session').catch(() => undefined);
    setCsrfToken(null);
    setMe(null);
  }, [support]);

  useEffect(() => {
    void refresh().catch(() => setMe(null));
    void api<Workspace>('GET', '/tenant').then(setWorkspace, () => undefined);
  }, [refresh]);

  // Support's access ends at a known time: ask again then, so the page does not pretend it goes on.
  const supportUntil = me?.support?.expiresAt;
  useEffect(() => {
    if (!supportUntil) return;
    const timer = setTimeout(() => void refresh().catch(() => undefined), Date.parse(supportUntil) - Date.now() + 1000);
    return () => clearTimeout(timer);
  }, [supportUntil, refresh]);

  useEffect(() => {
    if (workspace) document.title = `${workspace.name} · Steadfast`;
  }, [workspace]);

  return (
    <SessionContext.Provider value={{ me, workspace, supportEnded, refresh, signOut }}>
      {children}
    </SessionContext.Provider>
  );
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}

/** The workspace's name inside a workspace's app; undefined elsewhere (the console) or while loading. */
export function useWorkspaceName(): string | undefined {
  return useContext(SessionContext)?.workspace?.name;
}
