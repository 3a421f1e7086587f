import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
import { appError } from '../../platform/errors.js';

/**
 * argon2id at OWASP's recommended parameters (Password Storage Cheat Sheet: m = 19 MiB, t = 2,
 * p = 1). A stored hash made with other parameters is replaced at the next sign-in.
 */
/** Algorithm.Argon2id, whose const enum cannot be read under verbatimModuleSyntax. */
const argon2id = 2 as Algorithm.Argon2id;
export const hashParameters = { algorithm: argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const currentPrefix = `$argon2id$v=19$m=${hashParameters.memoryCost},t=${hashParameters.timeCost},p=${hashParameters.parallelism}$`;

export const minimumPasswordLength = 12;
/** Longer passwords are refused: hashing megabytes is a denial of service, and no one types them. */
export const maximumPasswordLength = 256;

/** Offline: the common-password and English dictionaries ship in the packages. */
const guesser = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...en.dictionary },
  graphs: common.adjacencyGraphs,
  translations: en.translations,
});

export function hashPassword(password: string): Promise<string> {
  return hash(password, hashParameters);
}

/** Whether `password` matches `stored`, and whether the stored hash should be remade with today's parameters. */
export async function checkPassword(stored: string, password: string): Promise<{ ok: boolean; rehash: boolean }> {
  const ok = await verify(stored, password).catch(() => false);
  return { ok, rehash: ok && !stored.startsWith(currentPrefix) };
}

/** A hash to verify against when there is no account, so a sign-in takes as long either way. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword('decoy password that matches no account');
  return decoy;
}

/**
 * Refuses a password that is short, or easy to guess (zxcvbn score below 3 of 4, which takes in
 * the common and breached password lists and the person's own name and address), saying why
 * and what would do.
 */
export function assertStrongPassword(password: string, personal: readonly string[]): void {
  if (password.length < minimumPasswordLength)
    throw appError(
      'WEAK_PASSWORD',
      `Choose a password of at least ${minimumPasswordLength} characters; this one has ${password.length}.`,
    );
  if (password.length > maximumPasswordLength)
    throw appError('WEAK_PASSWORD', `Choose a password of at most ${maximumPasswordLength} characters.`);
  const result = guesser.check(password, [...personal]);
  if (result.score >= 3) return;
  const why = result.feedback.warning ? `${result.feedback.warning.replace(/\.$/, '')}. ` : '';
  const advice = result.feedback.suggestions.length
    ? result.feedback.suggestions.join(' ')
    : 'Add more words or characters that do not belong together.';
  throw appError('WEAK_PASSWORD', `This password is too easy to guess. ${why}${advice}`);
}
