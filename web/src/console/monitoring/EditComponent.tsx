import { api, fieldError } from '../../api';
import { ErrorAlert, Field } from '../../ui/Field';
import { FormDialog } from '../../ui/FormDialog';
import { useStaffAction } from '../session';
import type { StatusComponent } from './types';

/** A component's name, place and visibility on the status page, in a modal dialog (Escape or Cancel closes it). */
export function EditComponent({
  component,
  onClose,
  onSaved,
}: {
  component: StatusComponent;
  onClose(): void;
  onSaved(): Promise<void>;
}) {
  const { error, busy, run } = useStaffAction();
  const save = (form: FormData, close: () => void) =>
    void run(async () => {
      await api('PATCH', `/console/status/components/${encodeURIComponent(component.id)}`, {
        name: String(form.get('name') ?? '').trim(),
        position: Number(form.get('position')),
        public: form.get('public') === 'on',
      });
      await onSaved();
      close();
    });

  const nameError = fieldError(error, 'name');
  const positionError = fieldError(error, 'position');
  return (
    <FormDialog
      title={`Edit ${component.name}`}
      submit={['Save', 'Saving…']}
      busy={busy}
      onSubmit={save}
      onClose={onClose}
    >
      <ErrorAlert error={nameError || positionError ? undefined : error} />
      <Field label="Name" name="name" defaultValue={component.name} maxLength={100} required error={nameError} />
      <Field
        label="Position"
        name="position"
        type="number"
        min={0}
        max={100000}
        step={1}
        defaultValue={component.position}
        hint="Lower numbers come first on the status page."
        error={positionError}
      />
      <label className="check">
        <input type="checkbox" name="public" defaultChecked={component.public} />
        <span>
          Show on the public status page
          <span className="hint-line">Hidden components are still probed and alerted on.</span>
        </span>
      </label>
    </FormDialog>
  );
}
