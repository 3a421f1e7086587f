import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * Structured logs on stderr, so that a command's data on stdout (`--json`) stays clean:
 * JSON lines for machines, or readable lines on a terminal (`auto`). Secrets never reach
 * a log: the redact list names the fields that could carry one.
 */
export function createLogger(
  level: string,
  bindings: Record<string, unknown> = {},
  format: LogFormat = 'json',
): Logger {
  const readable = format === 'pretty' || (format === 'auto' && process.stderr.isTTY);
  const destination: DestinationStream = readable
    ? pretty({
        destination: 2,
        colorize: process.stderr.isTTY,
        ignore: 'pid,hostname',
        translateTime: 'HH:MM:ss.l',
        singleLine: true,
        sync: true,
      })
    : pino.destination({ fd: 2, sync: false });
  return pino(
    {
      level,
      base: { pid: process.pid, ...bindings },
      redact: {
        paths: [
          'password',
          '*.password',
          'connectionString',
          '*.connectionString',
          'secretKey',
          '*.secretKey',
          'secretAccessKey',
          '*.secretAccessKey',
          'req.headers.authorization',
          'req.headers.cookie',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** A logger that drops everything, for tests and benchmarks that measure rather than read. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
