import { segmentBytes, segmentName, segmentOf, segmentsPerLog } from '../../platform/postgres/lsn.js';

/**
 * Which archived WAL files a restore needs, and where the archive has holes. Segment
 * names are TTTTTTTTLLLLLLLLSSSSSSSS (timeline, then the segment number split in two);
 * with 16 MiB segments there are 256 segments per "L" step.
 */
export { isSegmentName, segmentBytes, segmentEnding, segmentOf } from '../../platform/postgres/lsn.js';
const segmentPattern = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;

/** The WAL position where a segment (by its file name) begins. */
export function segmentStartLsn(name: string): bigint {
  return (
    (BigInt(`0x${name.slice(8, 16)}`) * BigInt(segmentsPerLog) + BigInt(`0x${name.slice(16, 24)}`)) *
    BigInt(segmentBytes)
  );
}

function parse(name: string): { timeline: number; number: number } | undefined {
  const match = segmentPattern.exec(name);
  if (!match) return undefined;
  return {
    timeline: parseInt(match[1]!, 16),
    number: parseInt(match[2]!, 16) * segmentsPerLog + parseInt(match[3]!, 16),
  };
}

export interface WalGap {
  readonly timeline: number;
  /** First and last missing segment. */
  readonly from: string;
  readonly to: string;
}

export interface WalPlan {
  /** Files to fetch, in order: timeline histories, then segments. */
  readonly files: string[];
  readonly gaps: WalGap[];
  /** The last segment of the backup's timeline reachable without crossing a gap. */
  readonly lastContiguous?: string;
}

/** Plans the WAL a restore of a backup starting at `startLsn` on `timeline` can use. */
export function planWal(archived: readonly string[], backup: { startLsn: string; timeline: number }): WalPlan {
  const start = parse(segmentOf(backup.startLsn, backup.timeline))!;
  const histories = archived.filter((name) => /^[0-9A-F]{8}\.history$/.test(name)).sort();
  const byTimeline = new Map<number, number[]>();
  for (const name of archived) {
    const segment = parse(name);
    if (!segment || segment.timeline < backup.timeline) continue;
    if (segment.timeline === backup.timeline && segment.number < start.number) continue;
    byTimeline.set(segment.timeline, [...(byTimeline.get(segment.timeline) ?? []), segment.number]);
  }
  const gaps: WalGap[] = [];
  let lastContiguous: string | undefined;
  for (const [timeline, numbers] of byTimeline) {
    numbers.sort((a, b) => a - b);
    let expected = timeline === backup.timeline ? start.number : numbers[0]!;
    let broken = false;
    for (const number of numbers) {
      if (number > expected) {
        gaps.push({ timeline, from: segmentName(timeline, expected), to: segmentName(timeline, number - 1) });
        broken = true;
      }
      if (timeline === backup.timeline && !broken) lastContiguous = segmentName(timeline, number);
      expected = number + 1;
    }
  }
  if (!byTimeline.has(backup.timeline))
    gaps.push({
      timeline: backup.timeline,
      from: segmentName(backup.timeline, start.number),
      to: segmentName(backup.timeline, start.number),
    });
  const segments = [...byTimeline]
    .flatMap(([timeline, numbers]) => numbers.map((number) => segmentName(timeline, number)))
    .sort();
  return { files: [...histories, ...segments], gaps, lastContiguous };
}
