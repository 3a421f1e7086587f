import { useId, type ReactNode } from 'react';

/**
 * A set of chosen things (assignees, labels) as chips, each with a remove button, and a select
 * to add one more: plain controls that work alike with a mouse, a keyboard and on a phone.
 */
export function ChipPicker<T extends { id: string }>({
  label,
  chosen,
  options,
  render,
  name,
  disabled,
  onChange,
}: {
  label: string;
  chosen: T[];
  options: T[];
  render(item: T): ReactNode;
  name(item: T): string;
  disabled: boolean;
  onChange(ids: string[]): void;
}) {
  const id = useId();
  const left = options.filter((option) => !chosen.some((item) => item.id === option.id));
  const ids = chosen.map((item) => item.id);
  return (
    <div className="prop" role="group" aria-labelledby={`${id}-label`}>
      <span className="prop-label" id={`${id}-label`}>
        {label}
      </span>
      <div className="prop-value">
        {chosen.length === 0 && <span className="muted">None</span>}
        <span className="chips">
          {chosen.map((item) => (
            <span key={item.id} className="chip removable">
              {render(item)}
              {!disabled && (
                <button
                  type="button"
                  className="chip-remove"
                  aria-label={`Remove ${name(item)}`}
                  onClick={() => onChange(ids.filter((each) => each !== item.id))}
                >
                  <span aria-hidden="true">×</span>
                </button>
              )}
            </span>
          ))}
        </span>
        {!disabled && left.length > 0 && (
          <select
            className="add-select"
            aria-label={`Add ${label.toLowerCase()}`}
            value=""
            onChange={(event) => event.target.value && onChange([...ids, event.target.value])}
          >
            <option value="">Add…</option>
            {left.map((option) => (
              <option key={option.id} value={option.id}>
                {name(option)}
              </option>
            ))}
          </select>
        )}
      </div>
    </div>
  );
}

/** A labelled property row around one control (or, without `htmlFor`, a group of them). */
export function Prop({ label, htmlFor, children }: { label: string; htmlFor?: string; children: ReactNode }) {
  const id = useId();
  if (htmlFor)
    return (
      <div className="prop">
        <label className="prop-label" htmlFor={htmlFor}>
          {label}
        </label>
        <div className="prop-value">{children}</div>
      </div>
    );
  return (
    <div className="prop" role="group" aria-labelledby={id}>
      <span className="prop-label" id={id}>
        {label}
      </span>
      <div className="prop-value">{children}</div>
    </div>
  );
}
