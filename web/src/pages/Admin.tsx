import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, fieldError, type Role } from '../api';
import { useSession } from '../session';
import { ActionButton } from '../ui/ActionButton';
import { ErrorAlert, Field, Notice } from '../ui/Field';
import { Shell } from '../ui/Shell';
import { TableHead } from '../ui/TableHead';
import { useAction, useList, when } from '../ui/useAction';
import { SupportAccess } from './SupportAccess';

const roles: Role[] = ['owner', 'admin', 'member', 'viewer'];
const rank: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export function Admin() {
  return (
    <Shell>
      <h1>Workspace settings</h1>
      <Members />
      <Invitations />
      <Security />
      <SupportAccess />
      <Audit />
    </Shell>
  );
}

interface Member {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

function Members() {
  const { me } = useSession();
  const { error, run } = useAction();
  const { items: members, load } = useList<Member>('/members', run);
  if (!me) return null;
  const mine = rank[me.user.role];
  const change = (member: Member, role: Role) =>
    void run(async () => {
      await api('PATCH', `/members/${member.id}`, { role });
      await load();
    });
  const resetFactors = (member: Member) => {
    if (
      !window.confirm(
        `Reset the second factors of ${member.name}? Their authenticator app, recovery codes and passkeys stop working and they are signed out; they sign in with their password and set up new ones.`,
      )
    )
      return;
    void run(async () => {
      await api('DELETE', `/members/${member.id}/second-factors`);
      await load();
    });
  };
  const remove = (member: Member) => {
    if (!window.confirm(`Remove ${member.name} (${member.email}) from the workspace? Their sessions and tokens end.`))
      return;
    void run(async () => {
      await api('DELETE', `/members/${member.id}`);
      await load();
    });
  };
  return (
    <section className="panel" aria-labelledby="members">
      <h2 id="members">Members</h2>
      <ErrorAlert error={error} />
      <table className="table stack">
        <TableHead columns={['Name', 'Email', 'Role']} action />
        <tbody>
          {members.map((member) => {
            const editable = !me.support && member.id !== me.user.id && rank[member.role] <= mine;
            return (
              <tr key={member.id}>
                <td>{member.name}</td>
                <td>{member.email}</td>
                <td>
                  {editable ? (
                    <select
                      aria-label={`Role of ${member.name}`}
                      value={member.role}
                      onChange={(event) => change(member, event.target.value as Role)}
                    >
                      {roles
                        .filter((role) => rank[role] <= mine)
                        .map((role) => (
                          <option key={role} value={role}>
                            {role}
                          </option>
                        ))}
                    </select>
                  ) : (
                    <span className="badge">{member.role}</span>
                  )}
                </td>
                <td>
                  {editable && (
                    <div className="row">
                      <ActionButton tone="secondary" onClick={() => resetFactors(member)}>
                        Reset 2FA
                      </ActionButton>
                      <ActionButton tone="danger" onClick={() => remove(member)}>
                        Remove
                      </ActionButton>
                    </div>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

interface Invitation {
  id: string;
  email: string;
  role: Role;
  invitedBy: string | null;
  expiresAt: string;
}

function Invitations() {
  const { me } = useSession();
  const [sent, setSent] = useState<string | undefined>();
  const { error, busy, run } = useAction();
  const { items: invitations, load } = useList<Invitation>('/invitations', run);
  if (!me) return null;
  const invite = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void run(async () => {
      const made = await api<Invitation>('POST', '/invitations', { email: data.get('email'), role: data.get('role') });
      setSent(`Invitation sent to ${made.email}. The link works once, for 7 days.`);
      form.reset();
      await load();
    });
  };
  const withdraw = (invitation: Invitation) =>
    void run(async () => {
      await api('DELETE', `/invitations/${invitation.id}`);
      await load();
    });
  // Support changes nothing: it sees the open invitations, without the form or the buttons.
  const readOnly = me.support !== undefined;
  return (
    <section className="panel" aria-labelledby="invitations">
      <h2 id="invitations">{readOnly ? 'Invitations' : 'Invite people'}</h2>
      {readOnly && <ErrorAlert error={error} />}
      {readOnly && invitations.length === 0 && <p className="muted">No open invitations.</p>}
      {!readOnly && (
        <form onSubmit={invite} noValidate>
          {sent && <Notice>{sent}</Notice>}
          <ErrorAlert error={fieldError(error, 'email') ? undefined : error} />
          <Field label="Email" name="email" type="email" required error={fieldError(error, 'email')} />
          <div className="field">
            <label htmlFor="invite-role">Role</label>
            <select id="invite-role" name="role" defaultValue="member">
              {roles
                .filter((role) => rank[role] <= rank[me.user.role])
                .map((role) => (
                  <option key={role} value={role}>
                    {role}
                  </option>
                ))}
            </select>
          </div>
          <div>
            <button className="primary" type="submit" disabled={busy}>
              Send invitation
            </button>
          </div>
        </form>
      )}
      {invitations.length > 0 && (
        <table className="table stack">
          <TableHead columns={['Invited', 'Role', 'Expires']} action />
          <tbody>
            {invitations.map((invitation) => (
              <tr key={invitation.id}>
                <td>{invitation.email}</td>
                <td>{invitation.role}</td>
                <td>{when(invitation.expiresAt)}</td>
                <td>
                  {!readOnly && (
                    <button className="danger" type="button" onClick={() => withdraw(invitation)}>
                      Withdraw
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export interface SecuritySettings {
  requireTwoFactor: boolean;
  ipAllowList: string[];
  supportApproval: boolean;
}

function Security() {
  const readOnly = useSession().me?.support !== undefined;
  const [settings, setSettings] = useState<SecuritySettings | undefined>();
  const [lockout, setLockout] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);
  const { error, busy, run } = useAction();
  useEffect(() => void run(async () => setSettings(await api<SecuritySettings>('GET', '/security'))), [run]);
  if (!settings) return null;
  const save =
    (confirmLockout = false) =>
    (event?: FormEvent<HTMLFormElement>) => {
      event?.preventDefault();
      const form = document.getElementById('security-form') as HTMLFormElement;
      const data = new FormData(form);
      const ipAllowList = String(data.get('allow') ?? '')
        .split(/[\s,]+/)
        .filter(Boolean);
      void run(async () => {
        setSaved(false);
        try {
          setSettings(
            await api<SecuritySettings>('PATCH', '/security', {
              requireTwoFactor: data.get('twoFactor') === 'on',
              ipAllowList,
              ...(confirmLockout ? { confirmLockout: true } : {}),
            }),
          );
          setLockout(undefined);
          setSaved(true);
        } catch (caught) {
          if (caught instanceof ApiError && caught.code === 'CONFIRMATION_REQUIRED') setLockout(caught.message);
          else throw caught;
        }
      });
    };
  return (
    <section className="panel" aria-labelledby="security">
      <h2 id="security">Sign-in rules</h2>
      <form id="security-form" onSubmit={save()} noValidate>
        {saved && <Notice>Saved.</Notice>}
        <ErrorAlert error={error} />
        <fieldset disabled={readOnly}>
          <div className="check">
            <input id="two-factor-rule" name="twoFactor" type="checkbox" defaultChecked={settings.requireTwoFactor} />
            <label htmlFor="two-factor-rule">Everyone must use two-factor authentication</label>
          </div>
          <div className="field">
            <label htmlFor="allow-list">IP allow-list</label>
            <textarea
              id="allow-list"
              name="allow"
              rows={4}
              defaultValue={settings.ipAllowList.join('\n')}
              aria-describedby="allow-list-hint"
              placeholder="203.0.113.0/24"
            />
            <span className="hint" id="allow-list-hint">
              Addresses or CIDR blocks, one per line. Empty: every address may reach the workspace.
            </span>
          </div>
        </fieldset>
        {lockout && (
          <div className="alert error" role="alert">
            <p>{lockout}</p>
            <button className="danger" type="button" onClick={() => save(true)()}>
              Save anyway
            </button>
          </div>
        )}
        {!readOnly && (
          <div>
            <button className="primary" type="submit" disabled={busy}>
              Save rules
            </button>
          </div>
        )}
      </form>
    </section>
  );
}

interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
}

function Audit() {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [filter, setFilter] = useState<{ action?: string; actor?: string }>({});
  const { error, busy, run } = useAction();
  const query = useCallback(
    (before?: number) => {
      const params = new URLSearchParams({ limit: '50' });
      if (filter.action) params.set('action', filter.action);
      if (filter.actor) params.set('actor', filter.actor);
      if (before) params.set('before', String(before));
      return params;
    },
    [filter],
  );
  const load = useCallback(
    (before?: number) =>
      run(async () => {
        const page = await api<{ entries: AuditEntry[]; next: number | null }>('GET', `/audit?${query(before)}`);
        setEntries((shown) => (before ? [...shown, ...page.entries] : page.entries));
        setNext(page.next);
      }),
    [run, query],
  );
  useEffect(() => void load(), [load]);
  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setFilter({
      action: String(data.get('action') ?? '') || undefined,
      actor: String(data.get('actor') ?? '') || undefined,
    });
  };
  const csv = new URLSearchParams(query());
  csv.delete('limit');
  return (
    <section className="panel" aria-labelledby="audit">
      <h2 id="audit">Audit log</h2>
      <form onSubmit={apply} className="row top" noValidate>
        <Field label="Action (or its start, like session.)" name="action" defaultValue={filter.action} />
        <Field label="Actor (like user:ada@example.com)" name="actor" defaultValue={filter.actor} />
        <div className="row">
          <button className="secondary" type="submit">
            Filter
          </button>
          <a href={`/api/v1/audit.csv?${csv}`} download>
            Export CSV
          </a>
        </div>
      </form>
      <ErrorAlert error={fieldError(error, 'action') ?? error} />
      <table className="table stack">
        <TableHead columns={['When', 'Who', 'What', 'Address']} />
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td>{when(entry.at)}</td>
              <td>{entry.actor}</td>
              <td>
                <strong>{entry.action}</strong> {entry.target}
                {Object.keys(entry.detail).length > 0 && (
                  <div className="muted small">{JSON.stringify(entry.detail)}</div>
                )}
              </td>
              <td>{entry.ip ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && (
        <button className="secondary" type="button" disabled={busy} onClick={() => void load(next)}>
          Older entries
        </button>
      )}
    </section>
  );
}
