import type { FormEvent } from 'react';
import { EditButton, useTaskDraft, type TaskTextProps } from './TaskText';

/** The task's title as its page's heading; "Edit" turns it into a field (Enter saves, Escape cancels). */
export function TaskTitle(props: TaskTextProps) {
  const { task, canEdit } = props;
  const { draft, edit, cancel, type, commit } = useTaskDraft(props, 'title');
  if (!draft)
    return (
      <div className="task-title">
        <h1>{task.title}</h1>
        {canEdit && <EditButton what="title" onClick={edit} />}
      </div>
    );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const text = draft.text.trim();
    if (!text || text === task.title) return cancel();
    await commit(text);
  };
  return (
    <form className="task-title editing" onSubmit={(event) => void submit(event)}>
      <h1 className="visually-hidden">{task.title}</h1>
      <label className="visually-hidden" htmlFor="task-title">
        Title
      </label>
      <textarea
        id="task-title"
        className="title-input"
        rows={2}
        autoFocus
        maxLength={500}
        value={draft.text}
        onChange={(event) => type(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey) void submit(event);
          if (event.key === 'Escape') cancel();
        }}
      />
      <div className="row">
        <button className="primary small" type="submit">
          Save title
        </button>
        <button className="secondary small" type="button" onClick={cancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
