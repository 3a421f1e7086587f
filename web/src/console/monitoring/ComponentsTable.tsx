import { useState } from 'react';
import { api } from '../../api';
import { ActionButton } from '../../ui/ActionButton';
import { ErrorAlert } from '../../ui/Field';
import { TableHead } from '../../ui/TableHead';
import { useStaffAction } from '../session';
import { EditComponent } from './EditComponent';
import { shownState, StateBadge, stateWords } from './states';
import { ago } from './time';
import type { LocationReading, StatusComponent } from './types';

/** What a check looks at, in one line: the URL with what it expects, or host and port. */
export function targetText(component: StatusComponent): string | undefined {
  const target = component.target;
  const text = (key: string) =>
    typeof target[key] === 'string' || typeof target[key] === 'number' ? String(target[key]) : '';
  switch (component.kind) {
    case 'builtin':
      return undefined;
    case 'http':
      return [
        `HTTP ${text('url')}`,
        text('expectStatus') && `expects ${text('expectStatus')}`,
        text('keyword') && `with “${text('keyword')}”`,
      ]
        .filter(Boolean)
        .join(', ');
    case 'tcp':
      return `TCP ${text('host')}:${text('port')}`;
    case 'tls':
      return `TLS certificate of ${text('host')}:${text('port') || '443'}${text('warnDays') ? `, warns ${text('warnDays')} days ahead` : ''}`;
  }
}

/** The latest reading among the locations: what the table shows as the component's last response. */
const latest = (readings: LocationReading[]) =>
  readings.reduce<LocationReading | undefined>(
    (last, reading) => (!last || reading.at > last.at ? reading : last),
    undefined,
  );

const outage = (component: StatusComponent) =>
  component.state === 'partial_outage' || component.state === 'major_outage';

function Readings({ component }: { component: StatusComponent }) {
  const last = latest(component.locations);
  if (!last) return <span className="muted">No reading yet</span>;
  const several = component.locations.length > 1;
  return (
    <>
      {several ? (
        <ul className="plain-list">
          {component.locations.map((reading) => (
            <li key={reading.location}>
              <strong>{reading.location}</strong>: {reading.message}
              {reading.state !== component.state && <span className="muted"> ({stateWords[reading.state]})</span>}
            </li>
          ))}
        </ul>
      ) : (
        <div>{last.message}</div>
      )}
      <div className="muted small">{ago(last.at)}</div>
      {component.seenDownFrom.length > 0 && !outage(component) && (
        <div className="small warn-text">
          Seen down from {component.seenDownFrom.join(', ')}, not confirmed by a quorum
        </div>
      )}
    </>
  );
}

/** The components with their state now, last response and message; each editable, and an operator's check removable. */
export function ComponentsTable({ components, load }: { components: StatusComponent[]; load(): Promise<void> }) {
  const { error, run } = useStaffAction();
  const [editing, setEditing] = useState<StatusComponent | undefined>();
  const remove = (component: StatusComponent) => {
    if (!window.confirm(`Remove the check “${component.name}”? Its history stays in the months it counted in.`)) return;
    void run(async () => {
      await api('DELETE', `/console/status/checks/${encodeURIComponent(component.id)}`);
      await load();
    });
  };

  return (
    <>
      <ErrorAlert error={error} />
      <table className="table stack components-table">
        <TableHead columns={['Component', 'State', 'Response', 'Last reading', 'Status page']} action="Actions" />
        <tbody>
          {components.map((component) => {
            const last = latest(component.locations);
            const target = targetText(component);
            return (
              <tr key={component.id}>
                <td>
                  <strong>{component.name}</strong>
                  {component.description && <div className="muted small">{component.description}</div>}
                  {target && <div className="detail">{target}</div>}
                </td>
                <td>
                  <StateBadge state={shownState(component)} />
                </td>
                <td className="nowrap">
                  <span className="phone-only muted">Response: </span>
                  {last?.responseMs != null ? `${last.responseMs} ms` : <span className="muted">—</span>}
                </td>
                <td>
                  <Readings component={component} />
                </td>
                <td>
                  <span className="phone-only muted">Status page: </span>
                  {component.public ? 'Public' : <span className="muted">Hidden</span>}
                </td>
                <td>
                  <div className="row tight">
                    <ActionButton tone="secondary" small about={component.name} onClick={() => setEditing(component)}>
                      Edit
                    </ActionButton>
                    {component.kind !== 'builtin' && (
                      <ActionButton tone="danger" small about={component.name} onClick={() => remove(component)}>
                        Remove
                      </ActionButton>
                    )}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {editing && <EditComponent component={editing} onClose={() => setEditing(undefined)} onSaved={load} />}
    </>
  );
}
