import { Link } from 'react-router';
import { useSession } from '../session';
import { Shell } from '../ui/Shell';
import { Projects } from '../work/Projects';

/** Home: a greeting, one's projects and a way to start one; support sees the projects read-only. */
export function Home() {
  const { me, workspace } = useSession();
  if (!me) return null;
  if (me.support)
    return (
      <Shell layout="wide">
        <section className="greeting">
          <h1>Steadfast support in {workspace?.name ?? 'this workspace'}</h1>
          <p className="muted">
            You see what an admin of this workspace sees, and change nothing. Every page you open is written to its
            audit log. <Link to="/admin">Open the workspace settings</Link>.
          </p>
        </section>
        <Projects canCreate={false} />
      </Shell>
    );
  const role = me.user.role;
  return (
    <Shell layout="wide">
      <section className="greeting">
        <h1>Welcome, {me.user.name}</h1>
        <p className="muted">
          You are {role === 'owner' || role === 'admin' ? 'an' : 'a'} <span className="badge">{role}</span> of{' '}
          {workspace?.name ?? 'this workspace'}.
        </p>
        {!me.twoFactor.totp && me.twoFactor.passkeys === 0 && (
          <p className="small">
            Protect your account with a second factor:{' '}
            <Link to="/account#two-factor">set up an authenticator app or a passkey</Link>.
          </p>
        )}
      </section>
      <Projects canCreate={role !== 'viewer'} />
    </Shell>
  );
}
