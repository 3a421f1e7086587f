import { useState, type FormEvent } from 'react';
import { api } from '../../api';
import { ErrorAlert } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { groupWords } from '../format';
import { stateGroups, type ProjectDetail, type StateGroup, type WorkflowState } from '../types';
import { ColorSelect } from './ColorSelect';
import { palette } from './palette';
import { SavedText } from './SavedText';
import { StateActions } from './StateActions';

/** The workflow's states: added, renamed, regrouped, recoloured, reordered, made default, deleted (their tasks moved). */
export function StatesSettings({
  project,
  readOnly,
  reload,
}: {
  project: ProjectDetail;
  readOnly: boolean;
  reload(): Promise<void>;
}) {
  const { error, busy, run } = useAction();
  // The default moves at once on the screen; the server's answer (or a reload) settles it.
  const [chosenDefault, setChosenDefault] = useState<string | undefined>();
  const states = [...project.states].sort((a, b) => a.position - b.position);
  const base = `/projects/${project.key}/states`;
  const change = (state: WorkflowState, body: Partial<WorkflowState>) =>
    void run(async () => {
      await api('PATCH', `${base}/${state.id}`, body);
      await reload();
    }).then(() => setChosenDefault(undefined));
  const remove = (state: WorkflowState, moveTo: string) =>
    void run(async () => {
      await api('DELETE', `${base}/${state.id}${moveTo ? `?moveTo=${moveTo}` : ''}`);
      await reload();
    });
  const add = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void run(async () => {
      await api('POST', base, { name: data.get('name'), group: data.get('group'), color: data.get('color') });
      form.reset();
      await reload();
    });
  };
  return (
    <section className="panel" aria-labelledby="states-heading">
      <h2 id="states-heading">Workflow states</h2>
      <p className="muted small">
        The board has a column per state, in this order. New tasks start in the default state.
      </p>
      <ErrorAlert error={error} />
      <div className="table-scroll">
        <table className="table settings-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Group</th>
              <th scope="col">Colour</th>
              <th scope="col">Default</th>
              {!readOnly && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {states.map((state, index) => (
              <tr key={state.id}>
                <td>
                  <SavedText
                    aria-label={`Name of the state ${state.name}`}
                    value={state.name}
                    maxLength={60}
                    disabled={readOnly}
                    onSave={(name) => change(state, { name })}
                  />
                </td>
                <td>
                  <select
                    aria-label={`Group of ${state.name}`}
                    value={state.group}
                    disabled={readOnly}
                    onChange={(event) => change(state, { group: event.target.value as StateGroup })}
                  >
                    {stateGroups.map((group) => (
                      <option key={group} value={group}>
                        {groupWords[group]}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <ColorSelect
                    label={`Colour of ${state.name}`}
                    value={state.color}
                    disabled={readOnly}
                    onChange={(color) => change(state, { color })}
                  />
                </td>
                <td>
                  <label className="inline-check">
                    <input
                      type="radio"
                      name="default-state"
                      aria-label={`New tasks start in ${state.name}`}
                      checked={chosenDefault ? chosenDefault === state.id : state.isDefault}
                      disabled={readOnly}
                      onChange={() => {
                        setChosenDefault(state.id);
                        change(state, { isDefault: true });
                      }}
                    />
                    <span className="phone-only" aria-hidden="true">
                      Default
                    </span>
                  </label>
                </td>
                {!readOnly && (
                  <td>
                    <StateActions
                      state={state}
                      index={index}
                      states={states}
                      busy={busy}
                      onMove={(position) => change(state, { position })}
                      onDelete={remove}
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!readOnly && (
        <form className="row top add-form" onSubmit={add} noValidate aria-label="Add a state">
          <div className="field">
            <label htmlFor="new-state-name">New state</label>
            <input id="new-state-name" name="name" required maxLength={60} placeholder="In Review" />
          </div>
          <div className="field">
            <label htmlFor="new-state-group">Group</label>
            <select id="new-state-group" name="group" defaultValue="started">
              {stateGroups.map((group) => (
                <option key={group} value={group}>
                  {groupWords[group]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="new-state-color">Colour</label>
            <select id="new-state-color" name="color" defaultValue={palette[3]![0]}>
              {palette.map(([color, name]) => (
                <option key={color} value={color}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <div className="row">
            <button className="secondary" type="submit" disabled={busy}>
              Add state
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
