import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../../api';
import { ErrorAlert } from '../../ui/Field';
import { Shell } from '../../ui/Shell';
import { Loading, StateIcon } from '../bits';
import { useProject } from '../ProjectLayout';
import { ActivityLog } from './ActivityLog';
import { Attachments } from './Attachments';
import { Comments } from './Comments';
import { Relations } from './Relations';
import { Subtasks } from './Subtasks';
import { TaskDescription } from './TaskDescription';
import { TaskProperties } from './TaskProperties';
import { TaskTitle } from './TaskTitle';
import { useTask } from './useTask';

/** A task's page: title, description, properties, attachments, subtasks, relations, comments and history. */
export function TaskPage() {
  const { taskKey = '' } = useParams();
  const navigate = useNavigate();
  const { project, live, canEdit, isLead } = useProject();
  const state = useTask(taskKey, live);
  const { task, loadError, saveError, notice, deleted, changes, save, remove, reload, latestVersion } = state;

  const crumbs = (
    <nav className="crumbs small" aria-label="Breadcrumb">
      <Link to="/">Projects</Link>
      <span aria-hidden="true">/</span>
      <Link to={`/projects/${project.key}`}>{project.name}</Link>
      <span aria-hidden="true">/</span>
      <span aria-current="page">{taskKey.toUpperCase()}</span>
    </nav>
  );
  if (!task)
    return (
      <Shell layout="wide">
        {crumbs}
        {loadError ? (
          <>
            <h1>{taskKey.toUpperCase()}</h1>
            {loadError instanceof ApiError && loadError.status === 404 ? (
              <p className="alert error" role="alert">
                There is no task {taskKey.toUpperCase()}, or you may not see it.{' '}
                <Link to={`/projects/${project.key}`}>Back to the board</Link>.
              </p>
            ) : (
              <ErrorAlert error={loadError} />
            )}
          </>
        ) : (
          <Loading what="the task" />
        )}
      </Shell>
    );

  const editable = canEdit && !deleted;
  const onDelete = async () => {
    if (!window.confirm(`Delete ${task.key}, its comments and its history? This cannot be undone.`)) return;
    if (await remove()) navigate(`/projects/${project.key}`);
  };
  return (
    <Shell layout="wide">
      {crumbs}
      <div className="task-layout">
        <div className="task-head">
          <p className="task-key-line small">
            <span className="state">
              <StateIcon group={task.state.group} color={task.state.color} /> {task.state.name}
            </span>
            <span className="muted">{task.key}</span>
          </p>
          <TaskTitle task={task} canEdit={editable} save={save} latestVersion={latestVersion} />
          {deleted && (
            <p className="alert error" role="alert">
              Someone deleted this task. <Link to={`/projects/${project.key}`}>Back to the board</Link>.
            </p>
          )}
          {notice && (
            <p className="alert warn" role="alert">
              {notice}
            </p>
          )}
          <ErrorAlert error={saveError} />
        </div>
        <TaskProperties
          task={task}
          project={project}
          canEdit={editable}
          save={save}
          onRepeatChanged={() => void reload()}
        />
        <div className="task-body">
          <TaskDescription task={task} canEdit={editable} save={save} latestVersion={latestVersion} />
          <Attachments
            key={task.id}
            taskKey={task.key}
            taskId={task.id}
            live={live}
            canEdit={editable}
            isLead={isLead}
          />
          <Subtasks task={task} canEdit={editable} onAdded={() => void reload()} />
          <Relations task={task} canEdit={editable} onChanged={() => void reload()} />
          <Comments
            taskKey={task.key}
            taskId={task.id}
            members={project.members}
            live={live}
            canComment={editable}
            isLead={isLead}
          />
          <ActivityLog
            taskKey={task.key}
            changes={changes}
            context={{ fields: project.fields, members: project.members, task }}
          />
          {editable && (
            <div className="danger-zone">
              <button type="button" className="danger small" onClick={() => void onDelete()}>
                Delete task
              </button>
            </div>
          )}
        </div>
      </div>
    </Shell>
  );
}
