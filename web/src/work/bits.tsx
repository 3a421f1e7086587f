import { day, exactly, ago, initials, priorityWords, today } from './format';
import type { Label, Person, Priority, StateGroup } from './types';

/**
 * Small pieces the work screens share. Colours chosen by people (states, labels) are drawn as SVG
 * `fill` attributes: the Content-Security-Policy allows no inline style, and a fill is not one.
 */

const safeColor = (color: string) => (/^#[0-9a-f]{6}$/i.test(color) ? color : '#8a8f98');

export function ColorDot({ color, size = 10 }: { color: string; size?: number }) {
  return (
    <svg className="dot" width={size} height={size} viewBox="0 0 10 10" aria-hidden="true" focusable="false">
      <circle cx="5" cy="5" r="5" fill={safeColor(color)} />
    </svg>
  );
}

/**
 * A line icon drawn in the text's colour, `size` pixels square on a grid of as many units; it is
 * decoration only, so the button or link that holds it carries the name.
 */
export function LineIcon({ size, d, strokeWidth = 1.5 }: { size: number; d: string | string[]; strokeWidth?: number }) {
  return (
    <svg width={size} height={size} viewBox={`0 0 ${size} ${size}`} aria-hidden="true" focusable="false">
      {[d].flat().map((path) => (
        <path
          key={path}
          d={path}
          fill="none"
          stroke="currentColor"
          strokeWidth={strokeWidth}
          strokeLinecap="round"
          strokeLinejoin="round"
        />
      ))}
    </svg>
  );
}

/** A state's mark by its group, as Linear draws them: dashed, empty, half, done, crossed. */
export function StateIcon({ group, color }: { group: StateGroup; color: string }) {
  const fill = safeColor(color);
  return (
    <svg className="state-icon" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" focusable="false">
      <circle
        cx="7"
        cy="7"
        r="6"
        fill={group === 'completed' || group === 'cancelled' ? fill : 'none'}
        stroke={fill}
        strokeWidth="1.5"
        strokeDasharray={group === 'backlog' ? '2 2' : undefined}
      />
      {group === 'started' && <path d="M7 3 A4 4 0 0 1 7 11 Z" fill={fill} />}
      {group === 'completed' && (
        <path d="M4.2 7.2 6.2 9.1 9.8 5.2" fill="none" stroke="#fff" strokeWidth="1.6" strokeLinecap="round" />
      )}
      {group === 'cancelled' && (
        <path d="M5 5 9 9M9 5 5 9" fill="none" stroke="#fff" strokeWidth="1.6" strokeLinecap="round" />
      )}
    </svg>
  );
}

/** Priority as bars (low, medium, high), a filled mark (urgent) or dashes (none), named for screen readers. */
export function PriorityIcon({ priority, labelled = false }: { priority: Priority; labelled?: boolean }) {
  const bars = { none: 0, low: 1, medium: 2, high: 3, urgent: 0 }[priority];
  return (
    <span className={`priority priority-${priority}`} title={priorityWords[priority]}>
      <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" focusable="false">
        {priority === 'urgent' ? (
          <>
            <rect x="1" y="1" width="12" height="12" rx="3" fill="#e5484d" />
            <path d="M7 3.5v4.2M7 9.8v.4" stroke="#fff" strokeWidth="1.8" strokeLinecap="round" />
          </>
        ) : priority === 'none' ? (
          <path d="M2 7h2M6 7h2M10 7h2" stroke="#8a8f98" strokeWidth="1.6" strokeLinecap="round" />
        ) : (
          [0, 1, 2].map((bar) => (
            <rect
              key={bar}
              x={1.5 + bar * 4}
              y={9 - bar * 3}
              width="3"
              height={4 + bar * 3}
              rx="1"
              fill={bar < bars ? '#3c4149' : '#c9ced6'}
            />
          ))
        )}
      </svg>
      {labelled ? (
        <span>{priorityWords[priority]}</span>
      ) : (
        <span className="visually-hidden">{priorityWords[priority]}</span>
      )}
    </span>
  );
}

/** A person's initials in a circle whose tone follows their name (eight classes, no inline colour). */
export function Avatar({ person }: { person: Pick<Person, 'name'> }) {
  const tone = [...person.name].reduce((sum, char) => sum + char.charCodeAt(0), 0) % 8;
  return (
    <span className={`avatar tone-${tone}`} title={person.name}>
      <span aria-hidden="true">{initials(person.name)}</span>
      <span className="visually-hidden">{person.name}</span>
    </span>
  );
}

export function Avatars({ people }: { people: ReadonlyArray<Pick<Person, 'id' | 'name'>> }) {
  if (people.length === 0) return null;
  return (
    <span className="avatars">
      {people.slice(0, 3).map((person) => (
        <Avatar key={person.id} person={person} />
      ))}
      {people.length > 3 && <span className="avatar more">+{people.length - 3}</span>}
    </span>
  );
}

export function LabelChip({ label }: { label: Pick<Label, 'name' | 'color'> }) {
  return (
    <span className="chip">
      <ColorDot color={label.color} size={8} />
      <span className="chip-text">{label.name}</span>
    </span>
  );
}

/** A due date, marked when it has passed on an open task. */
export function DueDate({ date, done }: { date: string | null; done: boolean }) {
  if (!date) return null;
  const late = !done && date < today();
  return (
    <span className={late ? 'due late' : 'due'}>
      <span className="visually-hidden">{late ? 'Overdue, was due ' : 'Due '}</span>
      <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true" focusable="false">
        <rect x="1" y="2" width="10" height="9" rx="2" fill="none" stroke="currentColor" strokeWidth="1.2" />
        <path d="M1 5h10M4 1v2M8 1v2" stroke="currentColor" strokeWidth="1.2" />
      </svg>
      {day(date)}
    </span>
  );
}

/** "2 minutes ago", with the exact moment on hover. */
export function Ago({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={exactly(iso)}>
      {ago(iso)}
    </time>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted loading" role="status">
      Loading {what}…
    </p>
  );
}
