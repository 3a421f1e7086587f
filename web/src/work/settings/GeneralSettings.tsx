import { useState, type FormEvent } from 'react';
import { api, fieldError } from '../../api';
import { ErrorAlert, Field, Notice } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { ifMatch, isEditConflict } from '../requests';
import type { Project } from '../types';
import { SettingsSection, type SettingsProps } from './SettingsSection';

/** The project's name and description, and archiving it (If-Match: a change made meanwhile is not overwritten). */
export function GeneralSettings({ project, readOnly, reload }: SettingsProps) {
  const { error, busy, run, setError } = useAction();
  const [saved, setSaved] = useState<string | undefined>();
  const patch = (body: Partial<{ name: string; description: string; archived: boolean }>, done: string) =>
    run(async () => {
      setSaved(undefined);
      try {
        await api<Project>('PATCH', `/projects/${project.key}`, body, ifMatch(project.version));
        setSaved(done);
      } catch (caught) {
        if (!isEditConflict(caught)) throw caught;
        setError(
          new Error('Someone else changed the project meanwhile, so this was not saved. You now see their version.'),
        );
      }
      await reload();
    });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    void patch({ name: String(data.get('name') ?? ''), description: String(data.get('description') ?? '') }, 'Saved.');
  };
  const archive = () => {
    const archiving = !project.archivedAt;
    if (
      archiving &&
      !window.confirm(
        `Archive ${project.name}? It leaves everyone's project list and becomes read-only; a lead can restore it.`,
      )
    )
      return;
    void patch({ archived: archiving }, archiving ? 'The project is archived.' : 'The project is restored.');
  };
  return (
    <SettingsSection id="general" title="Project">
      <form onSubmit={submit} noValidate key={project.version}>
        {saved && <Notice>{saved}</Notice>}
        <ErrorAlert error={fieldError(error, 'name') ? undefined : error} />
        <fieldset disabled={readOnly}>
          <Field
            label="Name"
            name="name"
            defaultValue={project.name}
            maxLength={200}
            error={fieldError(error, 'name')}
          />
          <Field
            label="Key"
            name="key"
            value={project.key}
            readOnly
            disabled
            hint="A project's key cannot change: task keys are made from it."
          />
          <div className="field">
            <label htmlFor="project-description-edit">Description</label>
            <textarea
              id="project-description-edit"
              name="description"
              className="prose"
              rows={3}
              defaultValue={project.description}
              maxLength={20000}
            />
          </div>
        </fieldset>
        {!readOnly && (
          <div className="row">
            <button className="primary" type="submit" disabled={busy}>
              Save
            </button>
            <button
              className={project.archivedAt ? 'secondary' : 'danger'}
              type="button"
              disabled={busy}
              onClick={archive}
            >
              {project.archivedAt ? 'Restore project' : 'Archive project'}
            </button>
          </div>
        )}
      </form>
    </SettingsSection>
  );
}
