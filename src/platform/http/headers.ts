import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

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
 * Headers every response carries, errors and 404s included: the security headers (through
 * @fastify/helmet) and the request id (echoed so a person can quote it). Over TLS, HSTS for a
 * year on the base domain and every workspace under it; never over plain HTTP, where it would
 * be ignored or, on a laptop's localhost, pin the browser to a port that has no TLS.
 */
export async function registerResponseHeaders(app: FastifyInstance, options: { tls: boolean }): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy },
    hsts: options.tls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
}
