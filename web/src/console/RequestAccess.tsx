import { useEffect, useId, useRef, type FormEvent } from 'react';
import { api, fieldError } from '../api';
import { ErrorAlert } from '../ui/Field';
import { grantDurations, type Grant } from '../ui/grants';
import { useStaffAction } from './session';

export interface Workspace {
  slug: string;
  name: string;
  status: string;
  url: string;
  createdAt: string;
}

/**
 * Asks for a support grant to one workspace, in a modal dialog (Escape or Cancel closes it):
 * a reason the workspace's admins will read, and how long.
 */
export function RequestAccess({
  workspace,
  onClose,
  onRequested,
}: {
  workspace: Workspace;
  onClose(): void;
  onRequested(grant: Grant): void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  const { error, busy, run } = useStaffAction();
  useEffect(() => {
    if (!dialog.current?.open) dialog.current?.showModal();
  }, []);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void run(async () => {
      const grant = await api<Grant>('POST', '/console/grants', {
        tenant: workspace.slug,
        reason: String(form.get('reason') ?? '').trim(),
        minutes: Number(form.get('minutes')),
      });
      onRequested(grant);
      dialog.current?.close();
    });
  };

  const reasonError = fieldError(error, 'reason');
  return (
    <dialog ref={dialog} className="dialog" aria-labelledby={`${id}-title`} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <h2 id={`${id}-title`}>Request access to {workspace.name}</h2>
        <p className="muted small">
          Its owners and admins see who asked and why, and every page you open. Some workspaces approve each request
          first.
        </p>
        <ErrorAlert error={reasonError || fieldError(error, 'minutes') ? undefined : error} />
        <div className="field">
          <label htmlFor={`${id}-reason`}>Reason</label>
          <textarea
            id={`${id}-reason`}
            name="reason"
            className="prose"
            rows={3}
            maxLength={500}
            required
            autoFocus
            aria-invalid={reasonError ? true : undefined}
            aria-describedby={`${id}-reason-hint${reasonError ? ` ${id}-reason-error` : ''}`}
          />
          <span className="hint" id={`${id}-reason-hint`}>
            What you need to look at and why, with the ticket: 10 to 500 characters.
          </span>
          {reasonError && (
            <span className="error" id={`${id}-reason-error`}>
              {reasonError}
            </span>
          )}
        </div>
        <div className="field">
          <label htmlFor={`${id}-minutes`}>Duration</label>
          <select id={`${id}-minutes`} name="minutes" defaultValue="60">
            {grantDurations.map(([minutes, label]) => (
              <option key={minutes} value={minutes}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="row">
          <button className="primary" type="submit" disabled={busy}>
            {busy ? 'Requesting…' : 'Request access'}
          </button>
          <button className="secondary" type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
