/**
 * Who is acting, for policies and audit entries. Operators act from the CLI on the host, the
 * platform acts as `system`, a caller over HTTP is `anonymous` until an authenticator knows it
 * (a `service` such as the failover drill's load today; users and staff with the identity module).
 */
export type Actor =
  | { readonly kind: 'operator'; readonly name: string }
  | { readonly kind: 'system'; readonly name: string }
  | { readonly kind: 'service'; readonly name: string }
  | {
      readonly kind: 'user';
      /** The email address the person signs in with. */
      readonly name: string;
      readonly userId: string;
      /** The workspace role; what it allows is the identity module's policy. */
      readonly role: string;
      /** Set for a read-only API token: no writes, whatever the role. */
      readonly readOnly?: boolean;
      /** The session the request came with (cookie), or undefined for an API token. */
      readonly sessionId?: string;
      /** The workspace requires a second factor this person has not set up: until they do, only that is allowed. */
      readonly mustSetUpTwoFactor?: boolean;
    }
  | { readonly kind: 'anonymous' };

/** A request's actor before any authenticator has spoken. */
export const anonymous: Actor = Object.freeze({ kind: 'anonymous' });

export function describeActor(actor: Actor): string {
  return actor.kind === 'anonymous' ? 'anonymous' : `${actor.kind}:${actor.name}`;
}
