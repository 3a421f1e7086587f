/**
 * Who is acting, for policies and audit entries. Operators act from the CLI on the host, the
 * platform acts as `system`, a caller over HTTP is `anonymous` until an authenticator knows it
 * (a `service` such as the failover drill's load; a workspace's `user`s, the platform's `staff` on the
 * console, and staff inside a workspace under a support grant, with the identity module).
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
  | {
      /** A member of the platform's staff, signed in to the console. */
      readonly kind: 'staff';
      readonly name: string;
      readonly staffId: string;
      readonly sessionId: string;
    }
  | {
      /** A member of staff inside one workspace under a support grant: sees what an admin sees, changes nothing. */
      readonly kind: 'support';
      readonly name: string;
      readonly staffId: string;
      readonly grantId: string;
      readonly sessionId: string;
      /** When the grant (and with it this access) ends. */
      readonly expiresAt: Date;
      readonly reason: string;
    }
  | { readonly kind: 'anonymous' };

/** A request's actor before any authenticator has spoken. */
export const anonymous: Actor = Object.freeze({ kind: 'anonymous' });

export function describeActor(actor: Actor): string {
  return actor.kind === 'anonymous' ? 'anonymous' : `${actor.kind}:${actor.name}`;
}
