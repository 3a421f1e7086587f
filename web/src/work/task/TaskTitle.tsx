import { useState, type FormEvent } from 'react';
import type { TaskDetail } from '../types';
import type { TaskPatch } from './useTask';

/** The task's title as its page's heading; "Edit" turns it into a field (Enter saves, Escape cancels). */
export function TaskTitle({
  task,
  canEdit,
  save,
  latestVersion,
}: {
  task: TaskDetail;
  canEdit: boolean;
  save(patch: TaskPatch, since?: number): Promise<boolean>;
  latestVersion(): number;
}) {
  const [draft, setDraft] = useState<{ text: string; since: number } | undefined>();
  if (!draft)
    return (
      <div className="task-title">
        <h1>{task.title}</h1>
        {canEdit && (
          <button
            type="button"
            className="secondary small"
            onClick={() => setDraft({ text: task.title, since: task.version })}
          >
            Edit<span className="visually-hidden"> title</span>
          </button>
        )}
      </div>
    );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const text = draft.text.trim();
    if (!text || text === task.title) return setDraft(undefined);
    if (await save({ title: text }, draft.since)) setDraft(undefined);
    else setDraft({ text, since: latestVersion() });
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
        onChange={(event) => setDraft({ ...draft, text: event.target.value })}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey) void submit(event);
          if (event.key === 'Escape') setDraft(undefined);
        }}
      />
      <div className="row">
        <button className="primary small" type="submit">
          Save title
        </button>
        <button className="secondary small" type="button" onClick={() => setDraft(undefined)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
