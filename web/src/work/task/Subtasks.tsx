import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { ErrorAlert } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { StateIcon } from '../bits';
import { create, randomId } from '../requests';
import type { StateGroup, TaskDetail, TaskRef } from '../types';
import { InlineAddForm } from './InlineAddForm';

/** A state group's usual colour, for task references that carry only the group. */
export const groupColors: Record<StateGroup, string> = {
  backlog: '#8a8f98',
  unstarted: '#5e6ad2',
  started: '#f2994a',
  completed: '#27ae60',
  cancelled: '#bdbdbd',
};

/** A linked task: its state's mark, key and title. */
export function TaskRefLink({ task, projectKey }: { task: TaskRef; projectKey: string }) {
  return (
    <Link className="task-ref" to={`/projects/${projectKey}/tasks/${task.key}`}>
      <StateIcon group={task.stateGroup} color={groupColors[task.stateGroup]} />
      <span className="task-ref-key">{task.key}</span>
      <span className="task-ref-title">{task.title}</span>
    </Link>
  );
}

/** The task's subtasks, and "Add subtask" (a task of the same project with this one as parent). */
export function Subtasks({ task, canEdit, onAdded }: { task: TaskDetail; canEdit: boolean; onAdded(): void }) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState('');
  const attempt = useRef(randomId());
  const { error, busy, run } = useAction();
  const done = task.subtasks.filter((sub) => sub.stateGroup === 'completed').length;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return;
    void run(async () => {
      await create(`/projects/${task.projectKey}/tasks`, { title: title.trim(), parent: task.key }, attempt.current);
      attempt.current = randomId();
      setTitle('');
      onAdded();
    });
  };
  return (
    <section className="task-section" aria-labelledby="subtasks-heading">
      <div className="section-head">
        <h2 id="subtasks-heading">
          Subtasks{' '}
          {task.subtasks.length > 0 && (
            <span className="muted small">
              {done}/{task.subtasks.length} done
            </span>
          )}
        </h2>
        {canEdit && !open && (
          <button type="button" className="secondary small" onClick={() => setOpen(true)}>
            Add subtask
          </button>
        )}
      </div>
      {task.subtasks.length === 0 && !open && <p className="muted small">No subtasks.</p>}
      {task.subtasks.length > 0 && (
        <ul className="ref-list">
          {task.subtasks.map((sub) => (
            <li key={sub.id}>
              <TaskRefLink task={sub} projectKey={task.projectKey} />
            </li>
          ))}
        </ul>
      )}
      {open && (
        <InlineAddForm
          button="Add subtask"
          disabled={busy || !title.trim()}
          onSubmit={submit}
          onDone={() => setOpen(false)}
        >
          <ErrorAlert error={error} />
          <label htmlFor="subtask-title" className="visually-hidden">
            Title of the subtask
          </label>
          <input
            id="subtask-title"
            autoFocus
            placeholder="Subtask title"
            maxLength={500}
            value={title}
            onChange={(event) => {
              setTitle(event.target.value);
              attempt.current = randomId();
            }}
            onKeyDown={(event) => event.key === 'Escape' && setOpen(false)}
          />
        </InlineAddForm>
      )}
    </section>
  );
}
