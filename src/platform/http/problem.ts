import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, appError, toAppError } from '../errors.js';
import { escapeHtml, htmlSecurityHeaders, page } from './html.js';
import { issuesOfFastify, validationFailed } from './validation.js';

/** An RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  [extension: string]: unknown;
}

export function toProblem(error: AppError, request: FastifyRequest): Problem {
  return {
    ...error.extensions,
    type: `urn:steadfast:error:${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    instance: request.url,
    code: error.code,
    requestId: request.id,
  };
}

/** Browsers asking for a page get an HTML page; API clients get the problem document. */
function wantsHtml(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/')) return false;
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html');
}

function send(error: AppError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.status(error.status);
  const retryAfter = error.extensions.retryAfterSeconds;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  else if (error.status === 503) reply.header('retry-after', '5');
  if (wantsHtml(request)) {
    const body = `<h1>${escapeHtml(error.title)}</h1>\n<p>${escapeHtml(error.message)}</p>\n<p class="muted">Error ${escapeHtml(error.code)} · request ${escapeHtml(request.id)}</p>`;
    return reply.headers(htmlSecurityHeaders).type('text/html; charset=utf-8').send(page(error.title, body));
  }
  return reply.type('application/problem+json').send(toProblem(error, request));
}

/**
 * One place where errors become responses: catalogue errors keep their status and
 * message; Fastify's own (bad JSON, body too large) are translated; anything else is a
 * 500 whose details stay in the log. Only 5xx are logged as errors.
 */
export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError | Error, request, reply) => {
    const error = translate(raw, request);
    if (error.status >= 500) request.log.error({ err: raw, code: error.code }, error.message);
    else request.log.info({ code: error.code }, error.message);
    return send(error, request, reply);
  });
  app.setNotFoundHandler((request, reply) =>
    send(
      appError('ROUTE_NOT_FOUND', `Nothing is served at ${request.method} ${request.url.split('?')[0]}.`),
      request,
      reply,
    ),
  );
}

function translate(error: FastifyError | Error, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const issues = issuesOfFastify(fastifyError.validation, fastifyError.validationContext);
    return validationFailed(issues, request.routeOptions.config?.requestName);
  }
  if (fastifyError.statusCode === 413)
    return appError(
      'REQUEST_TOO_LARGE',
      `The request body is larger than this endpoint accepts: ${fastifyError.message}.`,
    );
  if (fastifyError.statusCode === 415)
    return appError(
      'UNSUPPORTED_MEDIA_TYPE',
      `${fastifyError.message}. Send JSON with Content-Type: application/json.`,
    );
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return appError('VALIDATION_FAILED', `The request could not be read: ${fastifyError.message}.`);
  }
  return toAppError(error);
}
