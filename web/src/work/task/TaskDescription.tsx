import { EditButton, useTaskDraft, type TaskTextProps } from './TaskText';

/**
 * The description: the server's sanitised HTML when reading, its Markdown when editing. After a
 * refused save (someone else changed the task) the person's text stays in the editor.
 */
export function TaskDescription(props: TaskTextProps) {
  const { task, canEdit } = props;
  const { draft, busy, edit, cancel, type, commit } = useTaskDraft(props, 'description');
  if (!draft)
    return (
      <section className="task-description" aria-labelledby="description-heading">
        <div className="section-head">
          <h2 id="description-heading">Description</h2>
          {canEdit && <EditButton what="description" onClick={edit} />}
        </div>
        {task.description.trim() ? (
          // Rendered and sanitised by the server (descriptionHtml is safe to show as HTML).
          <div className="prose" dangerouslySetInnerHTML={{ __html: task.descriptionHtml ?? '' }} />
        ) : (
          <p className="muted">No description yet.</p>
        )}
      </section>
    );
  return (
    <section className="task-description" aria-labelledby="description-heading">
      <h2 id="description-heading">Description</h2>
      <form
        className="field"
        onSubmit={(event) => {
          event.preventDefault();
          void commit(draft.text);
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
          onChange={(event) => type(event.target.value)}
          onKeyDown={(event) => event.key === 'Escape' && cancel()}
        />
        <span className="hint" id="task-description-hint">
          Markdown: **bold**, _italic_, `code`, lists, [links](https://example.com).
        </span>
        <div className="row">
          <button className="primary small" type="submit" disabled={busy}>
            Save description
          </button>
          <button className="secondary small" type="button" onClick={cancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
