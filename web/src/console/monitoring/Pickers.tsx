import { useId } from 'react';
import type { Workspace } from '../RequestAccess';
import { impacts, stateWords } from './states';
import type { ComponentState, StatusComponent } from './types';

/** Each component's impact, as an incident declares it; components left out are not affected. */
export type Impacts = Record<string, ComponentState>;

/** One select per component: not affected, or how badly. */
export function ImpactPicker({
  components,
  value,
  onChange,
  legend = 'Affected components',
  error,
}: {
  components: StatusComponent[];
  value: Impacts;
  onChange(next: Impacts): void;
  legend?: string;
  error?: string | undefined;
}) {
  const id = useId();
  const choose = (componentId: string, impact: string) => {
    const next = { ...value };
    if (impact === '') delete next[componentId];
    else next[componentId] = impact as ComponentState;
    onChange(next);
  };
  return (
    <fieldset className="picker" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{legend}</legend>
      {components.length === 0 && <p className="muted small">No components on record yet.</p>}
      <div className="impact-list">
        {components.map((component) => (
          <div className="impact-row" key={component.id}>
            <label htmlFor={`${id}-${component.id}`}>{component.name}</label>
            <select
              id={`${id}-${component.id}`}
              value={value[component.id] ?? ''}
              onChange={(event) => choose(component.id, event.target.value)}
            >
              <option value="">Not affected</option>
              {impacts.map((impact) => (
                <option key={impact} value={impact}>
                  {stateWords[impact]}
                </option>
              ))}
              {value[component.id] === 'operational' && <option value="operational">Operational</option>}
            </select>
          </div>
        ))}
      </div>
      {error && (
        <span className="error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </fieldset>
  );
}

/** Components as checkboxes: the ones a maintenance window covers. */
export function ComponentChecks({
  components,
  value,
  onChange,
  error,
}: {
  components: StatusComponent[];
  value: string[];
  onChange(next: string[]): void;
  error?: string | undefined;
}) {
  const id = useId();
  const toggle = (componentId: string, on: boolean) =>
    onChange(on ? [...value, componentId] : value.filter((other) => other !== componentId));
  return (
    <fieldset className="picker" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>Affected components</legend>
      <div className="check-columns">
        {components.map((component) => (
          <label className="check" key={component.id}>
            <input
              type="checkbox"
              checked={value.includes(component.id)}
              onChange={(event) => toggle(component.id, event.target.checked)}
            />
            <span>{component.name}</span>
          </label>
        ))}
      </div>
      {error && (
        <span className="error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </fieldset>
  );
}

/** The whole platform (null), or only the workspaces ticked. */
export function WorkspacePicker({
  workspaces,
  value,
  onChange,
}: {
  workspaces: Workspace[];
  value: string[] | null;
  onChange(next: string[] | null): void;
}) {
  const id = useId();
  const toggle = (slug: string, on: boolean) =>
    onChange(on ? [...(value ?? []), slug] : (value ?? []).filter((other) => other !== slug));
  return (
    <fieldset className="picker choices">
      <legend>Affected workspaces</legend>
      <label className="choice">
        <input type="radio" name={`${id}-scope`} checked={value === null} onChange={() => onChange(null)} />
        <span>
          The whole platform
          <span className="hint">Every workspace.</span>
        </span>
      </label>
      <label className="choice">
        <input type="radio" name={`${id}-scope`} checked={value !== null} onChange={() => onChange(value ?? [])} />
        <span>
          Only some workspaces
          <span className="hint">Tick them below.</span>
        </span>
      </label>
      {value !== null && (
        <div className="check-columns scroll-box" role="group" aria-label="Workspaces">
          {workspaces.map((workspace) => (
            <label className="check" key={workspace.slug}>
              <input
                type="checkbox"
                checked={value.includes(workspace.slug)}
                onChange={(event) => toggle(workspace.slug, event.target.checked)}
              />
              <span>
                {workspace.name} <span className="muted small">({workspace.slug})</span>
              </span>
            </label>
          ))}
        </div>
      )}
    </fieldset>
  );
}
