import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * A small secret kept in a database column (a TOTP seed) sealed under a key derived from the
 * platform's secret key for one purpose: AES-256-GCM, a fresh nonce per value, the purpose bound
 * in as associated data. A copy of the database alone reveals nothing; `secret.key` is needed.
 */
const version = 'v1';

function fieldKey(secretKey: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, 'steadfast.fields', purpose, 32));
}

export function sealField(secretKey: string, purpose: string, plaintext: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', fieldKey(secretKey, purpose), nonce);
  cipher.setAAD(Buffer.from(purpose));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    version,
    nonce.toString('base64url'),
    body.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
  ].join('.');
}

/** The plaintext of a sealed field; throws when it was sealed under another key or purpose, or altered. */
export function openField(secretKey: string, purpose: string, sealed: string): string {
  const [tag, nonce, body, auth] = sealed.split('.');
  if (tag !== version || !nonce || body === undefined || !auth) throw new Error(`not a sealed field (${purpose})`);
  const decipher = createDecipheriv('aes-256-gcm', fieldKey(secretKey, purpose), Buffer.from(nonce, 'base64url'));
  decipher.setAAD(Buffer.from(purpose));
  decipher.setAuthTag(Buffer.from(auth, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
