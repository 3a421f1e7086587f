import { useState } from 'react';
import { Link } from 'react-router';
import { Ago, Avatar, LabelChip } from '../bits';
import { priorityWords } from '../format';
import { priorities, type ProjectDetail, type TaskDetail } from '../types';
import { CustomFields } from './CustomFields';
import { ChipPicker, Prop } from './Pickers';
import { Repeat } from './Repeat';
import type { TaskPatch } from './useTask';

/** The estimate, saved when the field is left or Enter pressed. */
function Estimate({
  value,
  disabled,
  onSave,
}: {
  value: number | null;
  disabled: boolean;
  onSave(v: number | null): void;
}) {
  const shown = value === null ? '' : String(value);
  const [text, setText] = useState(shown);
  const [was, setWas] = useState(shown);
  if (was !== shown) {
    setWas(shown);
    setText(shown);
  }
  const commit = () => text !== shown && onSave(text.trim() ? Number(text) : null);
  return (
    <input
      id="task-estimate"
      type="number"
      min={0}
      step="any"
      value={text}
      disabled={disabled}
      onChange={(event) => setText(event.target.value)}
      onBlur={commit}
      onKeyDown={(event) => event.key === 'Enter' && commit()}
    />
  );
}

/** The parent: a link with "Remove", or a key to type. */
function Parent({
  task,
  disabled,
  save,
}: {
  task: TaskDetail;
  disabled: boolean;
  save(p: TaskPatch): Promise<boolean>;
}) {
  const [key, setKey] = useState('');
  if (task.parent)
    return (
      <span className="row tight">
        <Link to={`/projects/${task.projectKey}/tasks/${task.parent.key}`}>
          {task.parent.key} <span className="muted">{task.parent.title}</span>
        </Link>
        {!disabled && (
          <button type="button" className="link small" onClick={() => void save({ parent: null })}>
            Remove<span className="visually-hidden"> parent</span>
          </button>
        )}
      </span>
    );
  if (disabled) return <span className="muted">None</span>;
  return (
    <form
      className="row tight inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (key.trim()) void save({ parent: key.trim().toUpperCase() }).then((ok) => ok && setKey(''));
      }}
    >
      <input
        id="task-parent"
        value={key}
        placeholder={`${task.projectKey}-1`}
        onChange={(event) => setKey(event.target.value)}
        size={8}
      />
      <button type="submit" className="secondary small">
        Set
      </button>
    </form>
  );
}

/** The task's properties: state, priority, people, labels, dates, repeat rule, estimate, parent, custom fields. */
export function TaskProperties({
  task,
  project,
  canEdit,
  save,
  onRepeatChanged,
}: {
  task: TaskDetail;
  project: ProjectDetail;
  canEdit: boolean;
  save(patch: TaskPatch): Promise<boolean>;
  /** After the repeat rule changed (the history reads itself again). */
  onRepeatChanged(): void;
}) {
  const disabled = !canEdit;
  const states = [...project.states].sort((a, b) => a.position - b.position);
  const people = project.members.map((member) => ({ id: member.userId, name: member.name }));
  return (
    <aside className="task-props panel" aria-label="Properties">
      <Prop label="State" htmlFor="task-state">
        <select
          id="task-state"
          value={task.state.id}
          disabled={disabled}
          onChange={(event) => void save({ stateId: event.target.value })}
        >
          {states.map((state) => (
            <option key={state.id} value={state.id}>
              {state.name}
            </option>
          ))}
        </select>
      </Prop>
      <Prop label="Priority" htmlFor="task-priority">
        <select
          id="task-priority"
          value={task.priority}
          disabled={disabled}
          onChange={(event) => void save({ priority: event.target.value as TaskDetail['priority'] })}
        >
          {priorities.map((priority) => (
            <option key={priority} value={priority}>
              {priorityWords[priority]}
            </option>
          ))}
        </select>
      </Prop>
      <ChipPicker
        label="Assignees"
        chosen={task.assignees}
        options={people}
        name={(person) => person.name}
        render={(person) => (
          <>
            <Avatar person={person} />
            <span className="chip-text">{person.name}</span>
          </>
        )}
        disabled={disabled}
        onChange={(ids) => void save({ assigneeIds: ids })}
      />
      <ChipPicker
        label="Labels"
        chosen={task.labels}
        options={project.labels}
        name={(label) => label.name}
        render={(label) => <LabelChip label={label} />}
        disabled={disabled}
        onChange={(ids) => void save({ labelIds: ids })}
      />
      <Prop label="Start date" htmlFor="task-start">
        <input
          id="task-start"
          type="date"
          value={task.startDate ?? ''}
          disabled={disabled}
          onChange={(event) => void save({ startDate: event.target.value || null })}
        />
      </Prop>
      <Prop label="Due date" htmlFor="task-due">
        <input
          id="task-due"
          type="date"
          value={task.dueDate ?? ''}
          disabled={disabled}
          onChange={(event) => void save({ dueDate: event.target.value || null })}
        />
      </Prop>
      <Repeat task={task} canEdit={canEdit} onChanged={onRepeatChanged} />
      <Prop label="Estimate" htmlFor="task-estimate">
        <Estimate value={task.estimate} disabled={disabled} onSave={(estimate) => void save({ estimate })} />
      </Prop>
      <Prop label="Parent" htmlFor={task.parent || disabled ? undefined : 'task-parent'}>
        <Parent task={task} disabled={disabled} save={save} />
      </Prop>
      <CustomFields task={task} fields={project.fields} members={project.members} disabled={disabled} save={save} />
      <p className="muted small props-foot">
        Created by {task.createdBy?.name ?? 'someone'} <Ago iso={task.createdAt} />
        <br />
        Updated <Ago iso={task.updatedAt} />
      </p>
    </aside>
  );
}
