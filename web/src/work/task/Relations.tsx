import { useState, type FormEvent } from 'react';
import { api } from '../../api';
import { ErrorAlert } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { relationKinds, type RelationKind, type TaskDetail } from '../types';
import { InlineAddForm } from './InlineAddForm';
import { TaskRefLink } from './Subtasks';

export const relationWords: Record<RelationKind, string> = {
  blocks: 'Blocks',
  blocked_by: 'Blocked by',
  relates_to: 'Relates to',
  duplicates: 'Duplicates',
};

/** How this task stands to others (blocks, blocked by, relates to, duplicates): listed, added, removed. */
export function Relations({ task, canEdit, onChanged }: { task: TaskDetail; canEdit: boolean; onChanged(): void }) {
  const [kind, setKind] = useState<RelationKind>('relates_to');
  const [other, setOther] = useState('');
  const [open, setOpen] = useState(false);
  const { error, busy, run } = useAction();
  const add = (event: FormEvent) => {
    event.preventDefault();
    if (!other.trim()) return;
    void run(async () => {
      await api('POST', `/tasks/${task.key}/relations`, { kind, task: other.trim().toUpperCase() });
      setOther('');
      onChanged();
    });
  };
  const remove = (otherKey: string) =>
    void run(async () => {
      await api('DELETE', `/tasks/${task.key}/relations/${otherKey}`);
      onChanged();
    });
  return (
    <section className="task-section" aria-labelledby="relations-heading">
      <div className="section-head">
        <h2 id="relations-heading">Related tasks</h2>
        {canEdit && !open && (
          <button type="button" className="secondary small" onClick={() => setOpen(true)}>
            Add relation
          </button>
        )}
      </div>
      <ErrorAlert error={error} />
      {task.relations.length === 0 && !open && <p className="muted small">None.</p>}
      {task.relations.length > 0 && (
        <ul className="ref-list">
          {task.relations.map((relation) => (
            <li key={`${relation.kind}:${relation.task.id}`}>
              <span className="relation-kind">{relationWords[relation.kind]}</span>
              <TaskRefLink task={relation.task} projectKey={relation.task.key.split('-')[0]!} />
              {canEdit && (
                <button
                  type="button"
                  className="icon-button"
                  aria-label={`Remove the relation to ${relation.task.key}`}
                  title="Remove"
                  onClick={() => remove(relation.task.key)}
                >
                  <span aria-hidden="true">×</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {open && (
        <InlineAddForm
          button="Add relation"
          disabled={busy || !other.trim()}
          onSubmit={add}
          onDone={() => setOpen(false)}
        >
          <label htmlFor="relation-kind" className="visually-hidden">
            Relation
          </label>
          <select id="relation-kind" value={kind} onChange={(event) => setKind(event.target.value as RelationKind)}>
            {relationKinds.map((each) => (
              <option key={each} value={each}>
                {relationWords[each]}
              </option>
            ))}
          </select>
          <label htmlFor="relation-task" className="visually-hidden">
            Key of the other task
          </label>
          <input
            id="relation-task"
            autoFocus
            placeholder={`${task.projectKey}-1`}
            value={other}
            size={10}
            onChange={(event) => setOther(event.target.value)}
          />
        </InlineAddForm>
      )}
    </section>
  );
}
