import type { ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { ConsoleSessionProvider, useConsoleSession } from './session';
import { ConsoleSignIn } from './SignIn';
import { Setup } from './Setup';
import { Workspaces } from './Workspaces';

/** A console page for signed-in staff; others go to sign in. */
function SignedIn({ children }: { children: ReactNode }) {
  const { me } = useConsoleSession();
  if (me === undefined) return <p className="page muted">Loading…</p>;
  if (me === null) return <Navigate to="/sign-in" replace />;
  return <>{children}</>;
}

/**
 * The staff console, on `console.<base domain>`: staff set up their account from a one-time link,
 * sign in with password and authenticator code, and enter workspaces only under a support grant.
 */
export function ConsoleApp() {
  return (
    <ConsoleSessionProvider>
      <Routes>
        <Route path="/sign-in" element={<ConsoleSignIn />} />
        <Route path="/setup" element={<Setup />} />
        <Route
          path="/"
          element={
            <SignedIn>
              <Workspaces />
            </SignedIn>
          }
        />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
    </ConsoleSessionProvider>
  );
}
