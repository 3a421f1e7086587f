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

/** An async iterable fed by `push`, holding at most `capacity` values. */
export function pushable<T>(capacity = 4): Pushable<T> {
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
          yield value;
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
 * source is exhausted and every live consumer has been given everything.
 */
export function broadcast<T>(
  source: AsyncIterable<T>,
  count: number,
): { outputs: Array<AsyncIterable<T>>; done: Promise<void>; drop(index: number, error: Error): void } {
  const outputs = Array.from({ length: count }, () => pushable<T>(2));
  const dropped = new Set<number>();
  const done = (async () => {
    try {
      for await (const value of source) {
        await Promise.all(
          outputs.map((output, index) =>
            dropped.has(index) ? undefined : output.push(value).catch(() => dropped.add(index)),
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
