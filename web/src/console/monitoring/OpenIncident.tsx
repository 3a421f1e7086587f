import { useId, useState, type FormEvent } from 'react';
import { api, fieldError } from '../../api';
import { ErrorAlert, Field, TextAreaField } from '../../ui/Field';
import { FormButtons } from '../../ui/FormButtons';
import type { Workspace } from '../RequestAccess';
import { useStaffAction } from '../session';
import { ImpactPicker, WorkspacePicker, type Impacts } from './Pickers';
import { incidentStateWords } from './states';
import { localInputToIso, timeZoneLabel } from './time';
import type { IncidentState, StatusComponent } from './types';

const openingStates: IncidentState[] = ['investigating', 'identified', 'monitoring'];

/** Opens an incident, published on the status page at once: title, status, first message, what it affects. */
export function OpenIncident({
  components,
  workspaces,
  onOpened,
  onCancel,
}: {
  components: StatusComponent[];
  workspaces: Workspace[];
  onOpened(): Promise<void>;
  onCancel(): void;
}) {
  const id = useId();
  const { error, setError, busy, run } = useStaffAction();
  const [impacts, setImpacts] = useState<Impacts>({});
  const [tenants, setTenants] = useState<string[] | null>(null);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    if (tenants !== null && tenants.length === 0) {
      setError(new Error('Tick the workspaces it affects, or choose the whole platform.'));
      return;
    }
    const startedAt = localInputToIso(String(form.get('startedAt') ?? ''));
    void run(async () => {
      await api('POST', '/console/status/incidents', {
        title: String(form.get('title') ?? '').trim(),
        state: form.get('state'),
        message: String(form.get('message') ?? '').trim(),
        components: impacts,
        ...(tenants ? { tenants } : {}),
        ...(startedAt ? { startedAt } : {}),
      });
      await onOpened();
    });
  };

  const titleError = fieldError(error, 'title');
  const messageError = fieldError(error, 'message');
  const componentsError = fieldError(error, 'components');
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Open an incident</h2>
      <p className="muted small">It is published on the status page as soon as it is opened.</p>
      <form className="wide-form" onSubmit={submit} noValidate>
        <ErrorAlert error={titleError || messageError || componentsError ? undefined : error} />
        <Field
          label="Title"
          name="title"
          maxLength={200}
          required
          autoFocus
          error={titleError}
          hint="What people notice, e.g. Sign-in is slow."
        />
        <div className="field">
          <label htmlFor={`${id}-state`}>Status</label>
          <select id={`${id}-state`} name="state" defaultValue="investigating">
            {openingStates.map((state) => (
              <option key={state} value={state}>
                {incidentStateWords[state]}
              </option>
            ))}
          </select>
          <span className="hint">An incident opens unresolved; post a Resolved update to close it.</span>
        </div>
        <TextAreaField
          label="Message"
          name="message"
          className="prose"
          rows={4}
          maxLength={5000}
          required
          hint="The first entry of its timeline, as the status page shows it."
          error={messageError}
        />
        <ImpactPicker components={components} value={impacts} onChange={setImpacts} error={componentsError} />
        <WorkspacePicker workspaces={workspaces} value={tenants} onChange={setTenants} />
        <Field
          label="Began (optional)"
          name="startedAt"
          type="datetime-local"
          hint={`If before now. In your time zone, ${timeZoneLabel()}.`}
        />
        <FormButtons submit={['Open incident', 'Opening…']} busy={busy} onCancel={onCancel} />
      </form>
    </section>
  );
}
