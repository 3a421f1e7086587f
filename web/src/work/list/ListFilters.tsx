import { useEffect, useRef, useState } from 'react';
import type { SetURLSearchParams } from 'react-router';
import { groupWords, priorityWords } from '../format';
import type { ProjectDetail } from '../types';
import { priorities, stateGroups } from '../types';
import { describeQuery, hasFilters, queryOf, sortOf, sortWords, viewParam } from './viewQuery';

/** Filters a saved view may hold that this bar has no control for. */
const unshown = ['state', 'dueAfter', 'field'];

/** A select of the filter bar, named by its visible label. */
function Choice({
  label,
  name,
  value,
  set,
  options,
}: {
  label: string;
  name: string;
  value: string;
  set(name: string, value: string): void;
  options: Array<[value: string, text: string]>;
}) {
  return (
    <div className="filter">
      <label htmlFor={`filter-${name}`}>{label}</label>
      <select id={`filter-${name}`} value={value} onChange={(event) => set(name, event.target.value)}>
        {options.map(([option, text]) => (
          <option key={option} value={option}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The list's filters and sort, kept in the address (so a filtered list can be shared and reloaded). */
export function ListFilters({
  project,
  params,
  setParams,
}: {
  project: ProjectDetail;
  params: URLSearchParams;
  setParams: SetURLSearchParams;
}) {
  const [text, setText] = useState(params.get('q') ?? '');
  const [open, setOpen] = useState(false);
  // Words put in the address from elsewhere (a saved view picked) replace what the box holds.
  const urlText = params.get('q') ?? '';
  const typed = useRef(urlText);
  useEffect(() => {
    if (urlText === typed.current) return;
    typed.current = urlText;
    setText(urlText);
  }, [urlText]);
  const set = (name: string, value: string) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  // Searching as one types, a moment after the last key.
  useEffect(() => {
    const timer = setTimeout(() => {
      if (urlText === text.trim()) return;
      typed.current = text.trim();
      set('q', text.trim());
    }, 300);
    return () => clearTimeout(timer);
  });
  const active =
    hasFilters(new URLSearchParams([...params].filter(([name]) => name !== 'sort'))) || params.has(viewParam);
  const chosen = ['group', 'assignee', 'label', 'priority', 'dueBefore', ...unshown].filter((name) =>
    params.has(name),
  ).length;
  // A saved view may filter by what this bar has no control for: it is said in words, and cleared with the rest.
  const more = queryOf(new URLSearchParams([...params].filter(([name]) => unshown.includes(name))));
  const clear = (
    <button
      type="button"
      className="link clear-filters"
      onClick={() => {
        setText('');
        setParams(params.get('sort') ? { sort: params.get('sort')! } : {}, { replace: true });
      }}
    >
      Clear filters
    </button>
  );
  return (
    <div className={open ? 'filters open' : 'filters'} role="group" aria-label="Filters">
      <div className="filter grow">
        <label htmlFor="filter-q">Search</label>
        <input
          id="filter-q"
          type="search"
          placeholder="Words or a key"
          value={text}
          maxLength={200}
          onChange={(event) => setText(event.target.value)}
        />
      </div>
      <button
        type="button"
        className="secondary small filters-toggle"
        aria-expanded={open}
        onClick={() => setOpen((was) => !was)}
      >
        Filters{chosen > 0 ? ` (${chosen})` : ''}
      </button>
      <Choice
        label="State"
        name="group"
        value={params.get('group') ?? ''}
        set={set}
        options={[['', 'Any state'], ...stateGroups.map((group): [string, string] => [group, groupWords[group]])]}
      />
      <Choice
        label="Assignee"
        name="assignee"
        value={params.get('assignee') ?? ''}
        set={set}
        options={[
          ['', 'Anyone'],
          ['me', 'Me'],
          ['none', 'No one'],
          ...project.members.map((member): [string, string] => [member.userId, member.name]),
        ]}
      />
      <Choice
        label="Label"
        name="label"
        value={params.get('label') ?? ''}
        set={set}
        options={[['', 'Any label'], ...project.labels.map((label): [string, string] => [label.id, label.name])]}
      />
      <Choice
        label="Priority"
        name="priority"
        value={params.get('priority') ?? ''}
        set={set}
        options={[['', 'Any priority'], ...priorities.map((p): [string, string] => [p, priorityWords[p]])]}
      />
      <div className="filter">
        <label htmlFor="filter-due">Due before</label>
        <input
          id="filter-due"
          type="date"
          value={params.get('dueBefore') ?? ''}
          onChange={(event) => set('dueBefore', event.target.value)}
        />
      </div>
      <Choice
        label="Sort"
        name="sort"
        value={sortOf(params)}
        set={set}
        options={[
          ...(params.get('q') ? [['relevance', 'Best match'] as [string, string]] : []),
          ...Object.entries(sortWords),
        ]}
      />
      {Object.keys(more).length > 0 ? (
        <p className="filters-more muted small">
          Also: {describeQuery(more, project)} {clear}
        </p>
      ) : (
        active && clear
      )}
    </div>
  );
}
