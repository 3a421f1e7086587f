/**
 * One rule's track of one subject (a component), and how each evaluation moves it on:
 * - it fires after `forChecks` bad evaluations in a row, and recovers after as many good ones,
 *   so one bad reading neither pages anyone nor clears a page;
 * - each firing and recovery is sent once (one open alert per rule and subject);
 * - a track that changed `flapChanges` times within `flapWindowMs` is flapping: one notice says
 *   so, and nothing more is sent until it has held one state for `flapWindowMs`, when a last
 *   notice says where it settled. A check that flaps sends three messages, not a storm.
 */

export const flapChanges = 4;
export const flapWindowMs = 30 * 60_000;

export interface Track {
  readonly firing: boolean;
  /** Bad evaluations in a row. */
  readonly bad: number;
  /** Good evaluations in a row. */
  readonly good: number;
  /** When it fired or recovered, within the flap window. */
  readonly changes: readonly Date[];
  readonly flapping: boolean;
  /** When it entered its present state (firing or not). */
  readonly since: Date;
}

export type Notice = 'firing' | 'recovered' | 'flapping' | 'settled';

export const newTrack = (now: Date): Track => ({
  firing: false,
  bad: 0,
  good: 0,
  changes: [],
  flapping: false,
  since: now,
});

/** The track after one evaluation, and the notice it calls for, if any. */
export function step(track: Track, bad: boolean, forChecks: number, now: Date): { track: Track; notice?: Notice } {
  const counted = bad ? { bad: track.bad + 1, good: 0 } : { bad: 0, good: track.good + 1 };
  const recent = track.changes.filter((at) => now.getTime() - at.getTime() < flapWindowMs);
  const changes =
    !track.firing && counted.bad >= forChecks
      ? 'fires'
      : track.firing && counted.good >= forChecks
        ? 'recovers'
        : undefined;
  if (changes) {
    const firing = changes === 'fires';
    const next: Track = { ...counted, firing, changes: [...recent, now], flapping: track.flapping, since: now };
    if (track.flapping) return { track: next };
    if (next.changes.length >= flapChanges) return { track: { ...next, flapping: true }, notice: 'flapping' };
    return { track: next, notice: firing ? 'firing' : 'recovered' };
  }
  const next: Track = { ...track, ...counted, changes: recent };
  if (track.flapping && now.getTime() - track.since.getTime() >= flapWindowMs)
    return { track: { ...next, flapping: false }, notice: 'settled' };
  return { track: next };
}
