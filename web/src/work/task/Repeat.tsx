import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { api, ApiError, fieldError } from '../../api';
import { ErrorAlert } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { today } from '../format';
import type { Frequency, Recurrence, TaskDetail } from '../types';
import { Prop } from './Pickers';

const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
/** The week as the toggles show it, Monday first. */
const weekOrder = [1, 2, 3, 4, 5, 6, 0];
const units: Record<Frequency, [one: string, many: string]> = {
  daily: ['day', 'days'],
  weekly: ['week', 'weeks'],
  monthly: ['month', 'months'],
};

/** A calendar day with its weekday, as "Thu, Dec 3" (the year too when it is not this one). */
function weekday(date: string): string {
  const [year, month, dayOfMonth] = date.split('-').map(Number);
  const value = new Date(year!, month! - 1, dayOfMonth!);
  const thisYear = value.getFullYear() === new Date().getFullYear();
  return value.toLocaleDateString([], {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    ...(thisYear ? {} : { year: 'numeric' }),
  });
}

const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

interface Draft {
  frequency: Frequency;
  every: string;
  weekdays: number[];
  startsOn: string;
  endsOn: string;
}

function draftOf(rule: Recurrence | null): Draft {
  if (rule)
    return {
      frequency: rule.frequency,
      every: String(rule.every),
      weekdays: rule.weekdays,
      startsOn: rule.startsOn,
      endsOn: rule.endsOn ?? '',
    };
  const start = today();
  return { frequency: 'weekly', every: '1', weekdays: [new Date().getDay()], startsOn: start, endsOn: '' };
}

/** The task's repeat rule, read once per task: null when it does not repeat. */
function useRecurrence(taskKey: string) {
  const [rule, setRule] = useState<Recurrence | null | undefined>();
  const [loadError, setLoadError] = useState<unknown>();
  useEffect(() => {
    let current = true;
    setRule(undefined);
    api<Recurrence>('GET', `/tasks/${encodeURIComponent(taskKey)}/recurrence`).then(
      (found) => current && setRule(found),
      (caught: unknown) => {
        if (!current) return;
        if (caught instanceof ApiError && caught.status === 404) setRule(null);
        else setLoadError(caught);
      },
    );
    return () => {
      current = false;
    };
  }, [taskKey]);
  return { rule, setRule, loadError };
}

/**
 * "Repeat" among a task's properties: how it repeats and when the next copy is made, or "Does not
 * repeat"; people who may edit the task set, change or stop the rule in a small form (the server's
 * reasons shown in it); viewers only read it.
 */
export function Repeat({
  task,
  canEdit,
  onChanged,
}: {
  task: TaskDetail;
  canEdit: boolean;
  /** After a change is saved: the history shows it. */
  onChanged(): void;
}) {
  const { rule, setRule, loadError } = useRecurrence(task.key);
  const [draft, setDraft] = useState<Draft | undefined>();
  const { error, busy, run, setError } = useAction();
  const id = useId();
  const edit = useCallback(() => {
    setError(undefined);
    setDraft(draftOf(rule ?? null));
  }, [rule, setError]);
  const path = `/tasks/${encodeURIComponent(task.key)}/recurrence`;

  const save = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!draft) return;
    void run(async () => {
      const saved = await api<Recurrence>('PUT', path, {
        frequency: draft.frequency,
        every: Number(draft.every),
        weekdays: draft.frequency === 'weekly' ? draft.weekdays : [],
        ...(draft.startsOn ? { startsOn: draft.startsOn } : {}),
        endsOn: draft.endsOn || null,
      });
      setRule(saved);
      setDraft(undefined);
      onChanged();
    });
  };
  const stop = () =>
    void run(async () => {
      await api('DELETE', path);
      setRule(null);
      setDraft(undefined);
      onChanged();
    });
  const change = (patch: Partial<Draft>) => setDraft((was) => (was ? { ...was, ...patch } : was));
  const toggleDay = (day: number) =>
    draft &&
    change({
      weekdays: draft.weekdays.includes(day) ? draft.weekdays.filter((d) => d !== day) : [...draft.weekdays, day],
    });

  return (
    <>
      <Prop label="Repeat">
        {rule === undefined && !loadError && <span className="muted">…</span>}
        {loadError !== undefined && <span className="muted">Not known now</span>}
        {rule === null && <span className="muted">Does not repeat</span>}
        {rule && (
          <span className="repeat-summary">
            <span>{sentence(rule.description)}</span>
            <span className="muted small">
              {rule.nextOn ? `Next copy: ${weekday(rule.nextOn)}` : 'Ended: no more copies'}
            </span>
          </span>
        )}
        {canEdit && rule !== undefined && !draft && (
          <button type="button" className="link small" onClick={edit}>
            {rule ? 'Change' : 'Set'}
            <span className="visually-hidden"> how {task.key} repeats</span>
          </button>
        )}
      </Prop>
      {draft && (
        <form className="repeat-editor" aria-label={`How ${task.key} repeats`} onSubmit={save} noValidate>
          <p className="muted small">A copy of this task, due that day, is made on each date.</p>
          <ErrorAlert error={error} />
          <div className="repeat-line">
            <label htmlFor={`${id}-every`}>Every</label>
            <input
              id={`${id}-every`}
              type="number"
              min={1}
              max={365}
              value={draft.every}
              aria-invalid={fieldError(error, 'every') ? true : undefined}
              onChange={(event) => change({ every: event.target.value })}
            />
            <label htmlFor={`${id}-frequency`} className="visually-hidden">
              Unit
            </label>
            <select
              id={`${id}-frequency`}
              value={draft.frequency}
              onChange={(event) => change({ frequency: event.target.value as Frequency })}
            >
              {(Object.keys(units) as Frequency[]).map((frequency) => (
                <option key={frequency} value={frequency}>
                  {units[frequency][draft.every === '1' ? 0 : 1]}
                </option>
              ))}
            </select>
          </div>
          {draft.frequency === 'weekly' && (
            <div className="weekdays" role="group" aria-label="On">
              {weekOrder.map((day) => (
                <button
                  key={day}
                  type="button"
                  className="weekday"
                  aria-pressed={draft.weekdays.includes(day)}
                  title={dayNames[day]}
                  onClick={toggleDay.bind(null, day)}
                >
                  <span aria-hidden="true">{dayNames[day]!.slice(0, 2)}</span>
                  <span className="visually-hidden">{dayNames[day]}</span>
                </button>
              ))}
            </div>
          )}
          <div className="repeat-dates">
            <div className="field">
              <label htmlFor={`${id}-starts`}>Starts on</label>
              <input
                id={`${id}-starts`}
                type="date"
                value={draft.startsOn}
                onChange={(event) => change({ startsOn: event.target.value })}
              />
            </div>
            <div className="field">
              <label htmlFor={`${id}-ends`}>Ends on (optional)</label>
              <input
                id={`${id}-ends`}
                type="date"
                value={draft.endsOn}
                min={draft.startsOn || undefined}
                onChange={(event) => change({ endsOn: event.target.value })}
              />
            </div>
          </div>
          <div className="row tight">
            <button type="submit" className="primary small" disabled={busy}>
              Save
            </button>
            <button type="button" className="secondary small" disabled={busy} onClick={() => setDraft(undefined)}>
              Cancel
            </button>
            {rule && (
              <button type="button" className="danger small repeat-stop" disabled={busy} onClick={stop}>
                Stop repeating
              </button>
            )}
          </div>
        </form>
      )}
    </>
  );
}
