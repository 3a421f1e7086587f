import { useCallback, useEffect } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ErrorAlert } from '../../ui/Field';
import { Shell } from '../../ui/Shell';
import { useAction } from '../../ui/useAction';
import { Ago, Avatars, DueDate, LabelChip, Loading, PriorityIcon, StateIcon } from '../bits';
import { upsert } from '../board/useBoard';
import { useLiveEvents } from '../live';
import { ProjectHeader } from '../ProjectHeader';
import { useProject } from '../ProjectLayout';
import { LoadMore, useCursorPages } from '../pages';
import { taskPage } from '../requests';
import type { Task } from '../types';
import { ListFilters } from './ListFilters';
import { sortOf, viewKeys } from './viewQuery';
import { NewTask } from './NewTask';
import { SavedViews } from './SavedViews';

const pageSize = '50';

/** The project's tasks as a list: filtered, searched and sorted, a page at a time. */
export function TaskList() {
  const { project, live, canEdit, isLead } = useProject();
  const [params, setParams] = useSearchParams();
  const { error, busy, run } = useAction();

  const query = useCallback(() => {
    const query = new URLSearchParams({ project: project.key, limit: pageSize, sort: sortOf(params) });
    for (const name of viewKeys)
      if (name !== 'sort') for (const value of params.getAll(name)) if (value) query.append(name, value);
    return query;
  }, [project.key, params]);

  const fetchPage = useCallback((after?: string | null) => taskPage(query(), after), [query]);
  const { items: tasks, setItems: setTasks, cursor, load } = useCursorPages<Task>(run, fetchPage);
  useEffect(() => void load(), [load]);

  useLiveEvents(live, (event) => {
    if (event.kind === 'task.updated')
      setTasks((shown) => (shown?.some((task) => task.id === event.task.id) ? upsert(shown, event.task) : shown));
    else if (event.kind === 'task.deleted') setTasks((shown) => shown?.filter((task) => task.id !== event.taskId));
    else if (event.kind === 'task.created' && params.size === 0)
      setTasks((shown) => (shown?.some((task) => task.id === event.task.id) ? shown : [event.task, ...(shown ?? [])]));
    else if (event.kind === 'resync') void load();
  });

  return (
    <Shell layout="wide">
      <ProjectHeader actions={canEdit && <NewTask project={project} onAdded={() => void load()} />} />
      <SavedViews
        key={`views-${project.key}`}
        project={project}
        isLead={isLead}
        params={params}
        setParams={setParams}
      />
      <ListFilters key={project.key} project={project} params={params} setParams={setParams} />
      <ErrorAlert error={error} />
      {!tasks && !error && <Loading what="tasks" />}
      {tasks?.length === 0 && (
        <div className="empty panel">
          <p>
            <strong>{params.size > 0 ? 'No task matches these filters.' : 'No tasks yet.'}</strong>
          </p>
          <p className="muted">
            {params.size > 0 ? 'Change or clear the filters to see more.' : 'Add one here or on the board.'}
          </p>
        </div>
      )}
      {tasks && tasks.length > 0 && (
        <div className="panel flush">
          <table className="table stack task-table">
            <caption className="visually-hidden">Tasks of {project.name}</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Title</th>
                <th scope="col">State</th>
                <th scope="col">Priority</th>
                <th scope="col">Assignees</th>
                <th scope="col">Due</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((task) => (
                <tr key={task.id}>
                  <td className="task-key nowrap">{task.key}</td>
                  <td className="task-title-cell">
                    <Link to={`/projects/${project.key}/tasks/${task.key}`}>{task.title}</Link>
                    {task.labels.length > 0 && (
                      <span className="chips">
                        {task.labels.map((label) => (
                          <LabelChip key={label.id} label={label} />
                        ))}
                      </span>
                    )}
                  </td>
                  <td className="nowrap">
                    <span className="state">
                      <StateIcon group={task.state.group} color={task.state.color} /> {task.state.name}
                    </span>
                  </td>
                  <td className="nowrap">
                    <PriorityIcon priority={task.priority} labelled />
                  </td>
                  <td className={task.assignees.length > 0 ? undefined : 'blank'}>
                    {task.assignees.length > 0 ? <Avatars people={task.assignees} /> : <span className="muted">—</span>}
                  </td>
                  <td className={task.dueDate ? 'nowrap' : 'nowrap blank'}>
                    {task.dueDate ? (
                      <DueDate date={task.dueDate} done={task.state.group === 'completed'} />
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="nowrap muted small">
                    <Ago iso={task.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore cursor={cursor} busy={busy} load={(after) => void load(after)} busyLabel="Loading…" />
    </Shell>
  );
}
