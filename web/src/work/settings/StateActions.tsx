import { useState } from 'react';
import type { WorkflowState } from '../types';

/**
 * A state's row actions: up, down, and delete, which first asks where its tasks go (the API
 * refuses to delete a state that still holds tasks without `moveTo`).
 */
export function StateActions({
  state,
  index,
  states,
  busy,
  onMove,
  onDelete,
}: {
  state: WorkflowState;
  index: number;
  states: WorkflowState[];
  busy: boolean;
  onMove(position: number): void;
  onDelete(state: WorkflowState, moveTo: string): void;
}) {
  const others = states.filter((other) => other.id !== state.id);
  const [moveTo, setMoveTo] = useState<string | undefined>();
  if (moveTo !== undefined)
    return (
      <div className="row tight">
        <label className="small" htmlFor={`move-${state.id}`}>
          Move its tasks to
        </label>
        <select id={`move-${state.id}`} value={moveTo} onChange={(event) => setMoveTo(event.target.value)}>
          {others.map((other) => (
            <option key={other.id} value={other.id}>
              {other.name}
            </option>
          ))}
        </select>
        <button type="button" className="danger small" disabled={busy} onClick={() => onDelete(state, moveTo)}>
          Delete {state.name}
        </button>
        <button type="button" className="secondary small" onClick={() => setMoveTo(undefined)}>
          Cancel
        </button>
      </div>
    );
  return (
    <div className="row tight nowrap">
      <button
        type="button"
        className="icon-button"
        aria-label={`Move ${state.name} up`}
        disabled={index === 0 || busy}
        onClick={() => onMove(index - 1)}
      >
        <span aria-hidden="true">↑</span>
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label={`Move ${state.name} down`}
        disabled={index === states.length - 1 || busy}
        onClick={() => onMove(index + 1)}
      >
        <span aria-hidden="true">↓</span>
      </button>
      <button type="button" className="link small danger-text" onClick={() => setMoveTo(others[0]?.id ?? '')}>
        Delete<span className="visually-hidden"> {state.name}</span>
      </button>
    </div>
  );
}
