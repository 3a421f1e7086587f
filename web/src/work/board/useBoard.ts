import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../../api';
import { useLiveEvents } from '../live';
import type { ProjectContext } from '../ProjectLayout';
import { allTasks, ifMatch, isEditConflict, isRefusedMove } from '../requests';
import type { Task } from '../types';
import { columnTasks, positionAt, type Target } from './placement';

/** What the board says after a move: a refusal or a failure (an alert), or what was done (a status). */
export type BoardMessage = { tone: 'error' | 'ok'; text: string };

/** Replaces a task by id with a version at least as new, or adds it. */
export function upsert(tasks: readonly Task[], task: Task): Task[] {
  const at = tasks.findIndex((each) => each.id === task.id);
  if (at < 0) return [...tasks, task];
  if (tasks[at]!.version > task.version) return tasks as Task[];
  return tasks.map((each, i) => (i === at ? task : each));
}

/**
 * The board's tasks: read in full, kept current by the project's live events, and moved
 * optimistically (the card goes at once; a refusal puts it back and says why).
 */
export function useBoard({ project, live }: Pick<ProjectContext, 'project' | 'live'>) {
  const [tasks, setTasks] = useState<Task[] | undefined>();
  const [loadError, setLoadError] = useState<unknown>();
  const [message, setMessage] = useState<BoardMessage | undefined>();
  const latest = useRef<Task[]>([]);
  useEffect(() => {
    latest.current = tasks ?? [];
  }, [tasks]);

  const load = useCallback(async () => {
    try {
      const query = new URLSearchParams({ project: project.key, sort: 'board', limit: '200' });
      setTasks(await allTasks(query));
      setLoadError(undefined);
    } catch (caught) {
      setLoadError(caught);
    }
  }, [project.key]);
  useEffect(() => void load(), [load]);

  useLiveEvents(live, (event) => {
    if (event.kind === 'task.created' || event.kind === 'task.updated') {
      if (event.task.projectId === project.id) setTasks((shown) => shown && upsert(shown, event.task));
    } else if (event.kind === 'task.deleted') setTasks((shown) => shown?.filter((task) => task.id !== event.taskId));
    else if (event.kind === 'resync' || event.kind === 'project.states') void load();
  });

  const added = useCallback((task: Task) => setTasks((shown) => upsert(shown ?? [], task)), []);

  /** Moves a card to `target`; resolves to whether the move stood. */
  const move = useCallback(
    async (task: Task, target: Target): Promise<boolean> => {
      const state = project.states.find((each) => each.id === target.stateId);
      if (!state) return false;
      const others = columnTasks(latest.current, state.id).filter((each) => each.id !== task.id);
      const index = Math.min(Math.max(0, target.index), others.length);
      const stays =
        task.state.id === state.id &&
        columnTasks(latest.current, state.id).findIndex((each) => each.id === task.id) === index;
      if (stays) return true;
      const position = positionAt(others, index);
      const moved: Task = {
        ...task,
        state: { id: state.id, name: state.name, group: state.group, color: state.color },
      };
      setTasks((shown) => shown?.map((each) => (each.id === task.id ? { ...moved, position } : each)));
      setMessage(undefined);
      try {
        const body = task.state.id === state.id ? { position } : { stateId: state.id, position };
        const saved = await api<Task>('PATCH', `/tasks/${task.key}`, body, ifMatch(task.version));
        setTasks((shown) => shown && upsert(shown, saved));
        setMessage({ tone: 'ok', text: `Moved ${task.key} to ${state.name}.` });
        return true;
      } catch (caught) {
        setTasks((shown) => shown?.map((each) => (each.id === task.id && each.version === task.version ? task : each)));
        if (isRefusedMove(caught)) setMessage({ tone: 'error', text: `Not moved: ${caught.message}` });
        else if (isEditConflict(caught)) {
          const fresh = await api<Task>('GET', `/tasks/${task.key}`).catch(() => undefined);
          if (fresh) setTasks((shown) => shown && upsert(shown, fresh));
          setMessage({
            tone: 'error',
            text: `${task.key} was changed by someone else a moment ago, so it was not moved. The board shows its latest version: move it again if you still want to.`,
          });
        } else setMessage({ tone: 'error', text: `${task.key} was not moved: ${(caught as Error).message}` });
        return false;
      }
    },
    [project.states],
  );

  return { tasks, loadError, message, setMessage, move, added, reload: load };
}
