import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api';

/**
 * One answer the screen shows, read from `path` through `run` (so its error and progress are the
 * section's) when the section appears and again with `load()`; undefined until the first arrives.
 */
export function useResource<T>(path: string, run: (work: () => Promise<void>) => Promise<void>) {
  const [data, setData] = useState<T | undefined>();
  const load = useCallback(() => run(async () => setData(await api<T>('GET', path))), [run, path]);
  useEffect(() => void load(), [load]);
  return { data, load };
}
