import { useCallback, useState } from 'react';

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

/** A date as the reader's locale writes it. */
export const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : 'never');
