import { useDroppable } from '@dnd-kit/core';
import { LineIcon, StateIcon } from '../bits';
import type { Task, WorkflowState } from '../types';
import { BoardCard } from './BoardCard';
import { columnData, type Target } from './placement';
import { QuickAdd } from './QuickAdd';

/** One state's column: its name, colour and count, its cards in order, and "Add task". */
export function BoardColumn({
  projectKey,
  state,
  states,
  tasks,
  canEdit,
  dropAt,
  adding,
  setAdding,
  onMove,
  onAdded,
}: {
  projectKey: string;
  state: WorkflowState;
  states: WorkflowState[];
  tasks: Task[];
  canEdit: boolean;
  /** Where a dragged card would land in this column (an index among the other cards), if over it. */
  dropAt: { index: number; activeId: string } | undefined;
  adding: boolean;
  setAdding(open: boolean): void;
  onMove(task: Task, target: Target, via: 'menu' | 'drag'): void;
  onAdded(task: Task): void;
}) {
  const { setNodeRef } = useDroppable({ id: `column:${state.id}`, data: columnData(state.id) });
  const headingId = `column-${state.id}`;
  // The drop line: before the card now at the index among the others, or after the last.
  const others = dropAt ? tasks.filter((task) => task.id !== dropAt.activeId) : [];
  const lineBefore = dropAt ? others[dropAt.index]?.id : undefined;
  const lineAfter = dropAt && dropAt.index >= others.length ? others[others.length - 1]?.id : undefined;
  return (
    <section ref={setNodeRef} className={dropAt ? 'column over' : 'column'} aria-labelledby={headingId}>
      <header className="column-head">
        <StateIcon group={state.group} color={state.color} />
        <h2 id={headingId}>{state.name}</h2>
        <span className="column-count">
          {tasks.length}
          <span className="visually-hidden"> {tasks.length === 1 ? 'task' : 'tasks'}</span>
        </span>
        {canEdit && (
          <button
            type="button"
            className="icon-button"
            aria-label={`Add a task to ${state.name}`}
            title="Add task"
            onClick={() => setAdding(true)}
          >
            <LineIcon size={14} d="M7 2v10M2 7h10" strokeWidth={1.6} />
          </button>
        )}
      </header>
      <div className="column-cards">
        {tasks.length === 0 && !adding && <p className="column-empty">No tasks</p>}
        {tasks.map((task, index) => (
          <BoardCard
            key={task.id}
            task={task}
            index={index}
            count={tasks.length}
            states={states}
            canEdit={canEdit}
            dropLine={task.id === lineBefore ? 'before' : task.id === lineAfter ? 'after' : undefined}
            onMove={onMove}
          />
        ))}
        {canEdit && (
          <QuickAdd
            projectKey={projectKey}
            state={state}
            lastPosition={tasks[tasks.length - 1]?.position}
            open={adding}
            onOpen={() => setAdding(true)}
            onClose={() => setAdding(false)}
            onAdded={onAdded}
          />
        )}
      </div>
    </section>
  );
}
