import { Link } from 'react-router';
import { useSession } from '../session';
import { Shell } from '../ui/Shell';

export function Home() {
  const { me, workspace } = useSession();
  if (!me) return null;
  if (me.support)
    return (
      <Shell>
        <section className="panel">
          <h1>Steadfast support in {workspace?.name ?? 'this workspace'}</h1>
          <p className="muted">
            You see what an admin of this workspace sees, and change nothing. Every page you open is written to its
            audit log.
          </p>
          <p>
            <Link to="/admin">Open the workspace settings</Link>
          </p>
        </section>
      </Shell>
    );
  return (
    <Shell>
      <section className="panel">
        <h1>Welcome, {me.user.name}</h1>
        <p className="muted">
          You are {me.user.role === 'owner' || me.user.role === 'admin' ? 'an' : 'a'}{' '}
          <span className="badge">{me.user.role}</span> of {workspace?.name ?? 'this workspace'}. Projects and tasks
          arrive here next.
        </p>
        {!me.twoFactor.totp && me.twoFactor.passkeys === 0 && (
          <p>
            Protect your account with a second factor:{' '}
            <Link to="/account#two-factor">set up an authenticator app or a passkey</Link>.
          </p>
        )}
      </section>
    </Shell>
  );
}
