import { useEffect } from 'react';
import { api } from '../api';
import { ActionButton } from '../ui/ActionButton';
import { ErrorAlert, Notice } from '../ui/Field';
import { grantTiming, GrantStatusBadge, type Grant } from '../ui/grants';
import { RefreshHead } from '../ui/RefreshHead';
import { TableHead } from '../ui/TableHead';

/** While one of mine waits for a workspace's approval, the list is asked again this often (ms). */
const pendingPollMs = 10_000;

/**
 * Every support grant, newest first; one's own can be entered (a one-time link into the workspace,
 * in this tab) while active, and ended while pending or active.
 */
export function Grants({
  grants,
  names,
  mine,
  notice,
  error,
  run,
  load,
}: {
  grants: Grant[];
  /** Workspaces' names by slug. */
  names: ReadonlyMap<string, string>;
  /** The signed-in member of staff's email. */
  mine: string;
  notice: string | undefined;
  error: unknown;
  run(work: () => Promise<void>): Promise<void>;
  /** Asks again for the grants (and what else their change touches). */
  load(): Promise<void>;
}) {
  const waiting = grants.some((grant) => grant.staff.email === mine && grant.status === 'pending');
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(() => void load(), pendingPollMs);
    return () => clearInterval(timer);
  }, [waiting, load]);

  const enter = (grant: Grant) =>
    void run(async () => {
      const link = await api<{ url: string }>('POST', `/console/grants/${grant.id}/entry`);
      window.location.assign(link.url);
    });
  const end = (grant: Grant) =>
    void run(async () => {
      await api('DELETE', `/console/grants/${grant.id}`);
      await load();
    });

  return (
    <section className="panel" aria-labelledby="grants">
      <RefreshHead onRefresh={load}>
        <h2 id="grants">Support grants</h2>
      </RefreshHead>
      {notice && <Notice>{notice}</Notice>}
      <ErrorAlert error={error} />
      {grants.length === 0 ? (
        <p className="muted small">No grants yet: request access to a workspace above.</p>
      ) : (
        <table className="table stack">
          <TableHead columns={['Workspace', 'Staff', 'Reason', 'Status', 'Until']} action />
          <tbody>
            {grants.map((grant) => {
              const own = grant.staff.email === mine;
              const name = names.get(grant.tenant) ?? grant.tenant;
              return (
                <tr key={grant.id}>
                  <td>{name}</td>
                  <td>
                    {grant.staff.name} {own && <span className="muted small">(you)</span>}
                  </td>
                  <td>{grant.reason}</td>
                  <td>
                    <GrantStatusBadge status={grant.status} />
                  </td>
                  <td>{grantTiming(grant)}</td>
                  <td>
                    {own && (grant.status === 'active' || grant.status === 'pending') && (
                      <div className="row">
                        {grant.status === 'active' && (
                          <ActionButton tone="primary" about={name} onClick={() => enter(grant)}>
                            Enter
                          </ActionButton>
                        )}
                        <ActionButton tone="danger" about={`the grant to ${name}`} onClick={() => end(grant)}>
                          End
                        </ActionButton>
                      </div>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
