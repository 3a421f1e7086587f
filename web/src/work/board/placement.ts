import type { ClientRect, CollisionDetection, DroppableContainer, KeyboardCoordinateGetter } from '@dnd-kit/core';
import type { Task } from '../types';

/**
 * Where a card lands on the board. Columns and cards are both droppables: a column says which
 * state, the cards' rectangles say where in it (the drop goes before the first card whose middle
 * is below the pointer). The same rule serves the mouse, touch and the keyboard, whose moves jump
 * from gap to gap and column to column.
 */

export interface Target {
  stateId: string;
  /** Index among the column's other cards (the moving one left out). */
  index: number;
}

interface ColumnData {
  type: 'column';
  stateId: string;
}
interface CardData {
  type: 'card';
  stateId: string;
  taskId: string;
}

export const columnData = (stateId: string): ColumnData => ({ type: 'column', stateId });
export const cardData = (stateId: string, taskId: string): CardData => ({ type: 'card', stateId, taskId });

/** The tasks of one state, as the board orders them. */
export function columnTasks(tasks: readonly Task[], stateId: string): Task[] {
  return tasks
    .filter((task) => task.state.id === stateId)
    .sort((a, b) => a.position - b.position || a.number - b.number);
}

/** The position that puts a card at `index` among `others`: between two neighbours, or 1024 past an end. */
export function positionAt(others: readonly Task[], index: number): number {
  const before = others[index - 1];
  const after = others[index];
  if (before && after) return (before.position + after.position) / 2;
  if (before) return before.position + 1024;
  if (after) return after.position - 1024;
  return 1024;
}

type Point = { x: number; y: number };
const middle = (rect: ClientRect): Point => ({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 });
const contains = (rect: ClientRect, point: Point) =>
  point.x >= rect.left && point.x <= rect.right && point.y >= rect.top && point.y <= rect.bottom;

type Rects = Map<string | number, ClientRect>;

function columnsOf(containers: DroppableContainer[], rects: Rects) {
  return containers
    .filter((container) => (container.data.current as ColumnData | undefined)?.type === 'column')
    .flatMap((container) => {
      const rect = rects.get(container.id);
      return rect ? [{ container, rect, stateId: (container.data.current as ColumnData).stateId }] : [];
    })
    .sort((a, b) => a.rect.left - b.rect.left);
}

/** The rectangles of a column's cards, top to bottom, the moving card left out. */
function cardRects(containers: DroppableContainer[], rects: Rects, stateId: string, activeId: string | number) {
  return containers
    .filter((container) => {
      const data = container.data.current as CardData | undefined;
      return data?.type === 'card' && data.stateId === stateId && data.taskId !== activeId;
    })
    .flatMap((container) => rects.get(container.id) ?? [])
    .sort((a, b) => a.top - b.top);
}

/** The column under the point, or the nearest one across. */
function columnAt(columns: ReturnType<typeof columnsOf>, point: Point) {
  return (
    columns.find((column) => contains(column.rect, point)) ??
    [...columns].sort((a, b) => Math.abs(middle(a.rect).x - point.x) - Math.abs(middle(b.rect).x - point.x))[0]
  );
}

/** Collision detection: the one column the card is over, with the index it would take there. */
export const boardCollision: CollisionDetection = ({
  active,
  collisionRect,
  droppableRects,
  droppableContainers,
  pointerCoordinates,
}) => {
  const point = pointerCoordinates ?? middle(collisionRect);
  const column = columnAt(columnsOf(droppableContainers, droppableRects), point);
  if (!column) return [];
  const cards = cardRects(droppableContainers, droppableRects, column.stateId, active.id);
  const index = cards.filter((rect) => middle(rect).y < point.y).length;
  const target: Target = { stateId: column.stateId, index };
  return [{ id: column.container.id, data: { droppableContainer: column.container, value: 0, target } }];
};

/** The target a collision carries, if any. */
export const targetOf = (collisions: ReadonlyArray<{ data?: Record<string, unknown> }> | null): Target | undefined =>
  collisions?.[0]?.data?.target as Target | undefined;

/** The heights between a column's cards (and above the first, below the last) a keyboard move stops at. */
function gapsOf(column: { rect: ClientRect }, cards: ClientRect[]): number[] {
  if (cards.length === 0) return [column.rect.top + Math.min(60, column.rect.height / 2)];
  const gaps = [cards[0]!.top - 2];
  for (let i = 1; i < cards.length; i++) gaps.push((cards[i - 1]!.bottom + cards[i]!.top) / 2);
  gaps.push(cards[cards.length - 1]!.bottom + 2);
  return gaps;
}

const arrows = ['ArrowDown', 'ArrowUp', 'ArrowLeft', 'ArrowRight'];

/** Keyboard moves: up and down go one place in the column, left and right to the next column, at about the same height. */
export const boardKeyboardCoordinates: KeyboardCoordinateGetter = (event, { context }) => {
  const { active, collisionRect, droppableRects, droppableContainers } = context;
  if (!arrows.includes(event.code)) return undefined;
  event.preventDefault();
  if (!active || !collisionRect) return undefined;
  const containers = droppableContainers.getEnabled();
  const columns = columnsOf(containers, droppableRects);
  const here = middle(collisionRect);
  const current = columnAt(columns, here);
  if (!current) return undefined;
  const step = event.code === 'ArrowRight' ? 1 : event.code === 'ArrowLeft' ? -1 : 0;
  const column = columns[Math.min(columns.length - 1, Math.max(0, columns.indexOf(current) + step))]!;
  const gaps = gapsOf(column, cardRects(containers, droppableRects, column.stateId, active.id));
  const nearest = gaps.reduce((best, y, i) => (Math.abs(y - here.y) < Math.abs(gaps[best]! - here.y) ? i : best), 0);
  const gap =
    step !== 0 ? nearest : Math.min(gaps.length - 1, Math.max(0, nearest + (event.code === 'ArrowDown' ? 1 : -1)));
  const to = { x: middle(column.rect).x, y: gaps[gap]! };
  return { x: collisionRect.left + to.x - here.x, y: collisionRect.top + to.y - here.y };
};
