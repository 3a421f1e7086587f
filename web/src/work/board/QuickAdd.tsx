import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ErrorAlert } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { create, randomId } from '../requests';
import type { Task, WorkflowState } from '../types';

/**
 * "Add task" at the foot of a column: a title, Enter to add (the form stays for the next one),
 * Escape to close. The task goes to the end of the column.
 */
export function QuickAdd({
  projectKey,
  state,
  lastPosition,
  open,
  onOpen,
  onClose,
  onAdded,
}: {
  projectKey: string;
  state: WorkflowState;
  lastPosition: number | undefined;
  open: boolean;
  onOpen(): void;
  onClose(): void;
  onAdded(task: Task): void;
}) {
  const { error, busy, run } = useAction();
  const [title, setTitle] = useState('');
  const attempt = useRef(randomId());
  if (!open)
    return (
      <button type="button" className="add-task" onClick={onOpen}>
        <span aria-hidden="true">+</span> Add task<span className="visually-hidden"> to {state.name}</span>
      </button>
    );
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (!title.trim()) return;
    void run(async () => {
      const body = { title: title.trim(), stateId: state.id, position: (lastPosition ?? 0) + 1024 };
      onAdded(await create<Task>(`/projects/${projectKey}/tasks`, body, attempt.current));
      attempt.current = randomId();
      setTitle('');
    });
  };
  const keys = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey) submit(event);
    if (event.key === 'Escape') onClose();
  };
  return (
    <form className="quick-add" onSubmit={submit} noValidate>
      <ErrorAlert error={error} />
      <label className="visually-hidden" htmlFor={`add-${state.id}`}>
        Title of the new task in {state.name}
      </label>
      <textarea
        id={`add-${state.id}`}
        rows={2}
        autoFocus
        maxLength={500}
        placeholder="Task title"
        value={title}
        onChange={(event) => {
          setTitle(event.target.value);
          attempt.current = randomId();
        }}
        onKeyDown={keys}
      />
      <div className="row">
        <button className="primary small" type="submit" disabled={busy || !title.trim()}>
          Add
        </button>
        <button className="secondary small" type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
