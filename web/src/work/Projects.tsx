import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api';
import { ErrorAlert } from '../ui/Field';
import { Loading } from './bits';
import { NewProject } from './NewProject';
import type { Project } from './types';

const roleWords = { lead: 'Lead', member: 'Member', viewer: 'Viewer' } as const;

/** The projects one belongs to (all of them for owners and admins), and a way to start one. */
export function Projects({ canCreate }: { canCreate: boolean }) {
  const [projects, setProjects] = useState<Project[] | undefined>();
  const [archived, setArchived] = useState(false);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<unknown>();
  const load = useCallback(async () => {
    try {
      setProjects(await api<Project[]>('GET', `/projects?archived=${archived}`));
      setError(undefined);
    } catch (caught) {
      setError(caught);
    }
  }, [archived]);
  useEffect(() => void load(), [load]);

  return (
    <section className="panel" aria-labelledby="projects-heading">
      <div className="section-head">
        <h2 id="projects-heading">Projects</h2>
        {canCreate && !creating && (
          <button className="primary small" type="button" onClick={() => setCreating(true)}>
            New project
          </button>
        )}
      </div>
      {creating && <NewProject onCancel={() => setCreating(false)} />}
      <ErrorAlert error={error} />
      {!projects && !error && <Loading what="projects" />}
      {projects?.length === 0 && !creating && (
        <div className="empty">
          <p>
            <strong>No projects yet.</strong>
          </p>
          <p className="muted">
            {canCreate
              ? 'Start one to plan work on a board with your team.'
              : 'When someone adds you to a project, it appears here.'}
          </p>
        </div>
      )}
      {projects && projects.length > 0 && (
        <ul className="project-list">
          {projects.map((project) => (
            <li key={project.id}>
              <Link to={`/projects/${project.key}`} className="project-row">
                <span className="project-key">{project.key}</span>
                <span className="project-text">
                  <span className="project-name">{project.name}</span>
                  {project.description && <span className="project-description muted">{project.description}</span>}
                </span>
                {project.archivedAt && <span className="badge quiet">archived</span>}
                <span className="badge quiet" title="Your role in this project">
                  {roleWords[project.yourRole]}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      <div className="check small list-foot">
        <input
          id="show-archived"
          type="checkbox"
          checked={archived}
          onChange={(event) => setArchived(event.target.checked)}
        />
        <label htmlFor="show-archived">Show archived projects</label>
      </div>
    </section>
  );
}
