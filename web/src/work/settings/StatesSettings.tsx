import { useState } from 'react';
import { TableHead } from '../../ui/TableHead';
import { groupWords } from '../format';
import { stateGroups, type StateGroup, type WorkflowState } from '../types';
import { ColorSelect } from './ColorSelect';
import { SavedText } from './SavedText';
import { AddForm, PaletteField, SettingsSection, useSettingsRequests, type SettingsProps } from './SettingsSection';
import { StateActions } from './StateActions';

/** The workflow's states: added, renamed, regrouped, recoloured, reordered, made default, deleted (their tasks moved). */
export function StatesSettings({ project, readOnly, reload }: SettingsProps) {
  const { error, busy, send, adder } = useSettingsRequests(reload);
  // The default moves at once on the screen; the server's answer (or a reload) settles it.
  const [chosenDefault, setChosenDefault] = useState<string | undefined>();
  const states = [...project.states].sort((a, b) => a.position - b.position);
  const base = `/projects/${project.key}/states`;
  const change = (state: WorkflowState, body: Partial<WorkflowState>) =>
    void send('PATCH', `${base}/${state.id}`, body).then(() => setChosenDefault(undefined));
  const remove = (state: WorkflowState, moveTo: string) =>
    void send('DELETE', `${base}/${state.id}${moveTo ? `?moveTo=${moveTo}` : ''}`);
  const add = adder(base, (data) => ({ name: data.get('name'), group: data.get('group'), color: data.get('color') }));
  return (
    <SettingsSection
      id="states"
      title="Workflow states"
      intro="The board has a column per state, in this order. New tasks start in the default state."
      error={error}
    >
      <div className="table-scroll">
        <table className="table settings-table">
          <TableHead columns={['Name', 'Group', 'Colour', 'Default']} action={!readOnly && 'Actions'} />
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
        <AddForm label="Add a state" button="Add state" disabled={busy} onSubmit={add}>
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
          <PaletteField id="new-state-color" initial={3} />
        </AddForm>
      )}
    </SettingsSection>
  );
}
