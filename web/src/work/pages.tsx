import { useCallback, useRef, useState } from 'react';

/** One page of a list the API hands out a cursor at a time. */
export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A list read a page at a time through `run` (so its error and progress are the screen's):
 * `load()` reads the first page again, `load(cursor)` appends the next. `fetchPage` is to be
 * stable (useCallback), as a new one means a new list. `pages` counts the pages shown.
 * Only the latest read is shown: a page that arrives after a newer read was started (say,
 * the list of one filter answering after the list of the next) is dropped, and so is its error.
 */
export function useCursorPages<T>(
  run: (work: () => Promise<void>) => Promise<void>,
  fetchPage: (after?: string | null) => Promise<CursorPage<T>>,
) {
  const [items, setItems] = useState<T[] | undefined>();
  const [cursor, setCursor] = useState<string | null>(null);
  const [pages, setPages] = useState(0);
  const latest = useRef(0);
  const load = useCallback(
    (after?: string | null) =>
      run(async () => {
        const read = ++latest.current;
        const page = await fetchPage(after).catch((error: unknown) => {
          if (read === latest.current) throw error;
        });
        if (!page || read !== latest.current) return;
        setItems((shown) => (after ? [...(shown ?? []), ...page.items] : page.items));
        setCursor(page.nextCursor);
        setPages((n) => (after ? n + 1 : 1));
      }),
    [run, fetchPage],
  );
  return { items, setItems, cursor, pages, load };
}

/** "Load more" under a list, while there is a next page. */
export function LoadMore({
  cursor,
  busy,
  load,
  busyLabel = 'Load more',
}: {
  cursor: string | null;
  busy: boolean;
  load(after: string): void;
  /** What the button says while a page is being read. */
  busyLabel?: string;
}) {
  if (!cursor) return null;
  return (
    <div>
      <button className="secondary" type="button" disabled={busy} onClick={() => load(cursor)}>
        {busy ? busyLabel : 'Load more'}
      </button>
    </div>
  );
}
