/**
 * Small async-iterable plumbing with backpressure: a producer that pushes, and one source
 * read by several consumers (one backup stream written to several repositories).
 */

export interface Pushable<T> extends AsyncIterable<T> {
  /** Resolves once there is room, so a fast producer waits for a slow consumer. */
  push(value: T): Promise<void>;
  end(): void;
  fail(error: Error): void;
}

/**
 * An async iterable fed by `push`, holding at most `capacity` values. `consumed` is told of a
 * value once its reader has asked for the one after it (or stopped reading).
 */
export function pushable<T>(capacity = 4, consumed?: (value: T) => void): Pushable<T> {
  const values: T[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wakeReader: (() => void) | undefined;
  const wakeWriters: Array<() => void> = [];
  const wake = (): void => {
    const reader = wakeReader;
    wakeReader = undefined;
    reader?.();
  };
  return {
    async push(value) {
      if (failure) throw failure;
      while (values.length >= capacity && !failure) await new Promise<void>((resolve) => wakeWriters.push(resolve));
      if (failure) throw failure;
      values.push(value);
      wake();
    },
    end() {
      ended = true;
      wake();
    },
    fail(error) {
      failure = error;
      wake();
      wakeWriters.splice(0).forEach((resolve) => resolve());
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (values.length > 0) {
          const value = values.shift() as T;
          wakeWriters.shift()?.();
          try {
            yield value;
          } finally {
            consumed?.(value);
          }
          continue;
        }
        if (failure) throw failure;
        if (ended) return;
        await new Promise<void>((resolve) => (wakeReader = resolve));
      }
    },
  };
}

/**
 * Feeds every value of `source` to each of `count` consumers, advancing at the pace of the
 * slowest one. A consumer that fails stops receiving; the others go on. Resolves when the
 * source is exhausted and every live consumer has been given everything. With `release`, a
 * value every consumer given it has gone past (asked for the next) is handed to it: only for
 * consumers that keep nothing of a value once they ask for the next.
 */
export function broadcast<T extends object>(
  source: AsyncIterable<T>,
  count: number,
  release?: (value: T) => void,
): { outputs: Array<AsyncIterable<T>>; done: Promise<void>; drop(index: number, error: Error): void } {
  /** Per value handed out, the consumers that have it and have not gone past it. */
  const holders = new WeakMap<T, number>();
  const passed = (value: T): void => {
    const left = (holders.get(value) ?? 1) - 1;
    if (left > 0) holders.set(value, left);
    else {
      holders.delete(value);
      release?.(value);
    }
  };
  const outputs = Array.from({ length: count }, () => pushable<T>(2, release && passed));
  const dropped = new Set<number>();
  const done = (async () => {
    try {
      for await (const value of source) {
        // What a dropped consumer was given and never went past is never released.
        if (release) holders.set(value, count - dropped.size);
        await Promise.all(
          outputs.map((output, index) =>
            dropped.has(index)
              ? undefined
              : output.push(value).catch(() => {
                  dropped.add(index);
                  if (release) passed(value); // never given to it
                }),
          ),
        );
        if (dropped.size === count) return;
      }
      outputs.forEach((output) => output.end());
    } catch (error) {
      outputs.forEach((output) => output.fail(error as Error));
      throw error;
    }
  })();
  return {
    outputs,
    done,
    drop(index, error) {
      dropped.add(index);
      outputs[index]!.fail(error);
    },
  };
}
