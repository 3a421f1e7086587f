import { useId, useState, type FormEvent } from 'react';
import { api, fieldError } from '../../api';
import { ActionButton } from '../../ui/ActionButton';
import { ErrorAlert, TextAreaField } from '../../ui/Field';
import { FormButtons } from '../../ui/FormButtons';
import { useStaffAction } from '../session';
import { ImpactPicker, type Impacts } from './Pickers';
import { authorName, IncidentStateBadge, incidentStateWords, StateBadge } from './states';
import { exactTime, dateTime, minutesText } from './time';
import type { Incident, IncidentState, StatusComponent } from './types';

const updateStates: IncidentState[] = ['investigating', 'identified', 'monitoring', 'resolved'];

/** The incident's updates, newest first, each with its state, words, author and time. */
export function Timeline({ incident }: { incident: Incident }) {
  const updates = [...incident.updates].sort((a, b) => b.at.localeCompare(a.at));
  return (
    <ol className="timeline" aria-label={`Updates to ${incident.title}`}>
      {updates.map((update, index) => (
        <li key={`${update.at}-${index}`} className={`timeline-item timeline-${update.state}`}>
          <div className="timeline-head">
            <strong>{incidentStateWords[update.state]}</strong>
            <time className="muted small" dateTime={update.at}>
              {exactTime(update.at)}
            </time>
          </div>
          <p className="timeline-message">{update.message}</p>
          <span className="muted small">by {authorName(update.author)}</span>
        </li>
      ))}
    </ol>
  );
}

/** A timestamped update: its state (`resolved` closes the incident), the words, and optionally new impacts. */
function PostUpdate({
  incident,
  components,
  onPosted,
  onCancel,
}: {
  incident: Incident;
  components: StatusComponent[];
  onPosted(): Promise<void>;
  onCancel(): void;
}) {
  const id = useId();
  const { error, busy, run } = useStaffAction();
  const [impacts, setImpacts] = useState<Impacts>(incident.components);
  const [changing, setChanging] = useState(false);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    void run(async () => {
      await api('POST', `/console/status/incidents/${incident.id}/updates`, {
        state: form.get('state'),
        message: String(form.get('message') ?? '').trim(),
        ...(changing ? { components: impacts } : {}),
      });
      await onPosted();
    });
  };
  const messageError = fieldError(error, 'message');
  return (
    <form className="update-form" onSubmit={submit} noValidate aria-label={`Post an update to ${incident.title}`}>
      <ErrorAlert error={messageError ? undefined : error} />
      <div className="field">
        <label htmlFor={`${id}-state`}>Status</label>
        <select id={`${id}-state`} name="state" defaultValue={incident.state} autoFocus>
          {updateStates.map((state) => (
            <option key={state} value={state}>
              {incidentStateWords[state]}
              {state === 'resolved' ? ' (closes the incident)' : ''}
            </option>
          ))}
        </select>
      </div>
      <TextAreaField
        label="Update"
        name="message"
        className="prose"
        rows={3}
        maxLength={5000}
        required
        error={messageError}
      />
      <label className="check">
        <input type="checkbox" checked={changing} onChange={(event) => setChanging(event.target.checked)} />
        <span>Change the affected components</span>
      </label>
      {changing && (
        <ImpactPicker components={components} value={impacts} onChange={setImpacts} legend="Affected components now" />
      )}
      <FormButtons submit={['Post update', 'Posting…']} busy={busy} onCancel={onCancel} />
    </form>
  );
}

/** One incident: its state, what it affects, when, its timeline, and (while open) a way to post an update. */
export function IncidentCard({
  incident,
  components,
  onChanged,
}: {
  incident: Incident;
  components: StatusComponent[];
  onChanged(): Promise<void>;
}) {
  const id = useId();
  const names = new Map(components.map((component) => [component.id, component.name]));
  const ended = incident.resolvedAt ? new Date(incident.resolvedAt).getTime() : Date.now();
  const minutes = (ended - new Date(incident.startedAt).getTime()) / 60_000;
  const lasted = minutes < 1 ? 'under a minute' : minutesText(Math.round(minutes));
  const open = incident.state !== 'resolved';
  const [updating, setUpdating] = useState(false);
  return (
    <article className={`incident-card${open ? ' open' : ''}`} aria-labelledby={`${id}-title`}>
      <div className="incident-head">
        <h3 id={`${id}-title`}>{incident.title}</h3>
        <IncidentStateBadge state={incident.state} />
      </div>
      <p className="muted small">
        Began {dateTime(incident.startedAt)}
        {incident.resolvedAt ? `, resolved ${dateTime(incident.resolvedAt)} after ${lasted}` : `, ${lasted} so far`}
        {' · '}
        {incident.tenants ? `Workspaces: ${incident.tenants.join(', ')}` : 'Whole platform'}
      </p>
      <ul className="impact-badges" aria-label="Affected components">
        {Object.entries(incident.components).map(([componentId, state]) => (
          <li key={componentId}>
            <span>{names.get(componentId) ?? componentId}</span> <StateBadge state={state} />
          </li>
        ))}
      </ul>
      {open ? (
        <>
          <Timeline incident={incident} />
          {!incident.draft &&
            (updating ? (
              <PostUpdate
                incident={incident}
                components={components}
                onCancel={() => setUpdating(false)}
                onPosted={async () => {
                  setUpdating(false);
                  await onChanged();
                }}
              />
            ) : (
              <div>
                <ActionButton tone="secondary" small about={`to ${incident.title}`} onClick={() => setUpdating(true)}>
                  Post an update
                </ActionButton>
              </div>
            ))}
        </>
      ) : (
        <details className="incident-history">
          <summary>
            Timeline ({incident.updates.length === 1 ? '1 update' : `${incident.updates.length} updates`})
          </summary>
          <Timeline incident={incident} />
        </details>
      )}
    </article>
  );
}
