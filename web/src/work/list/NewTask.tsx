import { useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { fieldError } from '../../api';
import { ErrorAlert, Field } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { create, randomId } from '../requests';
import type { ProjectDetail, Task } from '../types';

/** "New task" above the list: a title, made in the project's default state, then opened. */
export function NewTask({ project, onAdded }: { project: ProjectDetail; onAdded(task: Task): void }) {
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const { error, busy, run } = useAction();
  const attempt = useRef(randomId());
  if (!open)
    return (
      <button className="primary small" type="button" onClick={() => setOpen(true)}>
        New task
      </button>
    );
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const title = String(new FormData(event.currentTarget).get('title') ?? '').trim();
    void run(async () => {
      const task = await create<Task>(`/projects/${project.key}/tasks`, { title }, attempt.current);
      onAdded(task);
      navigate(`/projects/${project.key}/tasks/${task.key}`);
    });
  };
  return (
    <form className="new-task" onSubmit={submit} noValidate>
      <ErrorAlert error={fieldError(error, 'title') ? undefined : error} />
      <Field
        label="Title of the new task"
        name="title"
        required
        autoFocus
        maxLength={500}
        onChange={() => (attempt.current = randomId())}
        error={fieldError(error, 'title')}
      />
      <div className="row">
        <button className="primary small" type="submit" disabled={busy}>
          Create task
        </button>
        <button className="secondary small" type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
