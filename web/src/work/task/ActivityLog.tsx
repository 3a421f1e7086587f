import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api';
import { ErrorAlert } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { Ago, Loading } from '../bits';
import type { Activity } from '../types';
import { activityWords, type ActivityContext } from './activityWords';

/** The history names people by address (identity's actor name): shown by name when they are in the project. */
const actorName = (actor: string, context: ActivityContext) =>
  context.members.find((member) => member.email === actor.replace(/^user:/, ''))?.name ?? actor.replace(/^user:/, '');

/** The task's history in words: "Ada changed state from Todo to In Progress · 2 minutes ago". */
export function ActivityLog({
  taskKey,
  changes,
  context,
}: {
  taskKey: string;
  changes: number;
  context: ActivityContext;
}) {
  const [entries, setEntries] = useState<Activity[] | undefined>();
  const { error, run } = useAction();
  const load = useCallback(
    () => run(async () => setEntries(await api<Activity[]>('GET', `/tasks/${taskKey}/activity`))),
    [run, taskKey],
  );
  useEffect(() => void load(), [load, changes]);
  return (
    <section className="task-section" aria-labelledby="activity-heading">
      <h2 id="activity-heading">Activity</h2>
      <ErrorAlert error={error} />
      {!entries && !error && <Loading what="the history" />}
      {entries?.length === 0 && <p className="muted small">Nothing yet.</p>}
      {entries && entries.length > 0 && (
        <ol className="activity">
          {entries.map((entry) => (
            <li key={entry.id}>
              <span className="activity-dot" aria-hidden="true" />
              <span>
                <strong>{actorName(entry.actor, context)}</strong> {activityWords(entry, context)} ·{' '}
                <span className="muted">
                  <Ago iso={entry.at} />
                </span>
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
