import PDFDocument from 'pdfkit';
import { toCsvLines } from '../../platform/csv.js';
import { percent } from './status.page.js';
import { maintenanceNoticeMs, partialOutageWeight } from './status.uptime.js';
import type { SlaReport } from './status.reports.js';

/** 0.999 -> "99.9 %", 0.99999 -> "99.999 %". */
const targetText = (target: number): string => `${Number((target * 100).toFixed(3))} %`;

const minutes = (value: number): number => Math.round(value * 10) / 10;

const monthName = (month: string): string =>
  new Date(`${month}-01T00:00:00Z`).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });

const verdict = (report: SlaReport): string => (report.met === null ? 'no data' : report.met ? 'met' : 'missed');

const summaryHeader = [
  'month',
  'workspace',
  'name',
  'availability_percent',
  'target_percent',
  'met',
  'downtime_minutes',
  'major_outage_minutes',
  'partial_outage_minutes',
  'short_notice_maintenance_minutes',
  'maintenance_minutes',
  'no_data_minutes',
  'counted_minutes',
  'incidents',
  'issued_at',
];

function summaryRow(report: SlaReport): unknown[] {
  const { figures } = report;
  return [
    report.month,
    report.tenant,
    report.name,
    figures.availability === undefined ? '' : (figures.availability * 100).toFixed(4),
    (report.target * 100).toFixed(1),
    verdict(report),
    minutes(figures.downtimeMinutes),
    figures.majorOutage,
    figures.partialOutage,
    figures.shortNoticeMaintenance,
    figures.maintenance,
    figures.noData,
    figures.countedMinutes,
    report.incidents.length,
    report.issuedAt ?? 'provisional',
  ];
}

/** A month's reports as CSV: one row per workspace. */
export function monthCsv(reports: readonly SlaReport[]): string {
  return toCsvLines(summaryHeader, reports.map(summaryRow));
}

/** One workspace's report as CSV: its figures on each row of the downtime-budget table. */
export function reportCsv(report: SlaReport): string {
  return toCsvLines(
    [...summaryHeader, 'budget_target_percent', 'budget_allowed_minutes', 'budget_remaining_minutes', 'budget_met'],
    report.budget.map((row) => [
      ...summaryRow(report),
      (row.target * 100).toFixed(3),
      minutes(row.allowedMinutes),
      minutes(row.remainingMinutes),
      row.met ? 'met' : 'missed',
    ]),
  );
}

/** The formula, as the status page prints it. */
export const formulaText =
  `Each minute takes the worst state the probes measured (locations combined by quorum) or an incident declared. ` +
  `Major-outage minutes count fully as downtime, partial-outage minutes by ${partialOutageWeight}. ` +
  `Maintenance announced at least ${maintenanceNoticeMs / 3_600_000} hours ahead is removed from the month; ` +
  `maintenance announced later, or never, counts fully as downtime. Minutes nothing measured are left out. ` +
  `Availability = 1 - downtime / (minutes - announced maintenance - no data).`;

/** One workspace's report as a PDF (A4): summary, downtime budget, incidents, the formula. */
export function reportPdf(report: SlaReport, platform: string): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: `Service level report ${report.month}: ${report.name}`, Author: platform, Subject: 'SLA report' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const { figures } = report;
  doc
    .font('Helvetica-Bold')
    .fontSize(18)
    .text(`Service level report: ${monthName(report.month)}`);
  doc.font('Helvetica').fontSize(11).fillColor('#444').text(`${report.name} (${report.tenant}) on ${platform}`);
  doc.text(
    report.issuedAt
      ? `Issued ${report.issuedAt.replace('T', ' ').slice(0, 16)} UTC, after the month ended.`
      : 'Provisional: the month is under way, or its report is not yet issued.',
  );
  doc.moveDown();
  doc
    .fillColor('#000')
    .font('Helvetica-Bold')
    .fontSize(14)
    .text(`Availability ${percent(figures.availability)}`);
  doc
    .font('Helvetica')
    .fontSize(11)
    .text(`Target ${targetText(report.target)}: ${verdict(report)}.`);
  doc.moveDown(0.5);
  table(doc, [
    ['Downtime', `${minutes(figures.downtimeMinutes)} min`],
    ['Major outage', `${figures.majorOutage} min`],
    [`Partial outage (counted by ${partialOutageWeight})`, `${figures.partialOutage} min`],
    ['Maintenance on short notice (counted)', `${figures.shortNoticeMaintenance} min`],
    ['Maintenance announced 24 h ahead (not counted)', `${figures.maintenance} min`],
    ['No data (left out)', `${figures.noData} min`],
    ['Minutes counted', `${figures.countedMinutes} of ${figures.minutes}`],
  ]);

  doc.moveDown().font('Helvetica-Bold').fontSize(13).text('Downtime budget');
  doc.font('Helvetica').fontSize(11);
  table(doc, [
    ['Target', 'Allowed', 'Used', 'Remaining'],
    ...report.budget.map((row) => [
      targetText(row.target),
      `${minutes(row.allowedMinutes)} min`,
      `${minutes(row.usedMinutes)} min`,
      row.met ? `${minutes(row.remainingMinutes)} min` : `missed by ${minutes(-row.remainingMinutes)} min`,
    ]),
  ]);

  doc.moveDown().font('Helvetica-Bold').fontSize(13).text('Incidents');
  doc.font('Helvetica').fontSize(11);
  if (report.incidents.length === 0) doc.text('None this month.');
  else
    table(doc, [
      ['Incident', 'Began (UTC)', 'Resolved (UTC)', 'Impact'],
      ...report.incidents.map((incident) => [
        incident.title,
        incident.startedAt.replace('T', ' ').slice(0, 16),
        incident.resolvedAt?.replace('T', ' ').slice(0, 16) ?? 'not yet',
        incident.impact.replace('_', ' '),
      ]),
    ]);

  doc.moveDown().font('Helvetica-Bold').fontSize(13).text('How availability is counted');
  doc.font('Helvetica').fontSize(10).text(formulaText);
  doc.end();
  return done;
}

/** Rows of text, the first column wide; a first row of more than two cells is the table's heading. */
function table(doc: PDFKit.PDFDocument, rows: readonly (readonly string[])[]): void {
  const headed = rows[0]!.length > 2;
  doc.table({
    columnStyles: (i) => (i === 0 ? { width: '*' } : { width: rows[0]!.length > 2 ? 110 : 100 }),
    data: rows.map((row, i) =>
      headed && i === 0
        ? row.map((text) => ({ text, type: 'TH' as const, font: { src: 'Helvetica-Bold' } }))
        : [...row],
    ),
  });
}
