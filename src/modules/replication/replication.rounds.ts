import type { Logger } from '../../platform/log/log.js';

/**
 * A node's one recurring check (a standby's promotion watch, a primary's peer and sync checks,
 * a fenced node's asking): `every` replaces the check before, `clear` stops it. A failed round
 * is logged (at most once a minute) and the next one runs all the same.
 */
export class Rounds {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    /** The node's state, for the log line of a failed round. */
    private readonly state: () => string,
  ) {}

  /** Runs `work` every `ms` (after the previous round ends) until cleared or replaced. */
  every(ms: number, work: () => Promise<void>): void {
    this.clear();
    let lastLogged = 0;
    const round = async (): Promise<void> => {
      try {
        await work();
      } catch (error) {
        if (Date.now() - lastLogged > 60_000) {
          lastLogged = Date.now();
          this.log.info({ err: (error as Error).message, state: this.state() }, 'a node check failed; retrying');
        }
      }
      if (this.timer === timer) schedule();
    };
    let timer: NodeJS.Timeout;
    const schedule = (): void => {
      timer = setTimeout(() => void round(), ms);
      timer.unref();
      this.timer = timer;
    };
    schedule();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
