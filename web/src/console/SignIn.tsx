import type { FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, fieldError } from '../api';
import { AuthCard } from '../ui/AuthCard';
import { ErrorAlert, Field } from '../ui/Field';
import { useAction } from '../ui/useAction';
import { useConsoleSession, type StaffMe } from './session';

/** Staff sign in with all three at once: email, password, and the code their authenticator app shows. */
export function ConsoleSignIn() {
  const { refresh, endedBecause } = useConsoleSession();
  const navigate = useNavigate();
  const { error, busy, run } = useAction();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void run(async () => {
      const me = await api<StaffMe>('POST', '/console/session', {
        email: form.get('email'),
        password: form.get('password'),
        code: String(form.get('code') ?? '').trim(),
      });
      await refresh(me);
      navigate('/', { replace: true });
    });
  };

  const named = ['email', 'password', 'code'].some((field) => fieldError(error, field));
  return (
    <AuthCard
      brand="Steadfast console"
      title="Sign in"
      intro="For Steadfast staff. Members of a workspace sign in at their workspace's own address."
      footer="Lost your phone or your password? An operator can give you a new setup link."
    >
      <form onSubmit={submit} noValidate>
        <ErrorAlert error={named ? undefined : (error ?? endedBecause)} />
        <Field
          label="Email"
          name="email"
          type="email"
          autoComplete="username"
          required
          autoFocus
          error={fieldError(error, 'email')}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          error={fieldError(error, 'password')}
        />
        <Field
          label="Authenticator code"
          name="code"
          className="code-input"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9 ]*"
          maxLength={7}
          required
          hint="The 6 digits your authenticator app shows for Steadfast console."
          error={fieldError(error, 'code')}
        />
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </AuthCard>
  );
}
