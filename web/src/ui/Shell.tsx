import type { ReactNode } from 'react';
import { Link, NavLink } from 'react-router';
import { useSession } from '../session';
import { moment } from './grants';

/**
 * The signed-in app: the workspace, its sections, who is signed in, and the page. Steadfast
 * support under a grant sees a band saying so on every page, and leaves instead of signing out.
 */
export function Shell({ children }: { children: ReactNode }) {
  const { me, workspace, signOut } = useSession();
  const admin = me?.user.role === 'owner' || me?.user.role === 'admin';
  const support = me?.support;
  return (
    <>
      {support && (
        <div className="support-banner" role="status">
          <strong>Steadfast support</strong> — read-only access for: {support.reason}, until {moment(support.expiresAt)}
        </div>
      )}
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
            {!support && <NavLink to="/account">Account</NavLink>}
          </nav>
          <div className="row small">
            <span className="muted who">{me?.user.email}</span>
            <button className="secondary" type="button" onClick={() => void signOut()}>
              {support ? 'Leave' : 'Sign out'}
            </button>
          </div>
        </div>
      </header>
      <main className="page">{children}</main>
    </>
  );
}
