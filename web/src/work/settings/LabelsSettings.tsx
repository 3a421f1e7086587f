import type { FormEvent } from 'react';
import { api } from '../../api';
import { ErrorAlert } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { LabelChip } from '../bits';
import type { Label, ProjectDetail } from '../types';
import { ColorSelect } from './ColorSelect';
import { palette } from './palette';
import { SavedText } from './SavedText';

/** The project's labels: added, renamed, recoloured, removed (from every task too). */
export function LabelsSettings({
  project,
  readOnly,
  reload,
}: {
  project: ProjectDetail;
  readOnly: boolean;
  reload(): Promise<void>;
}) {
  const { error, busy, run } = useAction();
  const base = `/projects/${project.key}/labels`;
  const change = (label: Label, body: Partial<Label>) =>
    void run(async () => {
      await api('PATCH', `${base}/${label.id}`, body);
      await reload();
    });
  const remove = (label: Label) => {
    if (!window.confirm(`Remove the label "${label.name}" from the project and from every task?`)) return;
    void run(async () => {
      await api('DELETE', `${base}/${label.id}`);
      await reload();
    });
  };
  const add = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void run(async () => {
      await api('POST', base, { name: data.get('name'), color: data.get('color') });
      form.reset();
      await reload();
    });
  };
  return (
    <section className="panel" aria-labelledby="labels-heading">
      <h2 id="labels-heading">Labels</h2>
      <ErrorAlert error={error} />
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
              <button type="button" className="link small danger-text" onClick={() => remove(label)}>
                Remove<span className="visually-hidden"> {label.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {!readOnly && (
        <form className="row top add-form" onSubmit={add} noValidate aria-label="Add a label">
          <div className="field">
            <label htmlFor="new-label-name">New label</label>
            <input id="new-label-name" name="name" required maxLength={60} placeholder="Bug" />
          </div>
          <div className="field">
            <label htmlFor="new-label-color">Colour</label>
            <select id="new-label-color" name="color" defaultValue={palette[7]![0]}>
              {palette.map(([color, name]) => (
                <option key={color} value={color}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <div className="row">
            <button className="secondary" type="submit" disabled={busy}>
              Add label
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
