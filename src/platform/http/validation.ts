import type { FastifySchemaValidationError } from 'fastify';
import type { z } from 'zod';
import { appError, type AppError } from '../errors.js';

/** Where in a request a value was found wrong. */
export type ValidationPlace = 'body' | 'query' | 'params' | 'headers';

/** One thing wrong with a request: where, which field (dotted path, empty for the whole), and why. */
export interface ValidationIssue {
  readonly in: ValidationPlace;
  readonly path: string;
  readonly message: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route's request is called in its validation errors ("The fence request is invalid: ..."). */
    requestName?: string;
  }
}

/**
 * The one shape of a validation problem: a 400 `VALIDATION_FAILED` whose detail names every
 * field that is wrong and why, and whose `errors` list them for a program. Routes never write
 * their own: their zod schemas are checked at the edge, and the few checks done by hand (a
 * CLI flag, a body read before its schema applies) build their issues and call this.
 */
export function validationFailed(issues: readonly ValidationIssue[], requestName?: string): AppError {
  const what = requestName ? `The ${requestName} request` : 'The request';
  // A whole-value issue (an unknown key, a missing body) is named by where it was.
  const listed = issues.map((issue) => `${issue.path || issue.in}: ${issue.message}`).join('; ');
  // One full stop at the end, whether or not the last message brought its own.
  return appError('VALIDATION_FAILED', `${what} is invalid: ${listed.replace(/\.$/, '')}.`, {
    extensions: { errors: issues },
  });
}

/** The issues of a zod error, found in `place`. */
export function issuesOfZod(error: z.ZodError, place: ValidationPlace): ValidationIssue[] {
  return error.issues.map((issue) => ({ in: place, path: issue.path.map(String).join('.'), message: issue.message }));
}

const places: Record<string, ValidationPlace> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

/** The issues of Fastify's schema validation (zod through the type provider, or JSON schema). */
export function issuesOfFastify(
  errors: readonly FastifySchemaValidationError[],
  context: string | undefined,
): ValidationIssue[] {
  const place = places[context ?? 'body'] ?? 'body';
  return errors.map((error) => ({
    in: place,
    path: error.instancePath.replace(/^\//, '').replace(/\//g, '.'),
    message: error.message ?? 'is not valid',
  }));
}
