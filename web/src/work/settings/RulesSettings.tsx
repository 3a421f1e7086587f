import { useState } from 'react';
import { api } from '../../api';
import { useAction } from '../../ui/useAction';
import { StateIcon } from '../bits';
import type { TransitionRule } from '../types';
import { SettingsSection, type SettingsProps } from './SettingsSection';

type Who = 'anyone' | 'lead';
const keyOf = (from: string, to: string) => `${from}>${to}`;

/**
 * Transition rules as a from → to matrix. A state with no ticked box allows every move from it;
 * once one is ticked, only the ticked moves are allowed (each by anyone who may edit tasks, or
 * by leads only).
 */
export function RulesSettings({ project, readOnly, reload }: SettingsProps) {
  const states = [...project.states].sort((a, b) => a.position - b.position);
  const fromServer = () =>
    new Map(
      project.rules.map((rule): [string, Who] => [
        keyOf(rule.fromStateId, rule.toStateId),
        rule.roles && rule.roles.length === 1 && rule.roles[0] === 'lead' ? 'lead' : 'anyone',
      ]),
    );
  const [rules, setRules] = useState(fromServer);
  const [was, setWas] = useState(project.rules);
  if (was !== project.rules) {
    setWas(project.rules);
    setRules(fromServer());
  }
  const [saved, setSaved] = useState(false);
  const { error, busy, run } = useAction();
  const set = (from: string, to: string, who: Who | undefined) => {
    const next = new Map(rules);
    if (who) next.set(keyOf(from, to), who);
    else next.delete(keyOf(from, to));
    setRules(next);
    setSaved(false);
  };
  const save = () =>
    void run(async () => {
      const body: TransitionRule[] = [...rules].map(([key, who]) => {
        const [fromStateId, toStateId] = key.split('>') as [string, string];
        return { fromStateId, toStateId, roles: who === 'lead' ? ['lead'] : null };
      });
      await api('PUT', `/projects/${project.key}/rules`, { rules: body });
      await reload();
      setSaved(true);
    });
  const restricted = (from: string) => states.some((to) => rules.has(keyOf(from, to.id)));
  return (
    <SettingsSection
      id="rules"
      title="Transition rules"
      intro="Rows are where a task is, columns where it may go. A row with nothing ticked allows every move; tick boxes to allow only those moves from that state."
      notice={saved ? 'Rules saved.' : undefined}
      error={error}
    >
      <div className="table-scroll">
        <table className="table matrix">
          <caption className="visually-hidden">Allowed moves, from each state (rows) to each state (columns)</caption>
          <thead>
            <tr>
              <th scope="col">From \ To</th>
              {states.map((state) => (
                <th scope="col" key={state.id}>
                  {state.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {states.map((from) => (
              <tr key={from.id}>
                <th scope="row">
                  <span className="state">
                    <StateIcon group={from.group} color={from.color} /> {from.name}
                  </span>
                  <span className="muted small matrix-note">
                    {restricted(from.id) ? 'only ticked moves' : 'any move'}
                  </span>
                </th>
                {states.map((to) => {
                  if (to.id === from.id)
                    return (
                      <td key={to.id} className="matrix-self">
                        <span className="visually-hidden">Same state</span>
                      </td>
                    );
                  const who = rules.get(keyOf(from.id, to.id));
                  return (
                    <td key={to.id}>
                      <input
                        type="checkbox"
                        aria-label={`Allow moves from ${from.name} to ${to.name}`}
                        checked={who !== undefined}
                        disabled={readOnly}
                        onChange={(event) => set(from.id, to.id, event.target.checked ? 'anyone' : undefined)}
                      />
                      {who && (
                        <select
                          className="matrix-who"
                          aria-label={`Who may move from ${from.name} to ${to.name}`}
                          value={who}
                          disabled={readOnly}
                          onChange={(event) => set(from.id, to.id, event.target.value as Who)}
                        >
                          <option value="anyone">Anyone</option>
                          <option value="lead">Leads</option>
                        </select>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!readOnly && (
        <div className="row">
          <button className="primary" type="button" disabled={busy} onClick={save}>
            Save rules
          </button>
          {rules.size > 0 && (
            <button className="secondary" type="button" onClick={() => (setRules(new Map()), setSaved(false))}>
              Allow every move
            </button>
          )}
        </div>
      )}
    </SettingsSection>
  );
}
