import { useState } from 'react';
import { api } from '../../api';
import { ActionButton } from '../../ui/ActionButton';
import { ErrorAlert, Notice } from '../../ui/Field';
import { useList } from '../../ui/useAction';
import { ConsoleShell } from '../ConsoleShell';
import type { Workspace } from '../RequestAccess';
import { useStaffAction } from '../session';
import { IncidentCard } from './IncidentCard';
import { OpenIncident } from './OpenIncident';
import type { Incident, StatusComponent } from './types';

/** A draft an alert opened: prominent, with the way to publish it or throw it away. */
function Draft({
  incident,
  components,
  act,
}: {
  incident: Incident;
  components: StatusComponent[];
  act(incident: Incident, how: 'confirm' | 'discard'): void;
}) {
  return (
    <div className="draft">
      <p className="draft-note">
        <strong>Opened by an alert – confirm to publish.</strong> Nobody outside the console sees it until then.
      </p>
      <IncidentCard incident={incident} components={components} onChanged={async () => undefined} />
      <div className="row">
        <ActionButton tone="primary" about={incident.title} onClick={() => act(incident, 'confirm')}>
          Confirm and publish
        </ActionButton>
        <ActionButton tone="danger" about={incident.title} onClick={() => act(incident, 'discard')}>
          Discard draft
        </ActionButton>
      </div>
    </div>
  );
}

/** Incidents: drafts from alerts first, then those under way with their timelines, then the resolved. */
export function IncidentsScreen() {
  const action = useStaffAction();
  const { items: incidents, load } = useList<Incident>('/console/status/incidents', action.run);
  const { items: components } = useList<StatusComponent>('/console/status/components', action.run);
  const { items: workspaces } = useList<Workspace>('/console/tenants', action.run);
  const [opening, setOpening] = useState(false);
  const [notice, setNotice] = useState<string | undefined>();

  const act = (incident: Incident, how: 'confirm' | 'discard') => {
    if (how === 'discard' && !window.confirm(`Discard the draft “${incident.title}”? It was never published.`)) return;
    setNotice(undefined);
    void action.run(async () => {
      if (how === 'confirm') await api('POST', `/console/status/incidents/${incident.id}/confirm`);
      else await api('DELETE', `/console/status/incidents/${incident.id}`);
      setNotice(
        how === 'confirm' ? `Published “${incident.title}” on the status page.` : `Discarded “${incident.title}”.`,
      );
      await load();
    });
  };

  const drafts = incidents.filter((incident) => incident.draft);
  const ongoing = incidents.filter((incident) => !incident.draft && incident.state !== 'resolved');
  const resolved = incidents.filter((incident) => !incident.draft && incident.state === 'resolved');
  const sorted = [...workspaces].sort((a, b) => a.name.localeCompare(b.name));

  return (
    <ConsoleShell>
      <div className="page-head">
        <h1>Incidents</h1>
        {!opening && (
          <button className="primary" type="button" onClick={() => setOpening(true)}>
            Open an incident
          </button>
        )}
      </div>
      {notice && <Notice>{notice}</Notice>}
      <ErrorAlert error={action.error} />
      {opening && (
        <OpenIncident
          components={components}
          workspaces={sorted}
          onCancel={() => setOpening(false)}
          onOpened={async () => {
            setOpening(false);
            setNotice('Opened the incident: it is on the status page now.');
            await load();
          }}
        />
      )}
      {drafts.length > 0 && (
        <section className="panel drafts" aria-labelledby="drafts-title">
          <h2 id="drafts-title">Drafts from alerts ({drafts.length})</h2>
          {drafts.map((incident) => (
            <Draft key={incident.id} incident={incident} components={components} act={act} />
          ))}
        </section>
      )}
      <section className="panel" aria-labelledby="ongoing-title">
        <h2 id="ongoing-title">Under way</h2>
        {ongoing.length === 0 ? (
          <p className="muted small">No incident under way.</p>
        ) : (
          <div className="incident-list">
            {ongoing.map((incident) => (
              <IncidentCard key={incident.id} incident={incident} components={components} onChanged={load} />
            ))}
          </div>
        )}
      </section>
      <section className="panel" aria-labelledby="resolved-title">
        <h2 id="resolved-title">Resolved</h2>
        {resolved.length === 0 ? (
          <p className="muted small">No resolved incidents among the last 100.</p>
        ) : (
          <div className="incident-list">
            {resolved.map((incident) => (
              <IncidentCard key={incident.id} incident={incident} components={components} onChanged={load} />
            ))}
          </div>
        )}
      </section>
    </ConsoleShell>
  );
}
