import type { ReactNode } from 'react';
import { Link, NavLink } from 'react-router';
import { useSession } from '../session';

/** The signed-in app: the workspace, its sections, who is signed in, and the page. */
export function Shell({ children }: { children: ReactNode }) {
  const { me, workspace, signOut } = useSession();
  const admin = me?.user.role === 'owner' || me?.user.role === 'admin';
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand">
            <span className="brand-mark" aria-hidden="true">
              S
            </span>
            <span>{workspace?.name ?? 'Steadfast'}</span>
          </Link>
          <nav aria-label="Sections">
            <NavLink to="/" end>
              Home
            </NavLink>
            {admin && <NavLink to="/admin">Workspace</NavLink>}
            <NavLink to="/account">Account</NavLink>
          </nav>
          <div className="row small">
            <span className="muted who">{me?.user.email}</span>
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
