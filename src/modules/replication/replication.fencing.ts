import path from 'node:path';
import { appError } from '../../platform/errors.js';
import { stateFile, type StateFile } from '../../platform/storage/state-file.js';

/**
 * Fencing: a node that another has taken over from must never run as a primary again until it
 * has re-joined as that node's standby. The mark is a file in its home, written before its
 * PostgreSQL stops, so it holds across crashes and restarts of the machine.
 */
export interface FencedState {
  /** The node that took over, and where its PostgreSQL is (as this node reaches it). */
  readonly by: string;
  readonly host: string;
  readonly postgresPort: number;
  readonly controlPort: number;
  readonly reason: string;
  readonly at: string;
  /** The timeline this node was on when it stood down. */
  readonly timeline?: number;
}

// A damaged mark is still a mark: the node stays fenced until an operator looks.
/** fenced.json: the mark of a node another took over from. */
export const fencedFile = (home: string): StateFile<FencedState> =>
  stateFile(path.join(home, 'fenced.json'), {
    damaged: (file) =>
      appError(
        'NODE_FENCED',
        `${file} is damaged, so this node cannot tell who took over from it; it will not start as a primary. Re-join it as a standby with "steadfast standby join --replace <primary>" (after moving its data directory away).`,
      ),
  });

export const readFenced = (home: string): Promise<FencedState | undefined> => fencedFile(home).read();

export const writeFenced = (home: string, state: FencedState): Promise<void> => fencedFile(home).write(state);
