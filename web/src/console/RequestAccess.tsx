import { useId } from 'react';
import { api, fieldError } from '../api';
import { ErrorAlert, TextAreaField } from '../ui/Field';
import { FormDialog } from '../ui/FormDialog';
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
  const id = useId();
  const { error, busy, run } = useStaffAction();
  const request = (form: FormData, close: () => void) =>
    void run(async () => {
      const grant = await api<Grant>('POST', '/console/grants', {
        tenant: workspace.slug,
        reason: String(form.get('reason') ?? '').trim(),
        minutes: Number(form.get('minutes')),
      });
      onRequested(grant);
      close();
    });

  const reasonError = fieldError(error, 'reason');
  return (
    <FormDialog
      title={`Request access to ${workspace.name}`}
      submit={['Request access', 'Requesting…']}
      busy={busy}
      onSubmit={request}
      onClose={onClose}
    >
      <p className="muted small">
        Its owners and admins see who asked and why, and every page you open. Some workspaces approve each request
        first.
      </p>
      <ErrorAlert error={reasonError || fieldError(error, 'minutes') ? undefined : error} />
      <TextAreaField
        label="Reason"
        name="reason"
        className="prose"
        rows={3}
        maxLength={500}
        required
        autoFocus
        hint="What you need to look at and why, with the ticket: 10 to 500 characters."
        error={reasonError}
      />
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
    </FormDialog>
  );
}
