import {
  browserSupportsWebAuthn,
  startAuthentication,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, fieldError, type Me, type SecondFactorChallenge } from '../api';
import { AuthCard } from '../ui/AuthCard';
import { MaintenanceNotices } from '../ui/Maintenance';
import { ErrorAlert, Field } from '../ui/Field';
import { useSession } from '../session';
import { useAction } from '../ui/useAction';

/** Asks the browser for a passkey answering the options at `optionsPath`; a refusal reads as a sentence. */
async function askPasskey(optionsPath: string, body?: unknown) {
  const optionsJSON = await api<PublicKeyCredentialRequestOptionsJSON>('POST', optionsPath, body);
  try {
    return await startAuthentication({ optionsJSON });
  } catch (caught) {
    throw caught instanceof Error && caught.name === 'NotAllowedError'
      ? new Error('The passkey was not used. Try again, or use another way in.')
      : caught;
  }
}

/** Where to go after signing in: a path of this app only, never another site. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function SignIn() {
  const { refresh } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [challenge, setChallenge] = useState<SecondFactorChallenge['secondFactor'] | undefined>();
  const { error, busy, run: attempt } = useAction();

  const done = async (me: Me) => {
    await refresh(me);
    navigate(safeNext(params.get('next')), { replace: true });
  };

  const submitPassword = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void attempt(async () => {
      const answer = await api<Me | SecondFactorChallenge>('POST', '/session', {
        email: form.get('email'),
        password: form.get('password'),
      });
      if ('secondFactor' in answer) setChallenge(answer.secondFactor);
      else await done(answer);
    });
  };

  const withPasskey = () =>
    attempt(async () => {
      const response = await askPasskey('/session/passkey-options');
      await done(await api<Me>('POST', '/session/passkey', { response }));
    });

  if (challenge) return <SecondFactor step={challenge} onDone={done} onRestart={() => setChallenge(undefined)} />;

  return (
    <AuthCard
      title="Sign in"
      notices={<MaintenanceNotices />}
      footer={
        <>
          <Link to="/reset-password">Forgot your password?</Link>
        </>
      }
    >
      <form onSubmit={submitPassword} noValidate>
        <ErrorAlert error={fieldError(error, 'email') || fieldError(error, 'password') ? undefined : error} />
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
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {browserSupportsWebAuthn() && (
          <>
            <div className="divider" role="presentation">
              or
            </div>
            <button className="secondary" type="button" onClick={() => void withPasskey()} disabled={busy}>
              Sign in with a passkey
            </button>
          </>
        )}
      </form>
    </AuthCard>
  );
}

function SecondFactor({
  step,
  onDone,
  onRestart,
}: {
  step: SecondFactorChallenge['secondFactor'];
  onDone(me: Me): Promise<void>;
  onRestart(): void;
}) {
  const { challenge, methods } = step;
  const hasTotp = methods.includes('totp');
  const [recovery, setRecovery] = useState(false);
  const { error, busy, run: attempt } = useAction();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget).get('code') ?? '').trim();
    void attempt(async () => {
      const body = recovery ? { challenge, recoveryCode: value } : { challenge, code: value };
      await onDone(await api<Me>('POST', '/session/second-factor', body));
    });
  };

  const withPasskey = () =>
    attempt(async () => {
      const passkey = await askPasskey('/session/second-factor/passkey-options', { challenge });
      await onDone(await api<Me>('POST', '/session/second-factor', { challenge, passkey }));
    });

  if (!hasTotp)
    return (
      <AuthCard
        title="Two-factor authentication"
        intro="Confirm it is you with your passkey."
        footer={
          <button className="link" type="button" onClick={onRestart}>
            Start again
          </button>
        }
      >
        <form onSubmit={(event) => event.preventDefault()}>
          <ErrorAlert error={error} />
          <button className="primary" type="button" onClick={() => void withPasskey()} disabled={busy} autoFocus>
            Use your passkey
          </button>
        </form>
      </AuthCard>
    );

  return (
    <AuthCard
      title="Two-factor authentication"
      intro={
        recovery
          ? 'Type one of the recovery codes you saved. Each works once.'
          : 'Type the 6-digit code your authenticator app shows for this workspace.'
      }
      footer={
        <button className="link" type="button" onClick={onRestart}>
          Start again
        </button>
      }
    >
      <form onSubmit={submit} noValidate key={recovery ? 'recovery' : 'totp'}>
        <ErrorAlert error={error} />
        {recovery ? (
          <Field label="Recovery code" name="code" autoComplete="off" placeholder="abcde-23456" required autoFocus />
        ) : (
          <Field
            label="Code"
            name="code"
            className="code-input"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9 ]*"
            maxLength={7}
            required
            autoFocus
          />
        )}
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Continue'}
        </button>
        <button className="link" type="button" onClick={() => setRecovery(!recovery)}>
          {recovery ? 'Use the authenticator app instead' : 'Lost your phone? Use a recovery code'}
        </button>
        {methods.includes('passkey') && (
          <button className="secondary" type="button" onClick={() => void withPasskey()} disabled={busy}>
            Use a passkey instead
          </button>
        )}
      </form>
    </AuthCard>
  );
}
