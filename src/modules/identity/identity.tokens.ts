import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A secret handed to a client once (session, API token, reset link): 256 random bits, URL-safe. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored instead of a secret: its SHA-256 (the secret has 256 bits of entropy, so no salt or slow hash is needed). */
export function secretHash(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/**
 * The CSRF token of a session: an HMAC of its id under the platform's secret, so it needs no
 * storage, differs per session, and means nothing to another session.
 */
export function csrfToken(secretKey: string, sessionId: string): string {
  return createHmac('sha256', secretKey).update(`csrf:${sessionId}`).digest('base64url');
}

export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
