import type { ReactNode } from 'react';
import { Link, NavLink } from 'react-router';
import { useSession } from '../session';
import { Bell } from '../work/notifications/Bell';
import { SearchBox } from '../work/SearchBox';
import { moment } from './grants';
import { MaintenanceBanner } from './Maintenance';

/**
 * The signed-in app: the workspace, its sections, a search across projects, who is signed in, and
 * the page, with a bell for one's notifications. Steadfast support under a grant sees a band saying so on every page, and leaves
 * instead of signing out. `layout`: `narrow` for forms and settings, `wide` for lists and tasks,
 * `board` fills the window (the board's columns scroll inside it).
 */
export function Shell({ children, layout = 'narrow' }: { children: ReactNode; layout?: 'narrow' | 'wide' | 'board' }) {
  const { me, workspace, signOut } = useSession();
  const admin = me?.user.role === 'owner' || me?.user.role === 'admin';
  const support = me?.support;
  return (
    <div className={`app app-${layout}`}>
      {support && (
        <div className="support-banner" role="status">
          <strong>Steadfast support</strong> — read-only access for: {support.reason}, until {moment(support.expiresAt)}
        </div>
      )}
      <MaintenanceBanner />
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
              Projects
            </NavLink>
            {admin && <NavLink to="/admin">Workspace</NavLink>}
            {!support && <NavLink to="/account">Account</NavLink>}
          </nav>
          <SearchBox />
          <div className="row small topbar-who">
            {me && !support && <Bell />}
            <span className="muted who">{me?.user.email}</span>
            <button className="secondary" type="button" onClick={() => void signOut()}>
              {support ? 'Leave' : 'Sign out'}
            </button>
          </div>
        </div>
      </header>
      <main className={`page page-${layout}`}>{children}</main>
    </div>
  );
}
