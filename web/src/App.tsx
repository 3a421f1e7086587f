import type { ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { useSession } from './session';
import { AcceptInvitation } from './pages/AcceptInvitation';
import { Admin } from './pages/Admin';
import { Account } from './pages/Account';
import { Home } from './pages/Home';
import { ResetPassword } from './pages/ResetPassword';
import { SignIn } from './pages/SignIn';
import { Support } from './pages/Support';
import { Board } from './work/board/Board';
import { NotificationsPage } from './work/notifications/NotificationsPage';
import { TaskList } from './work/list/TaskList';
import { ProjectLayout } from './work/ProjectLayout';
import { Search } from './work/Search';
import { Settings } from './work/settings/Settings';
import { TaskPage } from './work/task/TaskPage';

/**
 * A page for the signed-in: others go to sign in (and come back, to the same #section); someone who
 * must set up 2FA goes there first. Support whose grant ended is told so; support has no `account` here.
 */
function SignedIn({
  children,
  setup = false,
  admin = false,
  account = false,
}: {
  children: ReactNode;
  setup?: boolean;
  admin?: boolean;
  account?: boolean;
}) {
  const { me, supportEnded } = useSession();
  const location = useLocation();
  if (me === undefined) return <p className="page muted">Loading…</p>;
  if (me === null && supportEnded) return <Navigate to="/support" replace />;
  if (me === null)
    return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.hash)}`} replace />;
  if (account && me.support) return <Navigate to="/admin" replace />;
  if (me.twoFactor.setupRequired && !setup) return <Navigate to="/account" replace />;
  if (admin && me.user.role !== 'owner' && me.user.role !== 'admin') return <Navigate to="/" replace />;
  return <>{children}</>;
}

export function App() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignIn />} />
      <Route path="/reset-password" element={<ResetPassword />} />
      <Route path="/accept-invitation" element={<AcceptInvitation />} />
      <Route path="/support" element={<Support />} />
      <Route
        path="/"
        element={
          <SignedIn>
            <Home />
          </SignedIn>
        }
      />
      <Route
        path="/account"
        element={
          <SignedIn setup account>
            <Account />
          </SignedIn>
        }
      />
      <Route
        path="/admin"
        element={
          <SignedIn admin>
            <Admin />
          </SignedIn>
        }
      />
      <Route
        path="/projects/:key"
        element={
          <SignedIn>
            <ProjectLayout />
          </SignedIn>
        }
      >
        <Route index element={<Board />} />
        <Route path="list" element={<TaskList />} />
        <Route path="tasks/:taskKey" element={<TaskPage />} />
        <Route path="settings" element={<Settings />} />
      </Route>
      <Route
        path="/notifications"
        element={
          <SignedIn account>
            <NotificationsPage />
          </SignedIn>
        }
      />
      <Route
        path="/search"
        element={
          <SignedIn>
            <Search />
          </SignedIn>
        }
      />
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}
