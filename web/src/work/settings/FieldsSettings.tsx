import { useState, type FormEvent } from 'react';
import { api } from '../../api';
import { ErrorAlert } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { fieldKinds, type CustomField, type FieldKind, type ProjectDetail } from '../types';
import { SavedText } from './SavedText';

export const kindWords: Record<FieldKind, string> = {
  text: 'Text',
  number: 'Number',
  date: 'Date',
  select: 'One of a list',
  multi_select: 'Several of a list',
  user: 'A person',
};

const hasOptions = (kind: FieldKind) => kind === 'select' || kind === 'multi_select';
const optionsOf = (text: string) =>
  text
    .split(',')
    .map((option) => option.trim())
    .filter(Boolean);

/** Custom fields: a name, a kind (options for lists), whether required; renamed, changed, removed. */
export function FieldsSettings({
  project,
  readOnly,
  reload,
}: {
  project: ProjectDetail;
  readOnly: boolean;
  reload(): Promise<void>;
}) {
  const { error, busy, run } = useAction();
  const [kind, setKind] = useState<FieldKind>('text');
  const base = `/projects/${project.key}/fields`;
  const change = (field: CustomField, body: Partial<CustomField>) =>
    void run(async () => {
      await api('PATCH', `${base}/${field.id}`, body);
      await reload();
    });
  const remove = (field: CustomField) => {
    if (!window.confirm(`Remove the field "${field.name}"? Its values stay in the tasks' history.`)) return;
    void run(async () => {
      await api('DELETE', `${base}/${field.id}`);
      await reload();
    });
  };
  const add = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void run(async () => {
      await api('POST', base, {
        name: data.get('name'),
        kind,
        required: data.get('required') === 'on',
        ...(hasOptions(kind) ? { options: optionsOf(String(data.get('options') ?? '')) } : {}),
      });
      form.reset();
      setKind('text');
      await reload();
    });
  };
  const fields = [...project.fields].sort((a, b) => a.position - b.position);
  return (
    <section className="panel" aria-labelledby="fields-heading">
      <h2 id="fields-heading">Custom fields</h2>
      <ErrorAlert error={error} />
      {fields.length === 0 && <p className="muted small">No custom fields yet.</p>}
      {fields.length > 0 && (
        <div className="table-scroll">
          <table className="table settings-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Options</th>
                <th scope="col">Required</th>
                {!readOnly && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {fields.map((field) => (
                <tr key={field.id}>
                  <td>
                    <SavedText
                      aria-label={`Name of the field ${field.name}`}
                      value={field.name}
                      maxLength={60}
                      disabled={readOnly}
                      onSave={(name) => change(field, { name })}
                    />
                  </td>
                  <td className="nowrap muted">{kindWords[field.kind]}</td>
                  <td>
                    {hasOptions(field.kind) ? (
                      <SavedText
                        aria-label={`Options of ${field.name}, separated by commas`}
                        value={field.options.join(', ')}
                        disabled={readOnly}
                        onSave={(text) => change(field, { options: optionsOf(text) })}
                      />
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>
                    <label className="inline-check">
                      <input
                        type="checkbox"
                        aria-label={`${field.name} is required`}
                        checked={field.required}
                        disabled={readOnly}
                        onChange={(event) => change(field, { required: event.target.checked })}
                      />
                      <span className="phone-only" aria-hidden="true">
                        Required
                      </span>
                    </label>
                  </td>
                  {!readOnly && (
                    <td>
                      <button type="button" className="link small danger-text" onClick={() => remove(field)}>
                        Remove<span className="visually-hidden"> {field.name}</span>
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!readOnly && (
        <form className="row top add-form" onSubmit={add} noValidate aria-label="Add a custom field">
          <div className="field">
            <label htmlFor="new-field-name">New field</label>
            <input id="new-field-name" name="name" required maxLength={60} placeholder="Severity" />
          </div>
          <div className="field">
            <label htmlFor="new-field-kind">Kind</label>
            <select id="new-field-kind" value={kind} onChange={(event) => setKind(event.target.value as FieldKind)}>
              {fieldKinds.map((each) => (
                <option key={each} value={each}>
                  {kindWords[each]}
                </option>
              ))}
            </select>
          </div>
          {hasOptions(kind) && (
            <div className="field">
              <label htmlFor="new-field-options">Options</label>
              <input id="new-field-options" name="options" placeholder="Low, Medium, High" />
            </div>
          )}
          <div className="check">
            <input id="new-field-required" name="required" type="checkbox" />
            <label htmlFor="new-field-required">Required</label>
          </div>
          <div className="row">
            <button className="secondary" type="submit" disabled={busy}>
              Add field
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
