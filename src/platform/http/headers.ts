import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * The Content-Security-Policy of every response: scripts, styles, fonts and requests only from
 * this origin, no inline script, no plugin, no framing (`frame-ancestors 'none'`), no <base>.
 * Pages that need less may send a stricter one of their own.
 */
export const contentSecurityPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
} as const;

/**
 * The security headers helmet sets, computed once: they depend on no request (no nonces), and
 * running helmet's middleware on every request halved the throughput of the lightest route
 * (`npm run bench -- http-baseline`: /healthz 57k -> 33k req/s).
 */
export function securityHeaders(options: { tls: boolean }): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  } as unknown as ServerResponse;
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy },
    strictTransportSecurity: options.tls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  })({} as IncomingMessage, response, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

/**
 * Headers every response carries, errors and 404s included: the security headers and the
 * request id (echoed so a person can quote it). Over TLS, HSTS for a year on the base domain and
 * every workspace under it; never over plain HTTP, where it would be ignored or, on a laptop's
 * localhost, pin the browser to a port that has no TLS.
 */
export function registerResponseHeaders(app: FastifyInstance, options: { tls: boolean }): void {
  const headers = securityHeaders(options);
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers);
    reply.header('x-request-id', request.id);
    done();
  });
}
