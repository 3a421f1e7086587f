import { readFile, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../postgres/data-dir.js';

/** A small JSON record kept in a file of its own (a node's standby.json, fenced.json, ...). */
export interface StateFile<T> {
  readonly path: string;
  /** The record; undefined when there is none, `damaged(path)` thrown when it is not JSON. */
  read(): Promise<T | undefined>;
  /** Replaces the record at once: a crash leaves the old one or the new one, never half of either. */
  write(value: T): Promise<void>;
  /** Removes the record; none there is fine. */
  forget(): Promise<void>;
}

/** The state file at `file`; `damaged` says, in words an operator can act on, what to do when it cannot be read. */
export function stateFile<T>(file: string, options: { damaged: (file: string) => Error }): StateFile<T> {
  return {
    path: file,
    async read() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      try {
        return JSON.parse(text) as T;
      } catch {
        throw options.damaged(file);
      }
    },
    write: (value) => writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`),
    forget: () => rm(file, { force: true }),
  };
}
