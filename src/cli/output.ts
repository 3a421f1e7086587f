import cliProgress from 'cli-progress';
import { toAppError } from '../platform/errors.js';

/** Prints data as JSON (for `--json`) on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows as an aligned text table on stdout. */
export function printTable(rows: Array<Record<string, string>>, empty = '(none)'): void {
  if (rows.length === 0) {
    process.stdout.write(`${empty}\n`);
    return;
  }
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(columns.map((column) => column.toUpperCase()))}\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((column) => row[column] ?? ''))}\n`);
}

/** One human line on stderr for a failure: what was wrong and what to do. Returns the exit code. */
export function reportError(error: unknown): number {
  const appError = toAppError(error);
  if (appError.kind !== 'unexpected') {
    process.stderr.write(`error: ${appError.title}: ${appError.message}\n`);
  } else {
    process.stderr.write(`error: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  return 1;
}

export interface Progress {
  /** `milestone`: a new step began; printed at once even without a terminal. */
  update(done: number, total: number, detail?: string, milestone?: boolean): void;
  stop(): void;
}

/**
 * Progress of long work: a bar on a terminal, otherwise a plain line at most once a
 * second (and at the end), so logs stay readable.
 */
export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? progressBar(label, stream) : progressLines(label, stream);
}

/** On a terminal: a bar with the count, percentage, ETA and what is being done. */
function progressBar(label: string, stream: NodeJS.WriteStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} {percentage}% · eta {eta_formatted} · {detail}`,
      stream,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, detail = '') {
      if (!started) {
        bar.start(total, done, { detail });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { detail });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** Without a terminal: a line when work starts, at most one a second, and the last one at the end. */
function progressLines(label: string, stream: NodeJS.WriteStream): Progress {
  let lastAt = 0;
  let pending: string | undefined;
  return {
    update(done, total, detail, milestone) {
      const line = `${label}: ${done}/${total}${detail ? ` (${detail})` : ''}\n`;
      const now = Date.now();
      if (!milestone && lastAt !== 0 && now - lastAt < 1000) {
        pending = line;
        return;
      }
      lastAt = now;
      pending = undefined;
      stream.write(line);
    },
    stop: () => {
      if (pending) stream.write(pending);
      pending = undefined;
    },
  };
}

const mb = (bytes: number): number => Math.round(bytes / 1048576);

/** A progress display for byte transfers: MB done of total, rate and ETA. */
export function createTransferProgress(label: string): {
  update(progress: {
    phase?: string;
    doneBytes: number;
    totalBytes?: number;
    bytesPerSecond: number;
    etaSeconds?: number;
  }): void;
  stop(): void;
} {
  const progress = createProgress(label);
  let lastPhase: string | undefined;
  return {
    update({ phase, doneBytes, totalBytes, bytesPerSecond, etaSeconds }) {
      const total = Math.max(mb(totalBytes ?? doneBytes), mb(doneBytes), 1);
      const eta = etaSeconds === undefined || doneBytes < 1048576 ? '' : ` · ${Math.ceil(etaSeconds)} s left`;
      // A long job of several steps (the drill) names the step; a plain transfer is its label.
      const step = phase && phase !== label ? `${phase} · ` : '';
      const milestone = phase !== lastPhase;
      lastPhase = phase;
      progress.update(mb(doneBytes), total, `${step}${mb(doneBytes)} MB · ${mb(bytesPerSecond)} MB/s${eta}`, milestone);
    },
    stop: () => progress.stop(),
  };
}
