import { useState } from 'react';
import type { TaskDetail } from '../types';
import type { TaskPatch } from './useTask';

/**
 * The description: the server's sanitised HTML when reading, its Markdown when editing. After a
 * refused save (someone else changed the task) the person's text stays in the editor.
 */
export function TaskDescription({
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
  const [busy, setBusy] = useState(false);
  if (!draft)
    return (
      <section className="task-description" aria-labelledby="description-heading">
        <div className="section-head">
          <h2 id="description-heading">Description</h2>
          {canEdit && (
            <button
              type="button"
              className="secondary small"
              onClick={() => setDraft({ text: task.description, since: task.version })}
            >
              Edit<span className="visually-hidden"> description</span>
            </button>
          )}
        </div>
        {task.description.trim() ? (
          // Rendered and sanitised by the server (descriptionHtml is safe to show as HTML).
          <div className="prose" dangerouslySetInnerHTML={{ __html: task.descriptionHtml }} />
        ) : (
          <p className="muted">No description yet.</p>
        )}
      </section>
    );
  const submit = async () => {
    setBusy(true);
    const saved = await save({ description: draft.text }, draft.since);
    setBusy(false);
    // Refused: the editor keeps the text and now builds on the version just read.
    if (saved) setDraft(undefined);
    else setDraft({ text: draft.text, since: latestVersion() });
  };
  return (
    <section className="task-description" aria-labelledby="description-heading">
      <h2 id="description-heading">Description</h2>
      <form
        className="field"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <label htmlFor="task-description" className="visually-hidden">
          Description (Markdown)
        </label>
        <textarea
          id="task-description"
          className="prose-input"
          rows={10}
          autoFocus
          value={draft.text}
          maxLength={100000}
          aria-describedby="task-description-hint"
          onChange={(event) => setDraft({ ...draft, text: event.target.value })}
          onKeyDown={(event) => event.key === 'Escape' && setDraft(undefined)}
        />
        <span className="hint" id="task-description-hint">
          Markdown: **bold**, _italic_, `code`, lists, [links](https://example.com).
        </span>
        <div className="row">
          <button className="primary small" type="submit" disabled={busy}>
            Save description
          </button>
          <button className="secondary small" type="button" onClick={() => setDraft(undefined)}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
