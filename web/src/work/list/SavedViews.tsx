import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, type SetURLSearchParams } from 'react-router';
import { api } from '../../api';
import { useSession } from '../../session';
import { ErrorAlert } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { MenuButton, type MenuItem } from '../Menu';
import { ifMatch, isEditConflict } from '../requests';
import type { ProjectDetail, SavedView } from '../types';
import { describeQuery, hasFilters, queryOf, sameQuery, searchOf, viewParam } from './viewQuery';
import { ViewForm } from './ViewForm';

const SharedIcon = () => (
  <svg className="view-shared" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" focusable="false">
    <circle cx="5" cy="4.5" r="2" fill="none" stroke="currentColor" strokeWidth="1.3" />
    <path d="M1.5 11.5a3.5 3.5 0 0 1 7 0" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" />
    <circle cx="10" cy="5" r="1.6" fill="none" stroke="currentColor" strokeWidth="1.2" />
    <path d="M9.5 8.6a3 3 0 0 1 3 2.9" fill="none" stroke="currentColor" strokeWidth="1.2" strokeLinecap="round" />
  </svg>
);

/**
 * The list's saved views: a row of tabs (all tasks, the project's shared views, one's own) that
 * put a view's filters in the address; "Save view" keeps the filters shown; the open view's menu
 * renames, shares, updates or deletes it (its owner, or a lead for a shared one).
 */
export function SavedViews({
  project,
  isLead,
  params,
  setParams,
}: {
  project: ProjectDetail;
  isLead: boolean;
  params: URLSearchParams;
  setParams: SetURLSearchParams;
}) {
  const { me } = useSession();
  const [views, setViews] = useState<SavedView[] | undefined>();
  const [form, setForm] = useState<'new' | SavedView | undefined>();
  /** Where focus goes when the form closes: the view just saved, or back to "Save view". */
  const [focus, setFocus] = useState<string | undefined>();
  const bar = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!focus) return;
    bar.current
      ?.querySelector<HTMLElement>(focus === 'save' ? '.views-actions button' : `[data-view="${focus}"]`)
      ?.focus();
    setFocus(undefined);
  }, [focus, views]);
  const { error, run } = useAction();
  const path = `/projects/${encodeURIComponent(project.key)}/views`;
  const load = useCallback(() => run(async () => setViews(await api<SavedView[]>('GET', path))), [run, path]);
  useEffect(() => void load(), [load]);

  const current = queryOf(params);
  const active = views?.find((view) => view.id === params.get(viewParam));
  const edited = active !== undefined && !sameQuery(active.query, current);
  const mayChange = (view: SavedView) => view.yours || (view.shared && isLead);

  // Opened from a link naming only a view (?view=<id>): its filters apply once the views are read.
  const opened = useRef(false);
  useEffect(() => {
    if (opened.current || !views) return;
    opened.current = true;
    if (active && !hasFilters(params)) setParams(searchOf(active), { replace: true });
  }, [views, active, params, setParams]);

  /** Shows a view as saved, in the server's order: shared first, then by name. */
  const keep = (view: SavedView) =>
    setViews((list) =>
      [...(list ?? []).filter((each) => each.id !== view.id), view].sort(
        (a, b) => Number(b.shared) - Number(a.shared) || a.name.localeCompare(b.name),
      ),
    );
  const saved = (view: SavedView) => {
    keep(view);
    setForm(undefined);
    setFocus(view.id);
    // A new view is the one being looked at.
    if (form === 'new') setParams(searchOf(view), { replace: true });
  };
  const stale = (caught: unknown) => {
    if (!isEditConflict(caught)) throw caught;
    void load();
    throw new Error('Someone changed this view meanwhile. It has been read again: try once more.');
  };
  const update = (view: SavedView) =>
    run(async () => {
      await api<SavedView>('PATCH', `${path}/${view.id}`, { query: current }, ifMatch(view.version))
        .then(keep)
        .catch(stale);
    });
  const remove = (view: SavedView) => {
    const who = view.shared ? ' It is shared: it goes for everyone in the project.' : '';
    if (!window.confirm(`Delete the view “${view.name}”?${who} The tasks stay as they are.`)) return;
    void run(async () => {
      await api('DELETE', `${path}/${view.id}`, undefined, ifMatch(view.version)).catch(stale);
      setViews((list) => list?.filter((each) => each.id !== view.id));
      if (form !== 'new' && form?.id === view.id) setForm(undefined);
      setParams((now) => {
        const next = new URLSearchParams(now);
        next.delete(viewParam);
        return next;
      });
    });
  };

  const actions: MenuItem[] = active
    ? [
        ...(edited ? [{ key: 'update', label: 'Save changes to the view', onSelect: () => void update(active) }] : []),
        { key: 'edit', label: 'Rename or share…', onSelect: () => setForm(active) },
        { key: 'delete', label: 'Delete view', onSelect: () => remove(active), groupStart: true },
      ]
    : [];
  return (
    <div className="views">
      <div className="views-bar" ref={bar}>
        <nav className="view-tabs" aria-label="Saved views">
          <ul>
            <li>
              <Link className="view-tab" to={{ search: '' }} aria-current={params.size === 0 ? 'true' : undefined}>
                All tasks
              </Link>
            </li>
            {views?.map((view) => (
              <li key={view.id}>
                <Link
                  className="view-tab"
                  data-view={view.id}
                  to={{ search: searchOf(view) }}
                  aria-current={view === active ? 'true' : undefined}
                  title={`${describeQuery(view.query, project)}${view.shared ? ` — shared by ${view.owner?.name ?? 'someone'}` : ' — only you see it'}`}
                >
                  {view.shared && <SharedIcon />}
                  <span className="view-name">{view.name}</span>
                  {view.shared && <span className="visually-hidden"> (shared)</span>}
                  {view === active && edited && <span className="view-edited">edited</span>}
                </Link>
                {view === active && mayChange(view) && (
                  <MenuButton
                    label={`Change the view “${view.name}”`}
                    className="icon-button view-menu"
                    items={actions}
                  >
                    <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
                      <circle cx="3.5" cy="8" r="1.3" fill="currentColor" />
                      <circle cx="8" cy="8" r="1.3" fill="currentColor" />
                      <circle cx="12.5" cy="8" r="1.3" fill="currentColor" />
                    </svg>
                  </MenuButton>
                )}
              </li>
            ))}
          </ul>
        </nav>
        <div className="views-actions">
          {!me?.support && (
            <button
              type="button"
              className="secondary small"
              aria-expanded={form === 'new'}
              onClick={() => setForm(form === 'new' ? undefined : 'new')}
            >
              Save view
            </button>
          )}
        </div>
      </div>
      <ErrorAlert error={error} />
      {form && (
        <ViewForm
          key={form === 'new' ? 'new' : form.id}
          project={project}
          query={current}
          editing={form === 'new' ? undefined : form}
          onSaved={saved}
          onStale={() => void load()}
          onCancel={() => {
            setForm(undefined);
            setFocus('save');
          }}
        />
      )}
    </div>
  );
}
