import { useEffect, useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { api, fieldError, tokenFromLink, type Me, type Role } from '../api';
import { useSession } from '../session';
import { AuthCard } from '../ui/AuthCard';
import { ErrorAlert, Field } from '../ui/Field';
import { passwordHint } from './ResetPassword';

interface Offer {
  email: string;
  role: Role;
  workspace: string;
}

export function AcceptInvitation() {
  const token = tokenFromLink(useLocation().hash);
  const { refresh } = useSession();
  const navigate = useNavigate();
  const [offer, setOffer] = useState<Offer | undefined>();
  const [lookupError, setLookupError] = useState<unknown>(
    token ? undefined : new Error('This invitation link is incomplete: open it exactly as it was mailed.'),
  );
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (token) api<Offer>('POST', '/invitations/lookup', { token }).then(setOffer, setLookupError);
  }, [token]);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      const me = await api<Me>('POST', '/invitations/accept', {
        token,
        name: form.get('name'),
        password: form.get('password'),
      });
      history.replaceState(null, '', window.location.pathname);
      await refresh(me);
      navigate('/', { replace: true });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  if (lookupError)
    return (
      <AuthCard title="Invitation">
        <ErrorAlert error={lookupError} />
      </AuthCard>
    );
  if (!offer) return <AuthCard title="Invitation">{<p className="muted">Checking the invitation…</p>}</AuthCard>;
  return (
    <AuthCard
      title={`Join ${offer.workspace}`}
      intro={
        <>
          You are invited as <strong>{offer.role}</strong> with the address {offer.email}.
        </>
      }
    >
      <form onSubmit={submit} noValidate>
        <ErrorAlert error={fieldError(error, 'name') || fieldError(error, 'password') ? undefined : error} />
        <Field label="Your name" name="name" autoComplete="name" required autoFocus error={fieldError(error, 'name')} />
        <Field
          label="Choose a password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint={passwordHint}
          error={fieldError(error, 'password')}
        />
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Joining…' : 'Join the workspace'}
        </button>
      </form>
    </AuthCard>
  );
}
