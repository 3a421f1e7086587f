/** WAL positions ("16/B374D848") as numbers, and back. */
export const parseLsn = (lsn: string): bigint => {
  const [high, low] = lsn.split('/') as [string, string];
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
};

export const formatLsn = (lsn: bigint): string =>
  `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;

/** WAL segment size (the embedded cluster's, and initdb's default) and segments per "log" step of a name. */
export const segmentBytes = 16 * 1024 * 1024;
export const segmentsPerLog = 256;
/** A timeline as WAL file names spell it: eight upper-case hex digits (its history file is `${timelineHex(t)}.history`). */
export const timelineHex = (value: number): string => value.toString(16).toUpperCase().padStart(8, '0');

/** The file name of segment `number` (counted from the start of WAL) on `timeline`: TTTTTTTTLLLLLLLLSSSSSSSS. */
export const segmentName = (timeline: number, number: number): string =>
  `${timelineHex(timeline)}${timelineHex(Math.floor(number / segmentsPerLog))}${timelineHex(number % segmentsPerLog)}`;

/** Whether a WAL file name is a segment (not a timeline history or backup history file). */
export const isSegmentName = (name: string): boolean => /^[0-9A-F]{24}$/.test(name);

/** The WAL segment file that holds `lsn` ("16/B374D848") on `timeline`. */
export function segmentOf(lsn: string, timeline: number): string {
  return segmentName(timeline, Number(parseLsn(lsn) / BigInt(segmentBytes)));
}

/**
 * Where an end position (a commit's, a flush's) falls: the segment holding the byte before it,
 * and how many bytes of that segment it covers. An end on a boundary closes the segment before.
 */
export function segmentEnding(end: bigint, timeline: number): { segment: string; within: number } {
  const start = ((end - 1n) / BigInt(segmentBytes)) * BigInt(segmentBytes);
  return { segment: segmentOf(formatLsn(start), timeline), within: Number(end - start) };
}
