/**
 * Which tenant a request is for, from its Host header: `<slug>.<baseDomain>[:port]`.
 * The bare base domain (and any other host) is the platform's own.
 */
export type HostTarget = { readonly kind: 'tenant'; readonly slug: string } | { readonly kind: 'platform' };

export function targetOfHost(host: string | undefined, baseDomain: string): HostTarget {
  if (!host) return { kind: 'platform' };
  const name = stripPort(host.trim().toLowerCase()).replace(/\.$/, '');
  const suffix = `.${baseDomain}`;
  if (!name.endsWith(suffix)) return { kind: 'platform' };
  const label = name.slice(0, -suffix.length);
  if (!label || label.includes('.')) return { kind: 'platform' };
  return { kind: 'tenant', slug: label };
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
