import { useState } from 'react';
import { ErrorAlert } from '../ui/Field';
import { moment } from '../ui/grants';
import { RefreshHead } from '../ui/RefreshHead';
import { TableHead } from '../ui/TableHead';

export interface PlatformAuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  tenant: string | null;
  detail: Record<string, unknown>;
}

/** Entries shown at first, and added by each "Show more". */
const pageSize = 25;

/** The platform audit log's recent entries (staff accounts, sign-ins, grants), newest first. */
export function PlatformAudit({
  entries,
  names,
  error,
  load,
}: {
  entries: PlatformAuditEntry[];
  names: ReadonlyMap<string, string>;
  error: unknown;
  load(): Promise<void>;
}) {
  const [shown, setShown] = useState(pageSize);
  return (
    <section className="panel" aria-labelledby="platform-audit">
      <RefreshHead onRefresh={load}>
        <h2 id="platform-audit">Platform audit log</h2>
      </RefreshHead>
      <ErrorAlert error={error} />
      <table className="table stack">
        <TableHead columns={['When', 'Who', 'What', 'Workspace']} />
        <tbody>
          {entries.slice(0, shown).map((entry) => (
            <tr key={entry.id}>
              <td className="nowrap">{moment(entry.at)}</td>
              <td>{entry.actor}</td>
              <td>
                <strong>{entry.action}</strong>
                {Object.keys(entry.detail).length > 0 && (
                  <div className="muted small detail">{JSON.stringify(entry.detail)}</div>
                )}
              </td>
              <td>{entry.tenant ? (names.get(entry.tenant) ?? entry.tenant) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {entries.length > shown && (
        <button className="secondary" type="button" onClick={() => setShown(shown + pageSize * 2)}>
          Show more
        </button>
      )}
    </section>
  );
}
