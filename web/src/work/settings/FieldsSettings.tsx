import { useState } from 'react';
import { TableHead } from '../../ui/TableHead';
import { fieldKinds, type CustomField, type FieldKind } from '../types';
import { SavedText } from './SavedText';
import { AddForm, RemoveButton, SettingsSection, useSettingsRequests, type SettingsProps } from './SettingsSection';

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
export function FieldsSettings({ project, readOnly, reload }: SettingsProps) {
  const { error, busy, send, remove, adder } = useSettingsRequests(reload);
  const [kind, setKind] = useState<FieldKind>('text');
  const base = `/projects/${project.key}/fields`;
  const change = (field: CustomField, body: Partial<CustomField>) => void send('PATCH', `${base}/${field.id}`, body);
  const add = adder(
    base,
    (data) => ({
      name: data.get('name'),
      kind,
      required: data.get('required') === 'on',
      ...(hasOptions(kind) ? { options: optionsOf(String(data.get('options') ?? '')) } : {}),
    }),
    () => setKind('text'),
  );
  const fields = [...project.fields].sort((a, b) => a.position - b.position);
  return (
    <SettingsSection id="fields" title="Custom fields" error={error}>
      {fields.length === 0 && <p className="muted small">No custom fields yet.</p>}
      {fields.length > 0 && (
        <div className="table-scroll">
          <table className="table settings-table">
            <TableHead columns={['Name', 'Kind', 'Options', 'Required']} action={!readOnly && 'Actions'} />
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
                      <RemoveButton
                        name={field.name}
                        onClick={() =>
                          remove(
                            `${base}/${field.id}`,
                            `Remove the field "${field.name}"? Its values stay in the tasks' history.`,
                          )
                        }
                      />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!readOnly && (
        <AddForm label="Add a custom field" button="Add field" disabled={busy} onSubmit={add}>
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
        </AddForm>
      )}
    </SettingsSection>
  );
}
