/**
 * Who is acting, for policies and audit entries. Operators act from the CLI on the
 * host; users and staff arrive with the identity module.
 */
export type Actor =
  { readonly kind: 'operator'; readonly name: string } | { readonly kind: 'system'; readonly name: string };

export function describeActor(actor: Actor): string {
  return `${actor.kind}:${actor.name}`;
}
