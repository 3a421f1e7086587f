import { useEffect, useRef, useState } from 'react';
import { useLocation } from 'react-router';
import { api } from '../api';
import { useSession } from '../session';
import { ActionButton } from '../ui/ActionButton';
import { ErrorAlert, Notice } from '../ui/Field';
import { grantTiming, GrantStatusBadge, moment, type Grant } from '../ui/grants';
import { TableHead } from '../ui/TableHead';
import { useAction, useList } from '../ui/useAction';
import type { SecuritySettings } from './Admin';

/**
 * The workspace settings' "Support access" section (`/admin#support`, where the request mail
 * points): whether Steadfast support must ask first, and every grant, to approve, deny or revoke.
 */
export function SupportAccess() {
  const readOnly = useSession().me?.support !== undefined;
  const { error, run } = useAction();
  const { items: grants, load } = useList<Grant>('/support/grants', run);
  const [approval, setApproval] = useState<boolean | undefined>();
  const [saved, setSaved] = useState<string | undefined>();
  useEffect(
    () => void run(async () => setApproval((await api<SecuritySettings>('GET', '/security')).supportApproval)),
    [run],
  );
  useScrollIntoViewWhenNamed('support', approval !== undefined);

  // The box follows the click at once (and goes back if the change is refused).
  const toggle = (ask: boolean) => {
    setApproval(ask);
    setSaved(undefined);
    void run(async () => {
      try {
        const settings = await api<SecuritySettings>('PATCH', '/security', { supportApproval: ask });
        setApproval(settings.supportApproval);
        setSaved(
          settings.supportApproval
            ? 'Saved. Support now asks first: owners and admins are mailed each request, to approve here.'
            : 'Saved. Support enters without asking; each entry is still in the audit log.',
        );
      } catch (caught) {
        setApproval(!ask);
        throw caught;
      }
    });
  };
  const act = (method: 'POST' | 'DELETE', path: string) =>
    void run(async () => {
      await api(method, path);
      await load();
    });

  return (
    <section className="panel" aria-labelledby="support-title" id="support">
      <h2 id="support-title">Support access</h2>
      <p className="muted">
        Steadfast support enters this workspace only under a grant: with a reason, for a limited time, seeing what an
        admin sees and changing nothing. Every page it opens is in the audit log below.
      </p>
      {saved && <Notice>{saved}</Notice>}
      <ErrorAlert error={error} />
      {approval !== undefined && (
        <div className="check">
          <input
            id="support-approval"
            type="checkbox"
            checked={approval}
            disabled={readOnly}
            aria-describedby="support-approval-hint"
            onChange={(event) => toggle(event.target.checked)}
          />
          <div>
            <label htmlFor="support-approval">Ask us before support enters</label>
            <div className="hint small muted" id="support-approval-hint">
              Each request then waits for an owner or admin to approve it here.
            </div>
          </div>
        </div>
      )}
      {grants.length === 0 ? (
        <p className="muted small">Support has not asked for access yet.</p>
      ) : (
        <table className="table stack">
          <TableHead columns={['Staff', 'Reason', 'Status', 'Requested', 'Until']} action={!readOnly} />
          <tbody>
            {grants.map((grant) => (
              <tr key={grant.id}>
                <td>
                  {grant.staff.name}
                  <div className="muted small">{grant.staff.email}</div>
                </td>
                <td>{grant.reason}</td>
                <td>
                  <GrantStatusBadge status={grant.status} />
                </td>
                <td className="nowrap">{moment(grant.createdAt)}</td>
                <td>{grantTiming(grant)}</td>
                {!readOnly && (
                  <td>
                    <div className="row">
                      {grant.status === 'pending' && (
                        <>
                          <ActionButton
                            tone="primary"
                            onClick={() => act('POST', `/support/grants/${grant.id}/approve`)}
                          >
                            Approve
                          </ActionButton>
                          <ActionButton
                            tone="secondary"
                            onClick={() => act('POST', `/support/grants/${grant.id}/deny`)}
                          >
                            Deny
                          </ActionButton>
                        </>
                      )}
                      {grant.status === 'active' && (
                        <ActionButton tone="danger" onClick={() => act('DELETE', `/support/grants/${grant.id}`)}>
                          Revoke
                        </ActionButton>
                      )}
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Scrolls to this section once it is drawn, when the address names it (`#id`): the router does not. */
function useScrollIntoViewWhenNamed(id: string, drawn: boolean): void {
  const { hash } = useLocation();
  const done = useRef(false);
  useEffect(() => {
    if (!drawn || done.current || hash !== `#${id}`) return;
    done.current = true;
    document.getElementById(id)?.scrollIntoView();
  }, [id, drawn, hash]);
}
