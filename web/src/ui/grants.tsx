/** Support grants as the console and a workspace's admins both see them. */

export type GrantStatus = 'pending' | 'active' | 'denied' | 'ended' | 'expired';

export interface Grant {
  id: string;
  /** The workspace's slug. */
  tenant: string;
  staff: { email: string; name: string };
  reason: string;
  minutes: number;
  status: GrantStatus;
  createdAt: string;
  /** Pending: when the request lapses; otherwise when the access ends (or ended). */
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  endedBy: string | null;
  endedAt: string | null;
}

const statusWords: Record<GrantStatus, string> = {
  pending: 'awaiting approval',
  active: 'active',
  denied: 'denied',
  ended: 'ended',
  expired: 'expired',
};

const tones: Record<GrantStatus, string> = {
  pending: 'warn',
  active: 'ok',
  denied: 'quiet',
  ended: 'quiet',
  expired: 'quiet',
};

export function GrantStatusBadge({ status }: { status: GrantStatus }) {
  return <span className={`badge ${tones[status]}`}>{statusWords[status]}</span>;
}

/** Durations a grant may ask for, in minutes, as the request form offers them. */
export const grantDurations: ReadonlyArray<[minutes: number, label: string]> = [
  [15, '15 minutes'],
  [30, '30 minutes'],
  [60, '1 hour'],
  [120, '2 hours'],
  [240, '4 hours'],
  [480, '8 hours'],
];

/** A length of time as one says it: 15 min, 1 h, 1 h 30 min. */
export function duration(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return [hours ? `${hours} h` : '', rest ? `${rest} min` : ''].filter(Boolean).join(' ');
}

/** A moment soon or lately: the time alone today, with the day otherwise. */
export function moment(iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  const today = date.toDateString() === new Date().toDateString();
  return today
    ? date.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' })
    : date.toLocaleString([], { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}

/** `user:ada@example.com` as a person reads it. */
const who = (actor: string | null) => (actor ? ` by ${actor.replace(/^(user|staff|operator):/, '')}` : '');

/** The time that matters for a grant now: until when it runs, when it lapses, or when (and by whom) it ended. */
export function grantTiming(grant: Grant): string {
  switch (grant.status) {
    case 'active':
      return `until ${moment(grant.expiresAt)}`;
    case 'pending':
      return `asks for ${duration(grant.minutes)}; lapses ${moment(grant.expiresAt)}`;
    case 'denied':
      return `denied ${moment(grant.decidedAt)}${who(grant.decidedBy)}`;
    case 'ended':
      return `ended ${moment(grant.endedAt)}${who(grant.endedBy)}`;
    case 'expired':
      return `expired ${moment(grant.expiresAt)}`;
  }
}
