import { useCallback, useEffect, useState } from 'react';
import { api } from '../api';

/** Runs a form's or a button's request, keeping its error and whether it is under way. */
export function useAction() {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }, []);
  return { error, busy, run, setError };
}

/**
 * A list the page shows, read from `path` through `run` (so its error and progress are the
 * section's) when the section appears, and again with `load()` after a change.
 */
export function useList<T>(path: string, run: (work: () => Promise<void>) => Promise<void>) {
  const [items, setItems] = useState<T[]>([]);
  const load = useCallback(() => run(async () => setItems(await api<T[]>('GET', path))), [run, path]);
  useEffect(() => void load(), [load]);
  return { items, load };
}

/** A date as the reader's locale writes it. */
export const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : 'never');
