import { startRegistration, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import { useState, type FormEvent } from 'react';
import { api, fieldError } from '../api';
import { useSession } from '../session';
import { ErrorAlert, Field, Notice } from '../ui/Field';
import { Shell } from '../ui/Shell';
import { TableHead } from '../ui/TableHead';
import { AuthenticatorKey, qrOf } from '../ui/AuthenticatorKey';
import { useAction, useList, when } from '../ui/useAction';
import { DigestSetting } from '../work/notifications/DigestSetting';
import { passwordHint } from './ResetPassword';

export function Account() {
  const { me } = useSession();
  if (!me) return null;
  return (
    <Shell>
      <h1>Your account</h1>
      {me.twoFactor.setupRequired && (
        <div className="alert error" role="alert">
          This workspace requires two-factor authentication. Set up an authenticator app or add a passkey below to go
          on.
        </div>
      )}
      <section className="panel" aria-labelledby="profile">
        <h2 id="profile">Profile</h2>
        <p>
          {me.user.name} · {me.user.email} · <span className="badge">{me.user.role}</span>
        </p>
      </section>
      <DigestSetting />
      <TwoFactor />
      <Passkeys />
      <Password />
      <Sessions />
      <Tokens />
    </Shell>
  );
}

function Password() {
  const { error, busy, run } = useAction();
  const [saved, setSaved] = useState(false);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void run(async () => {
      await api('PUT', '/me/password', { currentPassword: data.get('current'), newPassword: data.get('next') });
      form.reset();
      setSaved(true);
    });
  };
  return (
    <section className="panel" aria-labelledby="password">
      <h2 id="password">Password</h2>
      <form onSubmit={submit} noValidate>
        {saved && <Notice>Password changed. Your other sessions have been signed out.</Notice>}
        <ErrorAlert error={error} />
        <Field label="Current password" name="current" type="password" autoComplete="current-password" required />
        <Field
          label="New password"
          name="next"
          type="password"
          autoComplete="new-password"
          required
          hint={passwordHint}
        />
        <div>
          <button className="primary" type="submit" disabled={busy}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}

function TwoFactor() {
  const { me, refresh } = useSession();
  const { error, busy, run } = useAction();
  const [setup, setSetup] = useState<{ secret: string; qr: string } | undefined>();
  const [codes, setCodes] = useState<string[] | undefined>();
  if (!me) return null;

  const begin = () =>
    void run(async () => {
      const started = await api<{ secret: string; otpauthUrl: string }>('POST', '/me/totp');
      setSetup({ secret: started.secret, qr: await qrOf(started.otpauthUrl) });
    });
  const confirm = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const code = new FormData(event.currentTarget).get('code');
    void run(async () => {
      const answer = await api<{ recoveryCodes: string[] }>('POST', '/me/totp/confirm', { code });
      setSetup(undefined);
      setCodes(answer.recoveryCodes);
      await refresh();
    });
  };
  const withPassword = (method: 'DELETE' | 'POST', path: string) => (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const password = new FormData(event.currentTarget).get('password');
    void run(async () => {
      const answer = await api<{ recoveryCodes: string[] } | undefined>(method, path, { password });
      setCodes(answer?.recoveryCodes);
      await refresh();
    });
  };

  return (
    <section className="panel" aria-labelledby="two-factor-title" id="two-factor">
      <h2 id="two-factor-title">Two-factor authentication</h2>
      <ErrorAlert error={error} />
      {codes && (
        <div>
          <p>
            <strong>Your recovery codes.</strong> Each signs you in once if you lose your phone. Save them somewhere
            safe now: they are not shown again.
          </p>
          <ul className="codes" aria-label="Recovery codes">
            {codes.map((code) => (
              <li key={code}>{code}</li>
            ))}
          </ul>
        </div>
      )}
      {me.twoFactor.totp ? (
        <>
          <p>
            An authenticator app is set up.{' '}
            <span className="muted">{me.twoFactor.recoveryCodesLeft} recovery codes left.</span>
          </p>
          <div className="row top">
            <PasswordForm
              label="Password, for new recovery codes"
              button="New recovery codes"
              kind="secondary"
              busy={busy}
              onSubmit={withPassword('POST', '/me/recovery-codes')}
            />
            <PasswordForm
              label="Password, to remove the app"
              button="Remove authenticator app"
              kind="danger"
              busy={busy}
              onSubmit={withPassword('DELETE', '/me/totp')}
            />
          </div>
        </>
      ) : setup ? (
        <form onSubmit={confirm} noValidate>
          <p>Scan this code with your authenticator app (or type the key), then type the 6-digit code it shows.</p>
          <AuthenticatorKey qr={setup.qr} secret={setup.secret} />
          <Field
            label="Code from the app"
            name="code"
            className="code-input"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            error={fieldError(error, 'code')}
          />
          <div>
            <button className="primary" type="submit" disabled={busy}>
              Turn on two-factor authentication
            </button>
          </div>
        </form>
      ) : (
        <>
          <p className="muted">Sign-in then asks for a code from an app on your phone as well as your password.</p>
          <button className="primary" type="button" onClick={begin} disabled={busy}>
            Set up an authenticator app
          </button>
        </>
      )}
    </section>
  );
}

/** A change to one's account that the current password confirms: one field and its button. */
function PasswordForm(props: {
  label: string;
  button: string;
  kind: 'secondary' | 'danger';
  busy: boolean;
  onSubmit(event: FormEvent<HTMLFormElement>): void;
}) {
  return (
    <form onSubmit={props.onSubmit} noValidate>
      <Field label={props.label} name="password" type="password" autoComplete="current-password" required />
      <div>
        <button className={props.kind} type="submit" disabled={props.busy}>
          {props.button}
        </button>
      </div>
    </form>
  );
}

interface PasskeyRow {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

function Passkeys() {
  const { refresh } = useSession();
  const [added, setAdded] = useState<string | undefined>();
  const { error, busy, run, setError } = useAction();
  const { items: keys, load } = useList<PasskeyRow>('/me/passkeys', run);
  const add = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const name = new FormData(form).get('name');
    void run(async () => {
      const optionsJSON = await api<PublicKeyCredentialCreationOptionsJSON>('POST', '/me/passkeys/options');
      let response;
      try {
        response = await startRegistration({ optionsJSON });
      } catch (caught) {
        setError(
          new Error(
            caught instanceof Error && caught.name === 'InvalidStateError'
              ? 'This device already holds a passkey for your account.'
              : 'No passkey was made: the browser or the device said no.',
          ),
        );
        return;
      }
      const key = await api<PasskeyRow>('POST', '/me/passkeys', { name, response });
      setAdded(`Passkey "${key.name}" added: sign in with it, without a password.`);
      form.reset();
      await load();
      await refresh();
    });
  };
  const remove = (key: PasskeyRow) =>
    void run(async () => {
      await api('DELETE', `/me/passkeys/${encodeURIComponent(key.id)}`);
      await load();
      await refresh();
    });
  return (
    <section className="panel" aria-labelledby="passkeys">
      <h2 id="passkeys">Passkeys</h2>
      <p className="muted">
        A passkey signs you in with your device's lock (fingerprint, face or PIN) instead of a password, and works as a
        second factor too.
      </p>
      {added && <Notice>{added}</Notice>}
      <ErrorAlert error={fieldError(error, 'name') ? undefined : error} />
      {keys.length > 0 && (
        <table className="table stack">
          <TableHead columns={['Name', 'Added', 'Last used']} action />
          <tbody>
            {keys.map((key) => (
              <tr key={key.id}>
                <td>{key.name}</td>
                <td>{when(key.createdAt)}</td>
                <td>{when(key.lastUsedAt)}</td>
                <td>
                  <button className="danger" type="button" onClick={() => remove(key)}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={add} noValidate>
        <Field label="Passkey name" name="name" required placeholder="Work laptop" error={fieldError(error, 'name')} />
        <div>
          <button className="primary" type="submit" disabled={busy}>
            Add a passkey
          </button>
        </div>
      </form>
    </section>
  );
}

interface SessionRow {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

/** A user agent as a person reads it: the browser and the system, roughly. */
function device(agent: string | null): string {
  if (!agent) return 'Unknown device';
  const browser = /(Firefox|Edg|Chrome|Safari)\/[\d.]+/.exec(agent)?.[1]?.replace('Edg', 'Edge') ?? 'Browser';
  const system = /(Windows|Mac OS X|Android|iPhone|iPad|Linux)/.exec(agent)?.[1]?.replace('Mac OS X', 'macOS') ?? '';
  return system ? `${browser} on ${system}` : browser;
}

function Sessions() {
  const { error, run } = useAction();
  const { items: sessions, load } = useList<SessionRow>('/me/sessions', run);
  const revoke = (id: string) =>
    void run(async () => {
      await api('DELETE', `/me/sessions/${id}`);
      await load();
    });
  return (
    <section className="panel" aria-labelledby="sessions">
      <h2 id="sessions">Where you are signed in</h2>
      <ErrorAlert error={error} />
      <table className="table stack">
        <TableHead columns={['Device', 'Address', 'Last seen']} action />
        <tbody>
          {sessions.map((session) => (
            <tr key={session.id}>
              <td>
                {device(session.userAgent)} {session.current && <span className="badge">this one</span>}
              </td>
              <td>{session.ip ?? '—'}</td>
              <td>{when(session.lastSeenAt)}</td>
              <td>
                {!session.current && (
                  <button className="danger" type="button" onClick={() => revoke(session.id)}>
                    Sign out
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface TokenRow {
  id: string;
  name: string;
  scope: 'read' | 'read-write';
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
}

function Tokens() {
  const [made, setMade] = useState<string | undefined>();
  const { error, busy, run } = useAction();
  const { items: tokens, load } = useList<TokenRow>('/me/tokens', run);
  const create = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void run(async () => {
      const answer = await api<{ token: string }>('POST', '/me/tokens', {
        name: data.get('name'),
        scope: data.get('scope'),
        expiresInDays: Number(data.get('days')),
      });
      setMade(answer.token);
      form.reset();
      await load();
    });
  };
  const revoke = (id: string) =>
    void run(async () => {
      await api('DELETE', `/me/tokens/${id}`);
      await load();
    });
  return (
    <section className="panel" aria-labelledby="tokens">
      <h2 id="tokens">API tokens</h2>
      <p className="muted small">
        For scripts and integrations: send one as <code>Authorization: Bearer …</code>.
      </p>
      <ErrorAlert error={error} />
      {made && (
        <Notice>
          Your new token (copy it now, it is not shown again): <span className="secret">{made}</span>
        </Notice>
      )}
      {tokens.length > 0 && (
        <table className="table stack">
          <TableHead columns={['Name', 'Access', 'Expires', 'Last used']} action />
          <tbody>
            {tokens.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>{token.scope === 'read' ? 'Read' : 'Read and write'}</td>
                <td>{when(token.expiresAt)}</td>
                <td>{when(token.lastUsedAt)}</td>
                <td>
                  <button className="danger" type="button" onClick={() => revoke(token.id)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={create} noValidate>
        <Field label="Token name" name="name" required placeholder="CI deploys" error={fieldError(error, 'name')} />
        <div className="field">
          <label htmlFor="token-scope">Access</label>
          <select id="token-scope" name="scope" defaultValue="read">
            <option value="read">Read only</option>
            <option value="read-write">Read and write (acts with your role)</option>
          </select>
        </div>
        <Field label="Expires after (days)" name="days" type="number" min={1} max={365} defaultValue={90} required />
        <div>
          <button className="primary" type="submit" disabled={busy}>
            Create token
          </button>
        </div>
      </form>
    </section>
  );
}
