import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  MouseSensor,
  TouchSensor,
  useSensor,
  useSensors,
  type Announcements,
  type DragEndEvent,
  type DragMoveEvent,
  type DragStartEvent,
} from '@dnd-kit/core';
import { useEffect, useState } from 'react';
import { ErrorAlert } from '../../ui/Field';
import { Shell } from '../../ui/Shell';
import { Loading } from '../bits';
import { ProjectHeader } from '../ProjectHeader';
import { useProject } from '../ProjectLayout';
import type { Task } from '../types';
import { BoardColumn } from './BoardColumn';
import { CardBody } from './BoardCard';
import { boardCollision, boardKeyboardCoordinates, columnTasks, targetOf, type Target } from './placement';
import { useBoard } from './useBoard';

const instructions =
  'To move a task with the keyboard, press Space or Enter on its drag handle, then the arrow keys: left and right change the column, up and down the place in it. Press Space or Enter to drop it, Escape to cancel. The "Move to" menu of each card does the same.';

/** The project's board: a column per state, cards dragged (mouse, touch, keyboard) or moved from their menu. */
export function Board() {
  const context = useProject();
  const { project, canEdit } = context;
  const { tasks, loadError, message, setMessage, move, added } = useBoard(context);
  const [active, setActive] = useState<Task | undefined>();
  const [target, setTarget] = useState<Target | undefined>();
  const [adding, setAdding] = useState<string | undefined>();
  const [focusAfter, setFocusAfter] = useState<{ key: string; control: string } | undefined>();
  const sensors = useSensors(
    useSensor(MouseSensor, { activationConstraint: { distance: 6 } }),
    useSensor(TouchSensor, { activationConstraint: { delay: 250, tolerance: 8 } }),
    useSensor(KeyboardSensor, { coordinateGetter: boardKeyboardCoordinates }),
  );
  const states = [...project.states].sort((a, b) => a.position - b.position);

  // A moved card is drawn anew in its column: focus goes back to the control that moved it.
  useEffect(() => {
    if (!focusAfter) return;
    document.querySelector<HTMLElement>(`[data-task-key="${focusAfter.key}"] .${focusAfter.control}`)?.focus();
    setFocusAfter(undefined);
  }, [focusAfter, tasks]);

  const onMove = (task: Task, to: Target, via: 'menu' | 'drag') => {
    void move(task, to).then(() =>
      setFocusAfter({ key: task.key, control: via === 'menu' ? 'move-button' : 'drag-handle' }),
    );
  };
  const onDragStart = ({ active }: DragStartEvent) => {
    setActive(tasks?.find((task) => task.id === active.id));
    setMessage(undefined);
  };
  const onDragMove = ({ collisions }: DragMoveEvent) => {
    const next = targetOf(collisions);
    setTarget((was) => (was?.stateId === next?.stateId && was?.index === next?.index ? was : next));
  };
  const onDragEnd = ({ collisions }: DragEndEvent) => {
    const to = targetOf(collisions);
    if (active && to) onMove(active, to, 'drag');
    setActive(undefined);
    setTarget(undefined);
  };
  const keyOf = (dragged: { data: { current?: Record<string, unknown> } }) =>
    (dragged.data.current?.task as Task | undefined)?.key ?? 'the task';
  const columnOf = (over: { data: { current?: Record<string, unknown> } } | null) =>
    states.find((state) => state.id === over?.data.current?.stateId)?.name;
  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up ${keyOf(active)}.`,
    onDragOver: ({ active, over }) => `${keyOf(active)} is over ${columnOf(over) ?? 'no column'}.`,
    onDragEnd: ({ active, over }) =>
      over ? `Dropped ${keyOf(active)} in ${columnOf(over)}.` : `${keyOf(active)} was not moved.`,
    onDragCancel: ({ active }) => `Moving ${keyOf(active)} was cancelled; it is back in its place.`,
  };

  return (
    <Shell layout="board">
      <ProjectHeader />
      <div className="board-messages">
        {message?.tone === 'error' && (
          <div className="alert error board-alert" role="alert">
            <span>{message.text}</span>
            <button type="button" className="link" onClick={() => setMessage(undefined)}>
              Dismiss
            </button>
          </div>
        )}
        <p className="visually-hidden" role="status">
          {message?.tone === 'ok' ? message.text : ''}
        </p>
      </div>
      <ErrorAlert error={loadError} />
      {!tasks && !loadError && <Loading what="the board" />}
      {tasks && (
        <DndContext
          sensors={sensors}
          collisionDetection={boardCollision}
          onDragStart={onDragStart}
          onDragMove={onDragMove}
          onDragEnd={onDragEnd}
          onDragCancel={() => {
            setActive(undefined);
            setTarget(undefined);
          }}
          accessibility={{ announcements, screenReaderInstructions: { draggable: instructions } }}
        >
          <div className="board" role="region" aria-label={`${project.name} board`}>
            {states.map((state) => (
              <BoardColumn
                key={state.id}
                projectKey={project.key}
                state={state}
                states={states}
                tasks={columnTasks(tasks, state.id)}
                canEdit={canEdit}
                dropAt={
                  active && target?.stateId === state.id ? { index: target.index, activeId: active.id } : undefined
                }
                adding={adding === state.id}
                setAdding={(open) => setAdding(open ? state.id : undefined)}
                onMove={onMove}
                onAdded={added}
              />
            ))}
          </div>
          <DragOverlay dropAnimation={null}>
            {active && (
              <div className="card overlay">
                <div className="card-top">
                  <span className="card-key">{active.key}</span>
                </div>
                <CardBody task={active} />
              </div>
            )}
          </DragOverlay>
        </DndContext>
      )}
    </Shell>
  );
}
