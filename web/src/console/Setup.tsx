import { useEffect, useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { api, ApiError, fieldError, tokenFromLink } from '../api';
import { passwordHint } from '../pages/ResetPassword';
import { AuthCard } from '../ui/AuthCard';
import { ErrorAlert, Field } from '../ui/Field';
import { useAction } from '../ui/useAction';
import { AuthenticatorKey, qrOf } from '../ui/AuthenticatorKey';
import { useConsoleSession, type StaffMe } from './session';

interface SetupOffer {
  email: string;
  name: string;
  secret: string;
  otpauthUrl: string;
}

/** Opening a setup link makes a new authenticator key each time: one request per link per page load. */
const opened = new Map<string, Promise<SetupOffer>>();
function openSetup(token: string): Promise<SetupOffer> {
  let offer = opened.get(token);
  if (!offer) {
    offer = api<SetupOffer>('POST', '/console/setup/open', { token });
    opened.set(token, offer);
  }
  return offer;
}

/** The one-time setup link (`/setup#token=…`): the authenticator app first, then a password and the app's first code. */
export function Setup() {
  const token = tokenFromLink(useLocation().hash);
  const { refresh } = useConsoleSession();
  const navigate = useNavigate();
  const [offer, setOffer] = useState<SetupOffer & { qr: string }>();
  const [lookupError, setLookupError] = useState<unknown>(
    token ? undefined : new Error('This setup link is incomplete: open it exactly as the operator gave it to you.'),
  );
  const { error, busy, run, setError } = useAction();

  useEffect(() => {
    if (!token) return;
    openSetup(token).then(async (found) => setOffer({ ...found, qr: await qrOf(found.otpauthUrl) }), setLookupError);
  }, [token]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    if (form.get('password') !== form.get('again')) {
      setError(new Error('The two passwords differ. Type the same one twice.'));
      return;
    }
    void run(async () => {
      const me = await api<StaffMe>('POST', '/console/setup', {
        token,
        password: form.get('password'),
        code: String(form.get('code') ?? '').trim(),
      });
      history.replaceState(null, '', window.location.pathname); // the spent token leaves the address bar
      await refresh(me);
      navigate('/', { replace: true });
    });
  };

  if (lookupError)
    return (
      <AuthCard brand="Steadfast console" title="Set up your console account">
        <ErrorAlert error={lookupError} />
      </AuthCard>
    );
  if (!offer)
    return (
      <AuthCard brand="Steadfast console" title="Set up your console account">
        <p className="muted">Opening the setup link…</p>
      </AuthCard>
    );

  // The server names no field for these two problems: they belong beside their field all the same.
  const problem = error instanceof ApiError ? error.code : undefined;
  const message = error instanceof Error ? error.message : undefined;
  const passwordError = fieldError(error, 'password') ?? (problem === 'WEAK_PASSWORD' ? message : undefined);
  const codeError = fieldError(error, 'code') ?? (problem === 'SECOND_FACTOR_FAILED' ? message : undefined);
  return (
    <AuthCard
      brand="Steadfast console"
      title="Set up your console account"
      intro={
        <>
          For {offer.name} ({offer.email}). The console asks for a password and a code from an authenticator app at
          every sign-in.
        </>
      }
    >
      <form onSubmit={submit} noValidate>
        <ErrorAlert error={passwordError || codeError ? undefined : error} />
        <div className="step">
          <h2 className="step-title">1. Add Steadfast console to your authenticator app</h2>
          <p className="small">Scan this code, or type the key below.</p>
          <AuthenticatorKey qr={offer.qr} secret={offer.secret} grouped />
        </div>
        <div className="step">
          <h2 className="step-title">2. Choose a password</h2>
          <Field
            label="New password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            hint={passwordHint}
            error={passwordError}
          />
          <Field label="The same password again" name="again" type="password" autoComplete="new-password" required />
        </div>
        <div className="step">
          <h2 className="step-title">3. Confirm with the app</h2>
          <Field
            label="Code from the app"
            name="code"
            className="code-input"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9 ]*"
            maxLength={7}
            required
            error={codeError}
          />
        </div>
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Setting up…' : 'Finish setup'}
        </button>
      </form>
    </AuthCard>
  );
}
