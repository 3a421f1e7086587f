import { useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router';

/** The search field in the top bar: tasks across every project one sees, by words, part of a word or key. */
export function SearchBox() {
  const navigate = useNavigate();
  const location = useLocation();
  const current = location.pathname === '/search' ? (new URLSearchParams(location.search).get('q') ?? '') : '';
  const [text, setText] = useState(current);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const q = text.trim();
    if (q) navigate(`/search?q=${encodeURIComponent(q)}`);
  };
  // The search page has its own, larger field.
  if (location.pathname === '/search') return null;
  return (
    <form className="search-box" role="search" aria-label="Tasks" onSubmit={submit}>
      <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" focusable="false">
        <circle cx="6" cy="6" r="4.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
        <path d="M9.5 9.5 13 13" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
      </svg>
      <input
        type="search"
        name="q"
        aria-label="Search tasks"
        placeholder="Search tasks…"
        value={text}
        onChange={(event) => setText(event.target.value)}
        maxLength={200}
      />
    </form>
  );
}
