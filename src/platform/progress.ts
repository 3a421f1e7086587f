import type { Clock } from './clock/clock.js';

/** How far a long transfer is (a backup, a restore, a standby's copy), as the CLI and the API show it. */
export interface TransferProgress {
  readonly phase: string;
  readonly doneBytes: number;
  readonly totalBytes?: number;
  readonly bytesPerSecond: number;
  readonly etaSeconds?: number;
}

/** Rate and ETA of a transfer, from the clock. */
export class TransferMeter {
  private readonly startedAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly phase: string,
    public total?: number,
  ) {
    this.startedAt = clock.now().getTime();
  }

  update(doneBytes: number): TransferProgress {
    const seconds = Math.max(0.001, (this.clock.now().getTime() - this.startedAt) / 1000);
    const bytesPerSecond = doneBytes / seconds;
    const totalBytes = this.total && this.total >= doneBytes ? this.total : undefined;
    const etaSeconds = totalBytes && bytesPerSecond > 0 ? (totalBytes - doneBytes) / bytesPerSecond : undefined;
    return { phase: this.phase, doneBytes, totalBytes, bytesPerSecond, etaSeconds };
  }
}
