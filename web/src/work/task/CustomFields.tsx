import { useState } from 'react';
import type { CustomField, ProjectMember, TaskDetail } from '../types';
import { Prop } from './Pickers';
import type { TaskPatch } from './useTask';

/** A text or number value saved when the field is left (or Enter is pressed), if it changed. */
function TextValue({
  id,
  kind,
  value,
  disabled,
  onSave,
}: {
  id: string;
  kind: 'text' | 'number';
  value: unknown;
  disabled: boolean;
  onSave(value: string | number | null): void;
}) {
  const shown = value === null || value === undefined ? '' : String(value);
  const [text, setText] = useState(shown);
  const [was, setWas] = useState(shown);
  if (was !== shown) {
    setWas(shown);
    setText(shown);
  }
  const commit = () => {
    if (text === shown) return;
    if (!text.trim()) return onSave(null);
    onSave(kind === 'number' ? Number(text) : text);
  };
  return (
    <input
      id={id}
      type={kind === 'number' ? 'number' : 'text'}
      value={text}
      disabled={disabled}
      onChange={(event) => setText(event.target.value)}
      onBlur={commit}
      onKeyDown={(event) => event.key === 'Enter' && commit()}
    />
  );
}

/** One custom field's control, by its kind. */
function FieldControl({
  field,
  value,
  members,
  disabled,
  onSave,
}: {
  field: CustomField;
  value: unknown;
  members: ProjectMember[];
  disabled: boolean;
  onSave(value: unknown): void;
}) {
  const id = `field-${field.id}`;
  switch (field.kind) {
    case 'text':
    case 'number':
      return <TextValue id={id} kind={field.kind} value={value} disabled={disabled} onSave={onSave} />;
    case 'date':
      return (
        <input
          id={id}
          type="date"
          value={typeof value === 'string' ? value : ''}
          disabled={disabled}
          onChange={(event) => onSave(event.target.value || null)}
        />
      );
    case 'select':
    case 'user': {
      const options =
        field.kind === 'user'
          ? members.map((member): [string, string] => [member.userId, member.name])
          : field.options.map((option): [string, string] => [option, option]);
      return (
        <select
          id={id}
          value={typeof value === 'string' ? value : ''}
          disabled={disabled}
          onChange={(event) => onSave(event.target.value || null)}
        >
          <option value="">—</option>
          {options.map(([option, text]) => (
            <option key={option} value={option}>
              {text}
            </option>
          ))}
        </select>
      );
    }
    case 'multi_select': {
      const chosen = Array.isArray(value) ? (value as string[]) : [];
      return (
        <span className="checks">
          {field.options.map((option) => (
            <label key={option} className="check small">
              <input
                type="checkbox"
                checked={chosen.includes(option)}
                disabled={disabled}
                onChange={(event) => {
                  const next = event.target.checked ? [...chosen, option] : chosen.filter((each) => each !== option);
                  onSave(next.length > 0 ? next : null);
                }}
              />
              {option}
            </label>
          ))}
        </span>
      );
    }
  }
}

/** The project's custom fields on a task, each edited as its kind asks. */
export function CustomFields({
  task,
  fields,
  members,
  disabled,
  save,
}: {
  task: TaskDetail;
  fields: CustomField[];
  members: ProjectMember[];
  disabled: boolean;
  save(patch: TaskPatch): Promise<boolean>;
}) {
  return (
    <>
      {[...fields]
        .sort((a, b) => a.position - b.position)
        .map((field) => (
          <Prop
            key={field.id}
            label={`${field.name}${field.required ? ' *' : ''}`}
            htmlFor={field.kind === 'multi_select' ? undefined : `field-${field.id}`}
          >
            <FieldControl
              field={field}
              value={task.fields[field.id]}
              members={members}
              disabled={disabled}
              onSave={(value) => void save({ fields: { [field.id]: value } })}
            />
          </Prop>
        ))}
    </>
  );
}
