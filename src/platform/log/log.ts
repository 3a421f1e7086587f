import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs on stderr, so that a command's data on stdout (`--json`) stays
 * clean. Secrets never reach a log: the redact list names the fields that could carry one.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, ...bindings },
      redact: {
        paths: ['password', '*.password', 'connectionString', '*.connectionString', 'secretKey', '*.secretKey', 'req.headers.authorization', 'req.headers.cookie'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that drops everything, for tests and benchmarks that measure rather than read. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
