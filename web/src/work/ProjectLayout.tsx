import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, Outlet, useOutletContext, useParams } from 'react-router';
import { api, ApiError } from '../api';
import { ErrorAlert } from '../ui/Field';
import { Shell } from '../ui/Shell';
import { Loading } from './bits';
import { LiveHub, useLiveEvents, useProjectStream, type LiveStatus } from './live';
import type { ProjectDetail } from './types';

/** What every screen of a project shares: the project as last read, its live stream, and a way to read it again. */
export interface ProjectContext {
  project: ProjectDetail;
  reload(): Promise<void>;
  live: LiveHub;
  liveStatus: LiveStatus;
  /** The person may change tasks (a member or a lead). */
  canEdit: boolean;
  /** The person leads the project (settings). */
  isLead: boolean;
}

export const useProject = (): ProjectContext => useOutletContext<ProjectContext>();

/**
 * The frame of /projects/:key/*: reads the project once, keeps its live stream open while any of
 * its screens is shown, and reads the project again when its settings change.
 */
export function ProjectLayout() {
  const { key = '' } = useParams();
  const [project, setProject] = useState<ProjectDetail | undefined>();
  const [error, setError] = useState<unknown>();
  const hub = useMemo(() => new LiveHub(), []);
  const reload = useCallback(async () => {
    try {
      setProject(await api<ProjectDetail>('GET', `/projects/${encodeURIComponent(key)}`));
      setError(undefined);
    } catch (caught) {
      setError(caught);
    }
  }, [key]);
  useEffect(() => {
    setProject(undefined);
    void reload();
  }, [reload]);
  const liveStatus = useProjectStream(key, hub);
  useLiveEvents(hub, (event) => {
    if (event.kind.startsWith('project.') || event.kind === 'resync') void reload();
  });

  if (error && !project)
    return (
      <Shell>
        <h1>Project {key}</h1>
        {error instanceof ApiError && error.status === 404 ? (
          <p className="alert error" role="alert">
            There is no project {key}, or you are not one of its members. <Link to="/">See your projects</Link>.
          </p>
        ) : (
          <ErrorAlert error={error} />
        )}
      </Shell>
    );
  if (!project || project.key !== key.toUpperCase())
    return (
      <Shell>
        <Loading what="the project" />
      </Shell>
    );
  const context: ProjectContext = {
    project,
    reload,
    live: hub,
    liveStatus,
    canEdit: project.yourRole !== 'viewer' && !project.archivedAt,
    isLead: project.yourRole === 'lead',
  };
  return <Outlet context={context} />;
}
