import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useConsoleSession } from './session';

/** The signed-in console: who is signed in, the way out, and the page. */
export function ConsoleShell({ children }: { children: ReactNode }) {
  const { me, signOut } = useConsoleSession();
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand">
            <span className="brand-mark console" aria-hidden="true">
              S
            </span>
            <span>Steadfast console</span>
          </Link>
          <div className="row small topbar-end">
            <span className="muted" title={me?.staff.email}>
              {me?.staff.name}
            </span>
            <button className="secondary" type="button" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main className="page">{children}</main>
    </>
  );
}
