import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { api, fieldError, tokenFromLink } from '../api';
import { AuthCard } from '../ui/AuthCard';
import { ErrorAlert, Field, Notice } from '../ui/Field';

export const passwordHint = 'At least 12 characters. A few unrelated words make a strong one.';

/** Without a link: ask for one by email. With one (#token=…): choose the new password. */
export function ResetPassword() {
  const token = tokenFromLink(useLocation().hash);
  return token ? <ChoosePassword token={token} /> : <AskForLink />;
}

function AskForLink() {
  const [sent, setSent] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api<{ message: string }>('POST', '/password-resets', {
        email: new FormData(event.currentTarget).get('email'),
      });
      setSent(answer.message);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthCard
      title="Reset your password"
      intro="We will mail you a link to choose a new one."
      footer={<Link to="/sign-in">Back to sign in</Link>}
    >
      {sent ? (
        <Notice>{sent}</Notice>
      ) : (
        <form onSubmit={submit} noValidate>
          <ErrorAlert error={fieldError(error, 'email') ? undefined : error} />
          <Field
            label="Email"
            name="email"
            type="email"
            autoComplete="username"
            required
            autoFocus
            error={fieldError(error, 'email')}
          />
          <button className="primary" type="submit" disabled={busy}>
            {busy ? 'Sending…' : 'Send the link'}
          </button>
        </form>
      )}
    </AuthCard>
  );
}

function ChoosePassword({ token }: { token: string }) {
  const navigate = useNavigate();
  const [done, setDone] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    if (form.get('password') !== form.get('again')) {
      setError(new Error('The two passwords differ. Type the same one twice.'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', '/password-resets/complete', { token, password: form.get('password') });
      history.replaceState(null, '', window.location.pathname); // the spent token leaves the address bar
      setDone(true);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  if (done)
    return (
      <AuthCard title="Password changed" intro="Every other session of your account has been signed out.">
        <button className="primary" type="button" onClick={() => navigate('/sign-in')}>
          Sign in
        </button>
      </AuthCard>
    );

  return (
    <AuthCard title="Choose a new password" footer={<Link to="/sign-in">Back to sign in</Link>}>
      <form onSubmit={submit} noValidate>
        <ErrorAlert error={fieldError(error, 'password') ? undefined : error} />
        <Field
          label="New password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          autoFocus
          hint={passwordHint}
          error={fieldError(error, 'password')}
        />
        <Field label="The same password again" name="again" type="password" autoComplete="new-password" required />
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Set the password'}
        </button>
      </form>
    </AuthCard>
  );
}
