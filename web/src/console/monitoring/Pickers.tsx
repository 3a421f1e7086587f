import { useId, type HTMLAttributes, type ReactNode } from 'react';
import type { Workspace } from '../RequestAccess';
import { impacts, stateWords } from './states';
import type { ComponentState, StatusComponent } from './types';

/** Each component's impact, as an incident declares it; components left out are not affected. */
export type Impacts = Record<string, ComponentState>;

/** A picker's fieldset: its legend, its controls, and the error about them that the fieldset is described by. */
function Picker({ legend, error, children }: { legend: string; error: string | undefined; children: ReactNode }) {
  const id = useId();
  return (
    <fieldset className="picker" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{legend}</legend>
      {children}
      {error && (
        <span className="error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </fieldset>
  );
}

/** Checkboxes in columns, one for each item (by its key); `value` holds the keys of those ticked. */
function CheckColumns<T>({
  items,
  keyOf,
  labelOf,
  value,
  onChange,
  className,
  ...box
}: {
  items: T[];
  keyOf(item: T): string;
  labelOf(item: T): ReactNode;
  value: string[];
  onChange(next: string[]): void;
} & Pick<HTMLAttributes<HTMLDivElement>, 'className' | 'role' | 'aria-label'>) {
  const toggle = (key: string, on: boolean) => onChange(on ? [...value, key] : value.filter((other) => other !== key));
  return (
    <div className={className ? `check-columns ${className}` : 'check-columns'} {...box}>
      {items.map((item) => (
        <label className="check" key={keyOf(item)}>
          <input
            type="checkbox"
            checked={value.includes(keyOf(item))}
            onChange={(event) => toggle(keyOf(item), event.target.checked)}
          />
          <span>{labelOf(item)}</span>
        </label>
      ))}
    </div>
  );
}

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
    <Picker legend={legend} error={error}>
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
    </Picker>
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
  return (
    <Picker legend="Affected components" error={error}>
      <CheckColumns
        items={components}
        keyOf={(component) => component.id}
        labelOf={(component) => component.name}
        value={value}
        onChange={onChange}
      />
    </Picker>
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
        <CheckColumns
          className="scroll-box"
          role="group"
          aria-label="Workspaces"
          items={workspaces}
          keyOf={(workspace) => workspace.slug}
          labelOf={(workspace) => (
            <>
              {workspace.name} <span className="muted small">({workspace.slug})</span>
            </>
          )}
          value={value}
          onChange={onChange}
        />
      )}
    </fieldset>
  );
}
