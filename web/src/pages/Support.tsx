import { useEffect, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { api, tokenFromLink, type Me } from '../api';
import { consoleAddress, useSession } from '../session';
import { AuthCard } from '../ui/AuthCard';
import { ErrorAlert } from '../ui/Field';

/** An entry link's token is good once: one request per token, however often the page's effect runs. */
const entries = new Map<string, Promise<Me>>();
function enter(token: string): Promise<Me> {
  let entry = entries.get(token);
  if (!entry) {
    entry = api<Me>('POST', '/support/session', { token });
    entries.set(token, entry);
  }
  return entry;
}

/**
 * Steadfast support arriving from the console's one-time entry link (`/support#token=…`), on to
 * the workspace's settings; or, when the link or the grant behind it is spent, why, and the way back.
 */
export function Support() {
  const token = tokenFromLink(useLocation().hash);
  const { refresh, supportEnded } = useSession();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    if (!token) return;
    enter(token).then(async (me) => {
      history.replaceState(null, '', window.location.pathname); // the spent token leaves the address bar
      await refresh(me);
      navigate('/admin', { replace: true });
    }, setError);
  }, [token, refresh, navigate]);

  if (token && !error)
    return (
      <AuthCard title="Support access">
        <p className="muted" role="status">
          Opening the workspace for Steadfast support…
        </p>
      </AuthCard>
    );

  const problem =
    error ??
    (supportEnded
      ? new Error(supportEnded)
      : new Error('This support link is incomplete: open the workspace from the Steadfast console.'));
  return (
    <AuthCard
      title={supportEnded && !error ? 'Support access ended' : 'Support access'}
      footer={
        <>
          A member of this workspace? <Link to="/sign-in">Sign in</Link>
        </>
      }
    >
      <div className="flow">
        <ErrorAlert error={problem} />
        <p className="muted">
          A support link works once, for two minutes, while its grant runs. For another look, ask for access again in
          the console.
        </p>
        <a className="button primary" href={consoleAddress()}>
          Back to the Steadfast console
        </a>
      </div>
    </AuthCard>
  );
}
