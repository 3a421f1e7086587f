import { LabelChip } from '../bits';
import type { Label } from '../types';
import { ColorSelect } from './ColorSelect';
import { SavedText } from './SavedText';
import {
  AddForm,
  PaletteField,
  RemoveButton,
  SettingsSection,
  useSettingsRequests,
  type SettingsProps,
} from './SettingsSection';

/** The project's labels: added, renamed, recoloured, removed (from every task too). */
export function LabelsSettings({ project, readOnly, reload }: SettingsProps) {
  const { error, busy, send, remove, adder } = useSettingsRequests(reload);
  const base = `/projects/${project.key}/labels`;
  const change = (label: Label, body: Partial<Label>) => void send('PATCH', `${base}/${label.id}`, body);
  const add = adder(base, (data) => ({ name: data.get('name'), color: data.get('color') }));
  return (
    <SettingsSection id="labels" title="Labels" error={error}>
      {project.labels.length === 0 && <p className="muted small">No labels yet.</p>}
      {project.labels.length > 0 && readOnly && (
        <p className="chips">
          {project.labels.map((label) => (
            <LabelChip key={label.id} label={label} />
          ))}
        </p>
      )}
      {project.labels.length > 0 && !readOnly && (
        <ul className="settings-list">
          {project.labels.map((label) => (
            <li key={label.id} className="row tight label-row">
              <SavedText
                className="label-name"
                aria-label={`Name of the label ${label.name}`}
                value={label.name}
                maxLength={60}
                onSave={(name) => change(label, { name })}
              />
              <ColorSelect
                label={`Colour of ${label.name}`}
                value={label.color}
                onChange={(color) => change(label, { color })}
              />
              <RemoveButton
                name={label.name}
                onClick={() =>
                  remove(
                    `${base}/${label.id}`,
                    `Remove the label "${label.name}" from the project and from every task?`,
                  )
                }
              />
            </li>
          ))}
        </ul>
      )}
      {!readOnly && (
        <AddForm label="Add a label" button="Add label" disabled={busy} onSubmit={add}>
          <div className="field">
            <label htmlFor="new-label-name">New label</label>
            <input id="new-label-name" name="name" required maxLength={60} placeholder="Bug" />
          </div>
          <PaletteField id="new-label-color" initial={7} />
        </AddForm>
      )}
    </SettingsSection>
  );
}
