import type { ReactNode } from 'react';
import { Link, NavLink } from 'react-router';
import { useProject } from './ProjectLayout';

const liveWords = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
} as const;

/** The head of a project's screens: where one is, the project's name, its views, and whether changes arrive live. */
export function ProjectHeader({ actions }: { actions?: ReactNode }) {
  const { project, liveStatus } = useProject();
  const base = `/projects/${project.key}`;
  return (
    <div className="project-head">
      <nav className="crumbs small" aria-label="Breadcrumb">
        <Link to="/">Projects</Link>
        <span aria-hidden="true">/</span>
        <span className="badge quiet">{project.key}</span>
      </nav>
      <div className="project-title">
        <h1>{project.name}</h1>
        <span className={`live ${liveStatus}`} role="status" title="Changes others make appear here as they happen">
          <span className="live-dot" aria-hidden="true" />
          {liveWords[liveStatus]}
        </span>
        {actions && <div className="project-actions">{actions}</div>}
      </div>
      {project.archivedAt && (
        <p className="alert warn">This project is archived: it is read-only until a lead restores it in Settings.</p>
      )}
      <nav className="tabs" aria-label="Project views">
        <NavLink to={base} end>
          Board
        </NavLink>
        <NavLink to={`${base}/list`}>List</NavLink>
        <NavLink to={`${base}/settings`}>Settings</NavLink>
      </nav>
    </div>
  );
}
