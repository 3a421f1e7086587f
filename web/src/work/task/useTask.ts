import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../../api';
import { useLiveEvents, type LiveHub } from '../live';
import { ifMatch, isEditConflict } from '../requests';
import type { Task, TaskDetail } from '../types';

/** What a task takes in a PATCH: any subset of its fields; null clears one. */
export type TaskPatch = Partial<{
  title: string;
  description: string;
  stateId: string;
  priority: Task['priority'];
  startDate: string | null;
  dueDate: string | null;
  estimate: number | null;
  parent: string | null;
  assigneeIds: string[];
  labelIds: string[];
  fields: Record<string, unknown>;
}>;

export const conflictNotice =
  'Someone else changed this task while you were working on it, so your change was not saved. You now see their version; make your change again if it still applies.';

/**
 * A task as its page shows it: read, kept current by live events, and changed one save at a
 * time (each with If-Match of the version it builds on; a 412 reloads it and says so).
 */
export function useTask(taskKey: string, live: LiveHub) {
  const [task, setTask] = useState<TaskDetail | undefined>();
  const [loadError, setLoadError] = useState<unknown>();
  const [saveError, setSaveError] = useState<unknown>();
  const [notice, setNotice] = useState<string | undefined>();
  const [deleted, setDeleted] = useState(false);
  /** Bumped after every change, so the history is read again. */
  const [changes, setChanges] = useState(0);
  const current = useRef<TaskDetail | undefined>(undefined);
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  /** Versions this page's own saves made: an editor opened at version 3 may save over them, not over others'. */
  const mine = useRef(new Set<number>());
  useEffect(() => {
    current.current = task;
  }, [task]);

  const load = useCallback(async () => {
    try {
      const fresh = await api<TaskDetail>('GET', `/tasks/${encodeURIComponent(taskKey)}`);
      current.current = fresh;
      setTask(fresh);
      setLoadError(undefined);
      setChanges((n) => n + 1);
    } catch (caught) {
      setLoadError(caught);
    }
  }, [taskKey]);
  useEffect(() => {
    setTask(undefined);
    setDeleted(false);
    setNotice(undefined);
    void load();
  }, [load]);

  useLiveEvents(live, (event) => {
    const shown = current.current;
    if (!shown) return;
    if (event.kind === 'task.updated' && event.task.id === shown.id && event.task.version > shown.version) {
      const merged = { ...shown, ...event.task };
      current.current = merged;
      setTask(merged);
      setChanges((n) => n + 1);
    } else if ((event.kind === 'task.created' || event.kind === 'task.updated') && event.task.parent?.id === shown.id)
      void load();
    else if (event.kind === 'task.deleted' && event.taskId === shown.id) setDeleted(true);
    else if (
      (event.kind === 'comment.created' ||
        event.kind === 'attachment.created' ||
        event.kind === 'attachment.deleted') &&
      event.taskId === shown.id
    )
      setChanges((n) => n + 1);
    else if (event.kind === 'resync') void load();
  });

  /**
   * Saves a change; `since` is the version an editor was opened at (its text builds on it).
   * Resolves to whether it was saved.
   */
  const save = useCallback(
    (patch: TaskPatch, since?: number): Promise<boolean> => {
      const run = async () => {
        const shown = current.current;
        if (!shown) return false;
        let base = since ?? shown.version;
        while (mine.current.has(base + 1)) base++;
        setSaveError(undefined);
        setNotice(undefined);
        try {
          const saved = await api<Task>('PATCH', `/tasks/${shown.key}`, patch, ifMatch(base));
          mine.current.add(saved.version);
          const merged = { ...(current.current ?? shown), ...saved };
          current.current = merged;
          setTask(merged);
          setChanges((n) => n + 1);
          if (patch.parent !== undefined) void load();
          return true;
        } catch (caught) {
          if (isEditConflict(caught)) {
            await load();
            setNotice(conflictNotice);
          } else setSaveError(caught);
          return false;
        }
      };
      const next = queue.current.then(run, run);
      queue.current = next;
      return next;
    },
    [load],
  );

  const remove = useCallback(async () => {
    const shown = current.current;
    if (!shown) return false;
    try {
      await api('DELETE', `/tasks/${shown.key}`, undefined, ifMatch(shown.version));
      return true;
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 412) {
        await load();
        setNotice(conflictNotice);
      } else setSaveError(caught);
      return false;
    }
  }, [load]);

  /** The version shown now (an editor whose save was refused builds on it next). */
  const latestVersion = useCallback(() => current.current?.version ?? 0, []);

  return {
    task,
    loadError,
    saveError,
    setSaveError,
    notice,
    deleted,
    changes,
    save,
    remove,
    reload: load,
    latestVersion,
  };
}
