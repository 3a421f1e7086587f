import type { ReactNode } from 'react';
import { Link, NavLink } from 'react-router';
import { useConsoleSession } from './session';

/** The console's sections, in the order staff reach for them. */
const sections: ReadonlyArray<[path: string, label: string]> = [
  ['/', 'Workspaces'],
  ['/status', 'Status'],
  ['/incidents', 'Incidents'],
  ['/maintenance', 'Maintenance'],
  ['/alerts', 'Alerts'],
  ['/reports', 'Reports'],
];

/** The signed-in console: its sections, who is signed in, the way out, and the page. */
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
            <span className="muted who" title={me?.staff.email}>
              {me?.staff.name}
            </span>
            <button className="secondary" type="button" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </div>
        <nav className="console-nav" aria-label="Console sections">
          <div className="console-nav-inner">
            {sections.map(([path, label]) => (
              <NavLink key={path} to={path} end={path === '/'}>
                {label}
              </NavLink>
            ))}
          </div>
        </nav>
      </header>
      <main className="page">{children}</main>
    </>
  );
}
