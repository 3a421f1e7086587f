/** The one way the app talks to Steadfast: JSON over /api/v1, errors as RFC 9457 problem documents. */

export interface Problem {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly code?: string;
  readonly errors?: ReadonlyArray<{ readonly path?: string; readonly message: string }>;
  /** Extensions some problems carry, e.g. `allowedStateIds` of a refused move or `currentVersion` of a stale write. */
  readonly [extension: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string | undefined {
    return this.problem.code;
  }
}

let csrfToken: string | null = null;

/** The session's CSRF token, from /me or a sign-in: every change made with the session cookie carries it. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export async function api<T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  extraHeaders?: Record<string, string>,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError({
      status: 0,
      title: 'No connection',
      detail: 'The workspace cannot be reached. Check your connection and try again.',
    });
  }
  if (response.status === 204) return undefined as T;
  const data: unknown = await response.json().catch(() => undefined);
  if (!response.ok)
    throw new ApiError(
      (data as Problem | undefined) ?? { status: response.status, title: response.statusText || 'Request failed' },
    );
  return data as T;
}

/** How far an upload has got: bytes sent of the total. */
export type UploadProgress = (sent: number, total: number) => void;

/**
 * Sends a file as a request's raw body (XMLHttpRequest, for its upload progress events, which
 * fetch lacks), with the session's CSRF token; resolves to the JSON answer, rejects with the
 * problem document as an ApiError. Aborting `signal` rejects with an AbortError.
 */
export function upload<T>(
  path: string,
  file: Blob,
  options: { onProgress?: UploadProgress; signal?: AbortSignal; headers?: Record<string, string> } = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/v1${path}`);
    request.withCredentials = true;
    request.setRequestHeader('accept', 'application/json');
    // The server reads the type from the content; a type is still sent, so every body is one it parses.
    request.setRequestHeader('content-type', file.type || 'application/octet-stream');
    if (csrfToken) request.setRequestHeader('x-csrf-token', csrfToken);
    for (const [name, value] of Object.entries(options.headers ?? {})) request.setRequestHeader(name, value);
    request.upload.addEventListener('progress', (event) =>
      options.onProgress?.(event.loaded, event.total || file.size),
    );
    request.addEventListener('load', () => {
      let data: unknown;
      try {
        data = request.responseText ? JSON.parse(request.responseText) : undefined;
      } catch {
        data = undefined;
      }
      if (request.status >= 200 && request.status < 300) resolve(data as T);
      else
        reject(
          new ApiError(
            (data as Problem | undefined) ?? { status: request.status, title: request.statusText || 'Upload failed' },
          ),
        );
    });
    request.addEventListener('error', () =>
      reject(
        new ApiError({
          status: 0,
          title: 'Upload interrupted',
          detail: 'The upload was cut off before the workspace answered. Check your connection and try again.',
        }),
      ),
    );
    request.addEventListener('abort', () => reject(new DOMException('The upload was cancelled.', 'AbortError')));
    options.signal?.addEventListener('abort', () => request.abort(), { once: true });
    request.send(file);
  });
}

export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export interface Me {
  user: { id: string; email: string; name: string; role: Role; createdAt: string };
  csrfToken: string | null;
  twoFactor: { totp: boolean; recoveryCodesLeft: number; passkeys: number; setupRequired: boolean };
  /** Present when Steadfast's support staff are in the workspace under a grant: they see what an admin sees, and change nothing. */
  support?: { grantId: string; reason: string; expiresAt: string };
}

export interface SecondFactorChallenge {
  secondFactor: { challenge: string; methods: Array<'totp' | 'recovery-code' | 'passkey'> };
}

/** A token from a mailed link: it travels in the #fragment, which no server ever sees. */
export function tokenFromLink(hash: string): string | undefined {
  const match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(hash);
  return match?.[1];
}

/** A problem's message for one field, if the server named it. */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  return error.problem.errors?.find((e) => e.path === field || e.path?.endsWith(`.${field}`))?.message;
}
