import { useDraggable, useDroppable } from '@dnd-kit/core';
import { Link } from 'react-router';
import { Avatars, DueDate, LabelChip, LineIcon, PriorityIcon, StateIcon } from '../bits';
import { MenuButton, type MenuItem } from '../Menu';
import type { Task, WorkflowState } from '../types';
import { cardData, type Target } from './placement';

/** What a card shows: key, title (wrapping), priority, due date, labels (wrapping), assignees. */
export function CardBody({ task }: { task: Task }) {
  const done = task.state.group === 'completed' || task.state.group === 'cancelled';
  return (
    <>
      <Link className="card-title" to={`/projects/${task.projectKey}/tasks/${task.key}`}>
        {task.title}
      </Link>
      <div className="card-meta">
        <PriorityIcon priority={task.priority} />
        <DueDate date={task.dueDate} done={done} />
        {task.labels.map((label) => (
          <LabelChip key={label.id} label={label} />
        ))}
        {task.commentCount > 0 && (
          <span className="count" title={`${task.commentCount} comments`}>
            <LineIcon size={12} d="M2 2h8v6H5L2 10.5z" strokeWidth={1.2} />
            {task.commentCount}
            <span className="visually-hidden"> comments</span>
          </span>
        )}
        <Avatars people={task.assignees} />
      </div>
    </>
  );
}

const grip = (
  <svg width="12" height="14" viewBox="0 0 12 14" aria-hidden="true" focusable="false">
    {[3, 7, 11].map((y) => [4, 8].map((x) => <circle key={`${x}${y}`} cx={x} cy={y} r="1.2" fill="currentColor" />))}
  </svg>
);

/**
 * A task on the board. The whole card drags with a mouse or a long touch; its handle is the
 * keyboard's way (Space, arrows, Space) and its "Move to…" menu the plain way, for phones too.
 */
export function BoardCard({
  task,
  index,
  count,
  states,
  canEdit,
  dropLine,
  onMove,
}: {
  task: Task;
  index: number;
  count: number;
  states: WorkflowState[];
  canEdit: boolean;
  /** Where a dragged card would land relative to this one. */
  dropLine?: 'before' | 'after';
  onMove(task: Task, target: Target, via: 'menu' | 'drag'): void;
}) {
  const drag = useDraggable({ id: task.id, data: { task }, disabled: !canEdit });
  const drop = useDroppable({ id: `card:${task.id}`, data: cardData(task.state.id, task.id) });
  const items: MenuItem[] = [
    ...states
      .filter((state) => state.id !== task.state.id)
      .map((state) => ({
        key: state.id,
        label: (
          <>
            <StateIcon group={state.group} color={state.color} /> {state.name}
          </>
        ),
        onSelect: () => onMove(task, { stateId: state.id, index: Number.MAX_SAFE_INTEGER }, 'menu'),
      })),
    ...(index > 0
      ? [
          { key: 'top', label: 'To the top', groupStart: true },
          { key: 'up', label: 'Up one place' },
        ]
      : []
    ).map((item) => ({
      ...item,
      onSelect: () => onMove(task, { stateId: task.state.id, index: item.key === 'top' ? 0 : index - 1 }, 'menu'),
    })),
    ...(index < count - 1
      ? [
          { key: 'down', label: 'Down one place', groupStart: index === 0 },
          { key: 'bottom', label: 'To the bottom' },
        ]
      : []
    ).map((item) => ({
      ...item,
      onSelect: () =>
        onMove(task, { stateId: task.state.id, index: item.key === 'bottom' ? count - 1 : index + 1 }, 'menu'),
    })),
  ];
  const classes = ['card', drag.isDragging && 'dragging', dropLine && `drop-${dropLine}`].filter(Boolean).join(' ');
  return (
    <article
      ref={(node) => {
        drag.setNodeRef(node);
        drop.setNodeRef(node);
      }}
      className={classes}
      data-task-key={task.key}
      aria-label={`${task.key}: ${task.title}`}
      {...drag.listeners}
    >
      <div className="card-top">
        <span className="card-key">{task.key}</span>
        {canEdit && (
          <span className="card-tools">
            <button
              ref={drag.setActivatorNodeRef}
              type="button"
              className="icon-button drag-handle"
              {...drag.attributes}
              aria-label={`Drag ${task.key}`}
              title="Drag, or press Space and use the arrow keys"
            >
              {grip}
            </button>
            <MenuButton
              className="icon-button move-button"
              label={`Move ${task.key} to…`}
              title="Move to…"
              heading={`Move ${task.key} to`}
              items={items}
            >
              <LineIcon size={14} d="M2 7h9M8 4l3 3-3 3" />
            </MenuButton>
          </span>
        )}
      </div>
      <CardBody task={task} />
    </article>
  );
}
