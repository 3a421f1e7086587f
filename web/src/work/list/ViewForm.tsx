import { useId, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, fieldError } from '../../api';
import { ErrorAlert, Field } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { create, ifMatch, isEditConflict, randomId } from '../requests';
import type { ProjectDetail, SavedView, ViewQuery } from '../types';
import { describeQuery } from './viewQuery';

/** A name taken already (409): said under the name, where the person fixes it. */
const nameError = (error: unknown) =>
  error instanceof ApiError && error.status === 409 ? error.message : fieldError(error, 'name');

/**
 * Saves the list's filters as a view (`editing` absent), or renames and shares one: a name, and
 * whether the project sees it (viewers keep views for themselves: the box is off for them, and
 * the server's refusal is shown should their role change meanwhile).
 */
export function ViewForm({
  project,
  query,
  editing,
  onSaved,
  onStale,
  onCancel,
}: {
  project: ProjectDetail;
  query: ViewQuery;
  editing?: SavedView;
  onSaved(view: SavedView): void;
  /** Someone changed the view meanwhile (412): the views are read again. */
  onStale(): void;
  onCancel(): void;
}) {
  const [name, setName] = useState(editing?.name ?? '');
  const [shared, setShared] = useState(editing?.shared ?? false);
  const id = useId();
  const attempt = useRef(randomId());
  const { error, busy, run, setError } = useAction();
  const mayShare = project.yourRole !== 'viewer';
  const path = `/projects/${encodeURIComponent(project.key)}/views`;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      try {
        const saved = editing
          ? await api<SavedView>('PATCH', `${path}/${editing.id}`, { name, shared }, ifMatch(editing.version))
          : await create<SavedView>(path, { name, shared, layout: 'list', query }, attempt.current);
        onSaved(saved);
      } catch (caught) {
        if (!isEditConflict(caught)) throw caught;
        onStale();
        throw new Error('Someone changed this view while you were editing it. It has been read again: try once more.');
      }
    });
  };
  const changed = () => {
    attempt.current = randomId();
    setError(undefined);
  };
  const title = editing ? `Rename or share “${editing.name}”` : 'Save these filters as a view';
  return (
    <form
      className="panel view-form"
      onSubmit={submit}
      aria-label={title}
      noValidate
      onKeyDown={(event) => event.key === 'Escape' && onCancel()}
    >
      <p className="view-form-title">
        <strong>{title}</strong>
        {!editing && <span className="muted small">{describeQuery(query, project)}</span>}
      </p>
      <ErrorAlert error={nameError(error) ? undefined : error} />
      <Field
        label="Name of the view"
        name="name"
        required
        autoFocus
        maxLength={100}
        value={name}
        onChange={(event) => {
          setName(event.target.value);
          changed();
        }}
        error={nameError(error)}
      />
      <div className="check small">
        <input
          id={`${id}-shared`}
          type="checkbox"
          checked={shared}
          disabled={!mayShare && !shared}
          aria-describedby={`${id}-share-hint`}
          onChange={(event) => {
            setShared(event.target.checked);
            changed();
          }}
        />
        <div>
          <label htmlFor={`${id}-shared`}>Share with the project</label>
          <span className="muted view-share-hint" id={`${id}-share-hint`}>
            {mayShare
              ? 'Everyone in the project sees a shared view; otherwise only you do.'
              : 'Viewers keep views for themselves; a member or a lead can share one.'}
          </span>
        </div>
      </div>
      <div className="row">
        <button className="primary small" type="submit" disabled={busy || !name.trim()}>
          {editing ? 'Save' : 'Save view'}
        </button>
        <button className="secondary small" type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
