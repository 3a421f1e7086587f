import { useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { fieldError } from '../api';
import { ErrorAlert, Field } from '../ui/Field';
import { useAction } from '../ui/useAction';
import { suggestKey } from './format';
import { create, randomId } from './requests';
import type { Project } from './types';

/** Starts a project: a name, a key suggested from it (until the person types their own), a description. */
export function NewProject({ onCancel }: { onCancel: () => void }) {
  const navigate = useNavigate();
  const { error, busy, run } = useAction();
  const [name, setName] = useState('');
  const [key, setKey] = useState('');
  const [keyTyped, setKeyTyped] = useState(false);
  // One key per attempt to create: a retry after a lost answer makes no second project.
  const attempt = useRef(randomId());
  const shownKey = keyTyped ? key : suggestKey(name);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const description = String(new FormData(event.currentTarget).get('description') ?? '').trim();
    void run(async () => {
      const made = await create<Project>(
        '/projects',
        { name: name.trim(), key: shownKey.trim(), ...(description ? { description } : {}) },
        attempt.current,
      );
      navigate(`/projects/${made.key}`);
    });
  };
  const general = fieldError(error, 'name') || fieldError(error, 'key') ? undefined : error;
  return (
    <form className="new-project" onSubmit={submit} noValidate aria-labelledby="new-project-heading">
      <h3 id="new-project-heading">New project</h3>
      <ErrorAlert error={general} />
      <div className="row top">
        <Field
          label="Name"
          name="name"
          required
          autoFocus
          maxLength={200}
          value={name}
          onChange={(event) => {
            setName(event.target.value);
            attempt.current = randomId();
          }}
          error={fieldError(error, 'name')}
        />
        <Field
          label="Key"
          name="key"
          required
          maxLength={10}
          className="key-input"
          value={shownKey}
          onChange={(event) => {
            setKeyTyped(true);
            setKey(event.target.value.toUpperCase());
            attempt.current = randomId();
          }}
          hint={`Task keys start with it: ${shownKey || 'KEY'}-1, ${shownKey || 'KEY'}-2…`}
          error={fieldError(error, 'key')}
        />
      </div>
      <div className="field">
        <label htmlFor="project-description">Description</label>
        <textarea id="project-description" name="description" rows={3} className="prose" maxLength={20000} />
      </div>
      <div className="row">
        <button className="primary" type="submit" disabled={busy}>
          Create project
        </button>
        <button className="secondary" type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
