import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { ConsoleSessionProvider, useConsoleSession } from './session';
import { ConsoleSignIn } from './SignIn';
import { Setup } from './Setup';
import { Workspaces } from './Workspaces';

// The monitoring screens load when first opened: workspaces' pages, served from the same build, never need them.
const StatusScreen = lazy(() => import('./monitoring/StatusScreen').then((m) => ({ default: m.StatusScreen })));
const IncidentsScreen = lazy(() =>
  import('./monitoring/IncidentsScreen').then((m) => ({ default: m.IncidentsScreen })),
);
const MaintenanceScreen = lazy(() =>
  import('./monitoring/MaintenanceScreen').then((m) => ({ default: m.MaintenanceScreen })),
);
const AlertsScreen = lazy(() => import('./monitoring/AlertsScreen').then((m) => ({ default: m.AlertsScreen })));
const ReportsScreen = lazy(() => import('./monitoring/ReportsScreen').then((m) => ({ default: m.ReportsScreen })));
const ReportDetail = lazy(() => import('./monitoring/ReportDetail').then((m) => ({ default: m.ReportDetail })));

const loading = <p className="page muted">Loading…</p>;

/** A console page for signed-in staff; others go to sign in. */
function SignedIn({ children }: { children: ReactNode }) {
  const { me } = useConsoleSession();
  if (me === undefined) return loading;
  if (me === null) return <Navigate to="/sign-in" replace />;
  return <Suspense fallback={loading}>{children}</Suspense>;
}

/** The signed-in screens by path: each draws its own ConsoleShell. */
const screens: ReadonlyArray<[path: string, screen: ReactNode]> = [
  ['/', <Workspaces />],
  ['/status', <StatusScreen />],
  ['/incidents', <IncidentsScreen />],
  ['/maintenance', <MaintenanceScreen />],
  ['/alerts', <AlertsScreen />],
  ['/reports', <ReportsScreen />],
  ['/reports/:month', <ReportsScreen />],
  ['/reports/:month/:tenant', <ReportDetail />],
];

/**
 * The staff console, on `console.<base domain>`: staff set up their account from a one-time link,
 * sign in with password and authenticator code, and enter workspaces only under a support grant;
 * they watch the platform's status, run its incidents and maintenance, tune its alerts, and read
 * each month's SLA report.
 */
export function ConsoleApp() {
  return (
    <ConsoleSessionProvider>
      <Routes>
        <Route path="/sign-in" element={<ConsoleSignIn />} />
        <Route path="/setup" element={<Setup />} />
        {screens.map(([path, screen]) => (
          <Route key={path} path={path} element={<SignedIn>{screen}</SignedIn>} />
        ))}
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
    </ConsoleSessionProvider>
  );
}
