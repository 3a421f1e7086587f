import { useId, useState, type FormEvent } from 'react';
import { api, fieldError } from '../../api';
import { ErrorAlert, Field, TextAreaField } from '../../ui/Field';
import type { Workspace } from '../RequestAccess';
import { useStaffAction } from '../session';
import { ComponentChecks, WorkspacePicker } from './Pickers';
import { localInputToIso, timeZoneLabel } from './time';
import type { StatusComponent } from './types';

/** A window announced less than this far ahead is short-notice (the server's rule, said here before it refuses). */
export const noticeMs = 24 * 60 * 60_000;

/** Schedules a maintenance window: when (in the reader's time zone, sent as UTC), what, where, and why if at short notice. */
export function ScheduleMaintenance({
  components,
  workspaces,
  onScheduled,
}: {
  components: StatusComponent[];
  workspaces: Workspace[];
  onScheduled(): Promise<void>;
}) {
  const id = useId();
  const { error, setError, busy, run } = useStaffAction();
  const [start, setStart] = useState('');
  const [covered, setCovered] = useState<string[]>([]);
  const [tenants, setTenants] = useState<string[] | null>(null);
  const [reasonError, setReasonError] = useState<string | undefined>();
  const startsAt = localInputToIso(start);
  const shortNotice = startsAt !== undefined && new Date(startsAt).getTime() - Date.now() < noticeMs;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    const reason = String(form.get('reason') ?? '').trim();
    const endsAt = localInputToIso(String(form.get('end') ?? ''));
    setReasonError(undefined);
    if (!startsAt || !endsAt) return setError(new Error('Give the window a start and an end.'));
    if (covered.length === 0) return setError(new Error('Tick at least one component the window affects.'));
    if (tenants !== null && tenants.length === 0)
      return setError(new Error('Tick the workspaces it affects, or choose the whole platform.'));
    if (shortNotice && !reason) {
      setError(undefined);
      setReasonError('This window starts within 24 hours, so it is short notice: say why it cannot wait.');
      element.querySelector<HTMLTextAreaElement>('textarea[name="reason"]')?.focus();
      return;
    }
    void run(async () => {
      await api('POST', '/console/status/maintenance', {
        title: String(form.get('title') ?? '').trim(),
        description: String(form.get('description') ?? '').trim() || undefined,
        components: covered,
        ...(tenants ? { tenants } : {}),
        startsAt,
        endsAt,
        ...(reason ? { reason } : {}),
      });
      element.reset();
      setStart('');
      setCovered([]);
      setTenants(null);
      await onScheduled();
    });
  };

  const titleError = fieldError(error, 'title');
  const shownReasonError = reasonError ?? fieldError(error, 'reason');
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Schedule maintenance</h2>
      <p className="muted small">
        Announced at least 24 hours ahead, a window is left out of the month’s uptime. Affected workspaces show it on
        their sign-in page from the moment it is scheduled.
      </p>
      <form className="wide-form" onSubmit={submit} noValidate>
        <ErrorAlert error={titleError ? undefined : error} />
        <Field label="Title" name="title" maxLength={200} required error={titleError} hint="e.g. Database upgrade" />
        <TextAreaField label="Description (optional)" name="description" className="prose" rows={3} maxLength={5000} />
        <div className="row top">
          <Field
            label="Starts"
            name="start"
            type="datetime-local"
            required
            value={start}
            onChange={(event) => setStart(event.target.value)}
          />
          <Field label="Ends" name="end" type="datetime-local" required />
        </div>
        <p className="hint-line">
          Times are in your time zone, {timeZoneLabel()}, and are stored in UTC
          {startsAt ? ` (starts ${startsAt.slice(0, 16).replace('T', ' ')} UTC)` : ''}.
        </p>
        <ComponentChecks components={components} value={covered} onChange={setCovered} />
        <WorkspacePicker workspaces={workspaces} value={tenants} onChange={setTenants} />
        <div className="field">
          <label htmlFor={`${id}-reason`}>Reason for short notice</label>
          <textarea
            id={`${id}-reason`}
            name="reason"
            className="prose"
            rows={2}
            maxLength={1000}
            aria-invalid={shownReasonError ? true : undefined}
            aria-describedby={`${id}-reason-hint${shownReasonError ? ` ${id}-reason-error` : ''}`}
          />
          <span className={`hint${shortNotice ? ' hint-warn' : ''}`} id={`${id}-reason-hint`}>
            {shortNotice
              ? 'Required: this window starts within 24 hours. It will be marked short notice, count as downtime, and show this reason on the status and sign-in pages.'
              : 'Required only when the window starts within 24 hours (short notice); shown on the status and sign-in pages.'}
          </span>
          {shownReasonError && (
            <span className="error" id={`${id}-reason-error`}>
              {shownReasonError}
            </span>
          )}
        </div>
        <div>
          <button className="primary" type="submit" disabled={busy}>
            {busy ? 'Scheduling…' : 'Schedule maintenance'}
          </button>
        </div>
      </form>
    </section>
  );
}
