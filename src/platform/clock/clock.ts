/** Time as a dependency, so schedules, timeouts and retention can be tested without waiting. */
export interface Clock {
  now(): Date;
  /** Waits `ms` of this clock's time (a manual clock moves itself on instead). */
  sleep?(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand; its `sleep` moves it on at once. */
export function manualClock(start: Date): Clock & { advance(ms: number): void; set(at: Date): void } {
  let current = new Date(start);
  const advance = (ms: number): void => {
    current = new Date(current.getTime() + ms);
  };
  return {
    now: () => new Date(current),
    sleep: async (ms) => advance(ms),
    advance,
    set: (at) => {
      current = new Date(at);
    },
  };
}

const sleepOn = (clock: Clock, ms: number): Promise<void> =>
  clock.sleep ? clock.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));

export interface PollOptions {
  /** How long to keep asking before giving up. */
  readonly timeoutMs: number;
  /** The pause between two checks. */
  readonly intervalMs?: number;
  readonly clock?: Clock;
  /** What to throw once the time is up (the check's own last error is its cause). */
  readonly timeoutError?: (lastError: unknown) => Error;
  /** Stops waiting at once when aborted (the signal's reason is thrown). */
  readonly signal?: AbortSignal;
}

/**
 * Asks `check` until it answers (anything but `undefined` or `false`) and returns that answer.
 * A check that throws is asked again; once `timeoutMs` has passed, `timeoutError` is thrown
 * (or the check's last error, or a plain timeout). The one way to wait for a condition.
 */
export async function pollUntil<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: PollOptions,
): Promise<T> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now().getTime() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const answer = await check();
      if (answer !== undefined && answer !== false) return answer;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const left = deadline - clock.now().getTime();
    if (left <= 0) {
      if (options.timeoutError) throw options.timeoutError(lastError);
      throw lastError instanceof Error ? lastError : new Error(`gave up waiting after ${options.timeoutMs} ms`);
    }
    await sleepOn(clock, Math.min(options.intervalMs ?? 100, left));
  }
}
