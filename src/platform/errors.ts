/**
 * The error catalogue. Every error Steadfast raises on purpose has a stable code, an
 * HTTP status, a kind and a title; the throw site adds a detail that says what was
 * wrong in this case and what to do about it. The HTTP layer turns these into RFC 9457
 * problem documents and the CLI into one human line and a non-zero exit.
 *
 * Kinds: `user` (the caller can fix it), `operational` (the environment is at fault:
 * a port, a disk, a database that is down), `unexpected` (a bug; logged with its stack).
 */
export type ErrorKind = 'user' | 'operational' | 'unexpected';

interface CatalogueEntry {
  readonly status: number;
  readonly kind: ErrorKind;
  readonly title: string;
}

export const catalogue = {
  CONFIG_INVALID: { status: 500, kind: 'user', title: 'The configuration is invalid' },
  VALIDATION_FAILED: { status: 400, kind: 'user', title: 'The request is invalid' },
  NOT_FOUND: { status: 404, kind: 'user', title: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, kind: 'user', title: 'No such page or endpoint' },
  REQUEST_TOO_LARGE: { status: 413, kind: 'user', title: 'Request too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, kind: 'user', title: 'Unsupported media type' },
  ATTACHMENTS_FULL: { status: 413, kind: 'user', title: "The workspace's attachments are full" },
  UNAUTHENTICATED: { status: 401, kind: 'user', title: 'Authentication required' },
  FORBIDDEN: { status: 403, kind: 'user', title: 'Not allowed' },
  SIGN_IN_FAILED: { status: 401, kind: 'user', title: 'Sign-in failed' },
  WEAK_PASSWORD: { status: 400, kind: 'user', title: 'Password too weak' },
  TOO_MANY_ATTEMPTS: { status: 429, kind: 'user', title: 'Too many attempts' },
  LAST_OWNER: { status: 409, kind: 'user', title: 'A workspace keeps an owner' },
  ALREADY_MEMBER: { status: 409, kind: 'user', title: 'Already a member' },
  INVITATION_INVALID: { status: 410, kind: 'user', title: 'Invitation no longer valid' },
  RESET_INVALID: { status: 410, kind: 'user', title: 'Reset link no longer valid' },
  SECOND_FACTOR_FAILED: { status: 401, kind: 'user', title: 'Second factor not accepted' },
  TWO_FACTOR_SETUP_REQUIRED: { status: 403, kind: 'user', title: 'Two-factor authentication required' },
  TWO_FACTOR_STATE: { status: 409, kind: 'user', title: 'Two-factor authentication is not in that state' },
  PASSKEY_REJECTED: { status: 400, kind: 'user', title: 'Passkey not registered' },
  IP_NOT_ALLOWED: { status: 403, kind: 'user', title: 'Address not allowed' },
  CSRF_REJECTED: { status: 403, kind: 'user', title: 'Request not from this workspace' },
  CONFIRMATION_REQUIRED: { status: 400, kind: 'user', title: 'Confirmation required' },
  EDIT_CONFLICT: { status: 412, kind: 'user', title: 'Changed since you read it' },
  PRECONDITION_REQUIRED: { status: 428, kind: 'user', title: 'If-Match required' },
  TRANSITION_NOT_ALLOWED: { status: 409, kind: 'user', title: 'Move not allowed by the workflow' },
  ALREADY_EXISTS: { status: 409, kind: 'user', title: 'Already exists' },
  IN_USE: { status: 409, kind: 'user', title: 'Still in use' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, kind: 'user', title: 'Idempotency-Key used for another request' },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, kind: 'user', title: 'Idempotency-Key request still running' },
  MAINTENANCE_REASON_REQUIRED: { status: 400, kind: 'user', title: 'Short-notice maintenance needs a reason' },
  SUBSCRIPTION_LINK_INVALID: { status: 400, kind: 'user', title: 'Link not valid' },
  MAINTENANCE_STATE: { status: 409, kind: 'user', title: 'The maintenance window is not in a state that allows this' },
  INCIDENT_RESOLVED: { status: 409, kind: 'user', title: 'The incident is resolved' },
  TENANT_NOT_FOUND: { status: 404, kind: 'user', title: 'Tenant not found' },
  TENANT_SUSPENDED: { status: 423, kind: 'user', title: 'Tenant suspended' },
  TENANT_SLUG_INVALID: { status: 400, kind: 'user', title: 'Invalid tenant slug' },
  TENANT_SLUG_TAKEN: { status: 409, kind: 'user', title: 'Tenant slug already taken' },
  TENANT_STATE_CONFLICT: { status: 409, kind: 'user', title: 'Tenant is not in a state that allows this' },
  NOT_READY: { status: 503, kind: 'operational', title: 'Not ready' },
  DATABASE_UNAVAILABLE: { status: 503, kind: 'operational', title: 'Database unavailable' },
  PORT_IN_USE: { status: 500, kind: 'operational', title: 'Port in use' },
  HTTP_LISTEN_FAILED: { status: 500, kind: 'operational', title: 'Cannot listen for HTTP' },
  POSTGRES_UNSUPPORTED: { status: 500, kind: 'operational', title: 'PostgreSQL version not supported' },
  POSTGRES_BINARIES_MISSING: { status: 500, kind: 'operational', title: 'PostgreSQL binaries missing' },
  OS_USER_FAILED: { status: 500, kind: 'operational', title: 'Cannot create the PostgreSQL OS user' },
  POSTGRES_VERSION_MISMATCH: {
    status: 500,
    kind: 'operational',
    title: 'Data directory made by another PostgreSQL version',
  },
  POSTGRES_START_FAILED: { status: 500, kind: 'operational', title: 'PostgreSQL did not start' },
  POSTGRES_NOT_RUNNING: { status: 503, kind: 'operational', title: 'PostgreSQL is not running' },
  ALREADY_RUNNING: { status: 500, kind: 'user', title: 'Steadfast is already running here' },
  POSTGRES_ALREADY_RUNNING: {
    status: 500,
    kind: 'operational',
    title: 'PostgreSQL is already running for this data directory',
  },
  DATA_DIR_UNREACHABLE: { status: 500, kind: 'operational', title: 'Data directory not usable' },
  MIGRATION_FAILED: { status: 500, kind: 'operational', title: 'Migration failed' },
  BACKUP_CORRUPT: { status: 500, kind: 'operational', title: 'Backup damaged' },
  BACKUP_KEY_MISMATCH: { status: 500, kind: 'user', title: 'Wrong backup key' },
  BACKUP_KEY_MISSING: { status: 500, kind: 'user', title: 'Backup key missing' },
  BACKUP_NOT_FOUND: { status: 404, kind: 'user', title: 'Backup not found' },
  BACKUP_FAILED: { status: 500, kind: 'operational', title: 'Backup failed' },
  BACKUP_CHAIN_BROKEN: { status: 409, kind: 'operational', title: 'Backup chain broken' },
  REPOSITORY_UNAVAILABLE: { status: 503, kind: 'operational', title: 'Backup repository unavailable' },
  WAL_CONFLICT: { status: 409, kind: 'operational', title: 'Archived WAL differs' },
  REPOSITORY_OF_ANOTHER_CLUSTER: { status: 409, kind: 'user', title: 'Backup repository belongs to another cluster' },
  RESTORE_TARGET_NOT_EMPTY: { status: 400, kind: 'user', title: 'Restore target not empty' },
  RESTORE_FAILED: { status: 500, kind: 'operational', title: 'Restore failed' },
  TLS_INCOMPLETE: { status: 500, kind: 'user', title: 'TLS files missing' },
  CERTIFICATE_FAILED: { status: 400, kind: 'user', title: 'Certificate not made' },
  STANDBY_JOIN_FAILED: { status: 500, kind: 'operational', title: 'Standby could not join' },
  STANDBY_MISCONFIGURED: { status: 500, kind: 'user', title: 'Standby misconfigured' },
  NODE_UNREACHABLE: { status: 503, kind: 'operational', title: 'Node not reachable' },
  NODE_REQUEST_FAILED: { status: 502, kind: 'operational', title: 'Node refused the request' },
  NODE_FENCED: { status: 409, kind: 'user', title: 'This node was fenced' },
  NODE_STATE_CONFLICT: { status: 409, kind: 'user', title: 'The node is not in a state that allows this' },
  FAILOVER_FAILED: { status: 500, kind: 'operational', title: 'Failover failed' },
  DRILL_FAILED: { status: 500, kind: 'operational', title: 'Drill failed' },
  JOB_UNKNOWN: { status: 500, kind: 'unexpected', title: 'Unknown job type' },
  INTERNAL: { status: 500, kind: 'unexpected', title: 'Internal error' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof catalogue;

/** An error from the catalogue, with a detail written for the person who will read it. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly kind: ErrorKind;
  readonly title: string;
  /** Extra members for the problem document (for example `errors` for validation). */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { cause?: unknown; extensions?: Record<string, unknown> } = {},
  ) {
    super(detail, { cause: options.cause });
    const entry: CatalogueEntry = catalogue[code];
    this.name = 'AppError';
    this.code = code;
    this.status = entry.status;
    this.kind = entry.kind;
    this.title = entry.title;
    this.extensions = options.extensions ?? {};
  }
}

export function appError(
  code: ErrorCode,
  detail: string,
  options?: { cause?: unknown; extensions?: Record<string, unknown> },
): AppError {
  return new AppError(code, detail, options);
}

/** A message as a clause of another sentence: without its final full stop (or trailing space). */
export const asClause = (message: string): string => message.replace(/[.\s]+$/, '');

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Network and server errors that mean "the database cannot be used now", not a bug. */
const databaseUnavailable: Record<string, string> = {
  ECONNREFUSED: 'nothing is listening there',
  ECONNRESET: 'the connection was cut',
  ETIMEDOUT: 'the connection timed out',
  ENOTFOUND: 'the host name does not resolve',
  EHOSTUNREACH: 'the host is unreachable',
  '28P01': 'the password was refused',
  '28000': 'the role may not log in',
  '3D000': 'the database does not exist',
  EPIPE: 'the connection was cut',
  ENETUNREACH: 'the network is unreachable',
  '08000': 'the connection failed',
  '08001': 'the connection could not be made',
  '08003': 'the connection is gone',
  '08004': 'the server refused the connection',
  '08006': 'the connection failed',
  '25006': 'the server is read-only (a standby)',
  '57P01': 'the server is shutting down',
  '57P02': 'the server crashed',
  '57P03': 'the server is starting up or in recovery',
  '53300': 'the server has too many connections',
};

/** Of those, the ones a failover or restart causes, which pass once a primary answers again (a refused password does not). */
const transient = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
  'ENETUNREACH',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '25006',
  '57P01',
  '57P02',
  '57P03',
]);
const transientMessage = /Connection terminated|not queryable|timeout expired|Query read timeout/i;
/** How pg and its pool say a connection broke, or never came (a full pool says the same: not transient, but still the database's state). */
const connectionMessages: Array<[RegExp, string]> = [
  [/Connection terminated unexpectedly|not queryable/i, 'the connection was cut'],
  [
    /timeout expired|timeout exceeded when trying to connect|Connection terminated due to connection timeout|Query read timeout/i,
    'the connection timed out',
  ],
];

/**
 * Whether an error means the database went away under the work (a disconnect, an admin
 * shutdown, read-only after a failover, no primary found): work that is safe to repeat
 * may be tried again once a primary answers.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  if (isAppError(error))
    return (
      error.code === 'DATABASE_UNAVAILABLE' &&
      (error.extensions.retryable === true || isTransientDatabaseError(error.cause))
    );
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && transient.has(code)) || transientMessage.test(error.message);
}

/**
 * Wraps anything thrown that is not from the catalogue: database connection failures
 * become DATABASE_UNAVAILABLE with what went wrong; anything else is an unexpected
 * internal error.
 */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const byMessage =
    error instanceof Error ? connectionMessages.find(([pattern]) => pattern.test(error.message))?.[1] : undefined;
  if ((typeof code === 'string' && code in databaseUnavailable) || byMessage) {
    const reason = (typeof code === 'string' ? databaseUnavailable[code] : undefined) ?? byMessage;
    return new AppError(
      'DATABASE_UNAVAILABLE',
      `Cannot use PostgreSQL: ${reason} (${(error as Error).message}). Check that it is running and that DATABASE_URL (or the data directory's server) is right.`,
      { cause: error },
    );
  }
  return new AppError('INTERNAL', 'Something went wrong on our side; it has been logged.', { cause: error });
}
