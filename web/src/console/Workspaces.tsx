import { useCallback, useState } from 'react';
import { ActionButton } from '../ui/ActionButton';
import { ErrorAlert } from '../ui/Field';
import { moment, type Grant } from '../ui/grants';
import { TableHead } from '../ui/TableHead';
import { useList } from '../ui/useAction';
import { ConsoleShell } from './ConsoleShell';
import { Grants } from './Grants';
import { PlatformAudit, type PlatformAuditEntry } from './PlatformAudit';
import { RequestAccess, type Workspace } from './RequestAccess';
import { useConsoleSession, useStaffAction } from './session';

/** What a new grant means for the one who asked, in a sentence. */
function requested(grant: Grant, name: string): string {
  return grant.status === 'pending'
    ? `${name} approves each support request first: its owners and admins were mailed. Enter appears here once one approves.`
    : `Access to ${name} is open until ${moment(grant.expiresAt)}: enter it from the grant below.`;
}

/** The console's home: every workspace (to ask for access), the support grants, the platform audit log. */
export function Workspaces() {
  const { me } = useConsoleSession();
  const workspaceAction = useStaffAction();
  const grantAction = useStaffAction();
  const auditAction = useStaffAction();
  const { items: unsorted } = useList<Workspace>('/console/tenants', workspaceAction.run);
  const { items: grants, load: loadGrants } = useList<Grant>('/console/grants', grantAction.run);
  const { items: audit, load: loadAudit } = useList<PlatformAuditEntry>('/console/audit', auditAction.run);
  const [asking, setAsking] = useState<Workspace | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const reload = useCallback(async () => {
    await Promise.all([loadGrants(), loadAudit()]);
  }, [loadGrants, loadAudit]);
  if (!me) return null;
  const workspaces = [...unsorted].sort((a, b) => a.name.localeCompare(b.name));
  const names = new Map(workspaces.map((workspace) => [workspace.slug, workspace.name]));

  return (
    <ConsoleShell>
      <section className="panel" aria-labelledby="workspaces">
        <h1 id="workspaces">Workspaces</h1>
        <p className="muted">
          Staff enter a workspace only under a support grant: ask with a reason, for a limited time. The workspace sees
          who asked, why, and every page opened.
        </p>
        <ErrorAlert error={workspaceAction.error} />
        <table className="table stack">
          <TableHead columns={['Name', 'Slug', 'Status', 'Created']} action />
          <tbody>
            {workspaces.map((workspace) => (
              <tr key={workspace.slug}>
                <td>{workspace.name}</td>
                <td>
                  <code>{workspace.slug}</code>
                </td>
                <td>
                  <span className={`badge ${workspace.status === 'active' ? 'ok' : 'quiet'}`}>{workspace.status}</span>
                </td>
                <td>{new Date(workspace.createdAt).toLocaleDateString()}</td>
                <td>
                  <ActionButton
                    tone="secondary"
                    about={`to ${workspace.name}`}
                    disabled={workspace.status !== 'active'}
                    onClick={() => {
                      setNotice(undefined);
                      setAsking(workspace);
                    }}
                  >
                    Request access
                  </ActionButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <Grants
        grants={grants}
        names={names}
        mine={me.staff.email}
        notice={notice}
        error={grantAction.error}
        run={grantAction.run}
        load={reload}
      />
      <PlatformAudit entries={audit} names={names} error={auditAction.error} load={loadAudit} />
      {asking && (
        <RequestAccess
          workspace={asking}
          onClose={() => setAsking(undefined)}
          onRequested={(grant) => {
            setNotice(requested(grant, asking.name));
            void reload();
          }}
        />
      )}
    </ConsoleShell>
  );
}
