import { useCallback, useEffect, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ErrorAlert } from '../ui/Field';
import { Shell } from '../ui/Shell';
import { useAction } from '../ui/useAction';
import { Ago, LabelChip, Loading, StateIcon } from './bits';
import { LoadMore, useCursorPages } from './pages';
import { taskPage } from './requests';
import type { Task } from './types';

/** Tasks of every project one sees that match words, part of a word or a key; best matches first. */
export function Search() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q')?.trim() ?? '';
  const { error, busy, run } = useAction();
  const fetchPage = useCallback(
    (after?: string | null) => taskPage(new URLSearchParams({ q, sort: 'relevance', limit: '25' }), after),
    [q],
  );
  const { items: results, setItems: setResults, cursor, load } = useCursorPages<Task>(run, fetchPage);
  useEffect(() => {
    setResults(undefined);
    if (q) void load();
  }, [load, q]);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const text = String(new FormData(event.currentTarget).get('q') ?? '').trim();
    setParams(text ? { q: text } : {});
  };
  return (
    <Shell layout="wide">
      <h1>Search</h1>
      <form className="search-page-form" role="search" aria-label="All projects" onSubmit={submit} key={q}>
        <label htmlFor="search-q" className="visually-hidden">
          Search tasks in all your projects
        </label>
        <input
          id="search-q"
          name="q"
          type="search"
          defaultValue={q}
          placeholder="Words, part of a word, or a key like OPS-12"
          maxLength={200}
        />
        <button className="primary" type="submit">
          Search
        </button>
      </form>
      <ErrorAlert error={error} />
      {!q && <p className="muted">Type words to find tasks in all your projects.</p>}
      {q && !results && !error && <Loading what="results" />}
      {results?.length === 0 && (
        <div className="empty panel">
          <p>
            <strong>Nothing matches “{q}”.</strong>
          </p>
          <p className="muted">Try fewer words, part of a word, or a task key.</p>
        </div>
      )}
      {results && results.length > 0 && (
        <section aria-label={`Results for ${q}`}>
          <p className="muted small" role="status">
            {results.length}
            {cursor ? '+' : ''} {results.length === 1 ? 'task' : 'tasks'} for “{q}”
          </p>
          <ul className="results panel flush">
            {results.map((task) => (
              <li key={task.id}>
                <Link to={`/projects/${task.projectKey}/tasks/${task.key}`} className="result">
                  <StateIcon group={task.state.group} color={task.state.color} />
                  <span className="result-key">{task.key}</span>
                  <span className="result-title">{task.title}</span>
                  <span className="result-meta muted small">
                    {task.labels.slice(0, 3).map((label) => (
                      <LabelChip key={label.id} label={label} />
                    ))}
                    <span>{task.state.name}</span>
                    <span>
                      updated <Ago iso={task.updatedAt} />
                    </span>
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}
      <LoadMore cursor={cursor} busy={busy} load={(after) => void load(after)} />
    </Shell>
  );
}
