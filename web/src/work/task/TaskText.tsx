import { useState } from 'react';
import type { TaskDetail } from '../types';
import type { TaskPatch } from './useTask';

/** What the task's title and description editors are given. */
export interface TaskTextProps {
  task: TaskDetail;
  canEdit: boolean;
  save(patch: TaskPatch, since?: number): Promise<boolean>;
  latestVersion(): number;
}

/**
 * An editor's draft of the task's title or description and the version it builds on. After a
 * refused save (someone else changed the task) the person's text stays in the editor, now
 * building on the version just read.
 */
export function useTaskDraft({ task, save, latestVersion }: TaskTextProps, field: 'title' | 'description') {
  const [draft, setDraft] = useState<{ text: string; since: number } | undefined>();
  const [busy, setBusy] = useState(false);
  const edit = () => setDraft({ text: task[field], since: task.version });
  const cancel = () => setDraft(undefined);
  const type = (text: string) => setDraft((was) => was && { ...was, text });
  const commit = async (text: string) => {
    if (!draft) return;
    setBusy(true);
    const saved = await save({ [field]: text }, draft.since);
    setBusy(false);
    if (saved) setDraft(undefined);
    else setDraft({ text, since: latestVersion() });
  };
  return { draft, busy, edit, cancel, type, commit };
}

/** "Edit", named for screen readers by what it edits. */
export function EditButton({ what, onClick }: { what: string; onClick(): void }) {
  return (
    <button type="button" className="secondary small" onClick={onClick}>
      Edit<span className="visually-hidden"> {what}</span>
    </button>
  );
}
