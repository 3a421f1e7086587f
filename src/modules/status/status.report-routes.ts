import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ApiScope } from '../../platform/http/api.js';
import { staffAuthor } from './status.policy.js';
import { budgetRowSchema } from './status.schema.js';
import { monthCsv, reportCsv, reportPdf } from './status.report-files.js';
import type { SlaReport } from './status.reports.js';
import type { StatusService } from './status.service.js';

const tags = ['status'];

const monthParams = z
  .object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'A month is written YYYY-MM, such as 2026-11.') })
  .strict();
const tenantParams = monthParams.extend({ tenant: z.string().min(1).max(63) }).strict();
const formatQuery = z
  .object({ format: z.enum(['json', 'csv', 'pdf']).default('json').describe('json (default), csv or pdf.') })
  .strict();
const monthFormatQuery = z
  .object({ format: z.enum(['json', 'csv']).default('json').describe('json (default) or csv.') })
  .strict();

const summary = {
  tenant: z.string(),
  name: z.string(),
  availability: z.number().nullable().describe('0 to 1; null when no minute of the month counted.'),
  downtimeMinutes: z.number(),
  maintenanceMinutes: z.number().describe('Announced at least 24 h ahead: removed from the month.'),
  shortNoticeMaintenanceMinutes: z.number().describe('Announced later or never: counted as downtime.'),
  noDataMinutes: z.number(),
  minutes: z.number(),
  met: z.boolean().nullable(),
  issuedAt: z.iso.datetime().nullable().describe('null: provisional (the month is under way or not yet issued).'),
};

const monthReportSchema = z
  .object({
    month: z.string(),
    target: z.number(),
    tenants: z.array(z.object({ ...summary, incidents: z.number().describe('Incidents that affected it.') })),
  })
  .meta({ id: 'SlaMonth' });

const tenantReportSchema = z
  .object({
    month: z.string(),
    target: z.number(),
    ...summary,
    incidents: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        startedAt: z.iso.datetime(),
        resolvedAt: z.iso.datetime().nullable(),
        impact: z.string(),
      }),
    ),
    budget: z.array(budgetRowSchema),
  })
  .meta({ id: 'SlaReport' });

const summaryOf = (report: SlaReport) => ({
  tenant: report.tenant,
  name: report.name,
  availability: report.figures.availability ?? null,
  downtimeMinutes: report.figures.downtimeMinutes,
  maintenanceMinutes: report.figures.maintenance,
  shortNoticeMaintenanceMinutes: report.figures.shortNoticeMaintenance,
  noDataMinutes: report.figures.noData,
  minutes: report.figures.minutes,
  met: report.met,
  issuedAt: report.issuedAt,
});

/**
 * Sends a download. Fastify sends a string or buffer as it is, whatever the route's JSON response
 * schema (which types `send`, hence `never`): the schema describes the `json` format.
 */
function download(reply: FastifyReply, type: string, filename: string, body: string | Buffer): FastifyReply {
  return reply
    .type(type)
    .header('content-disposition', `attachment; filename="${filename}"`)
    .send(body as never);
}

/**
 * Monthly SLA reports in the staff console, under `/api/v1/console/status/reports`: every
 * workspace's month, and one workspace's with its downtime budget and incidents, as JSON, CSV
 * or PDF (`?format=`).
 */
export function reportsConsoleApi(api: ApiScope, status: StatusService, platform: string): void {
  api.get(
    '/console/status/reports/:month',
    {
      schema: {
        summary: "Every workspace's availability in a month against the 99.9 % target",
        tags,
        params: monthParams,
        querystring: monthFormatQuery,
        produces: ['application/json', 'text/csv'],
        response: { 200: monthReportSchema },
      },
    },
    async (request, reply) => {
      staffAuthor(request.actor);
      const { month } = request.params;
      const reports = await status.reports.month(month);
      if (request.query.format === 'csv')
        return download(reply, 'text/csv; charset=utf-8', `sla-${month}.csv`, monthCsv(reports));
      return {
        month,
        target: reports[0]?.target ?? 0.999,
        tenants: reports.map((report) => ({ ...summaryOf(report), incidents: report.incidents.length })),
      };
    },
  );

  api.get(
    '/console/status/reports/:month/:tenant',
    {
      schema: {
        summary: "A workspace's month: availability, downtime and maintenance, incidents, and the downtime budget",
        tags,
        params: tenantParams,
        querystring: formatQuery,
        produces: ['application/json', 'text/csv', 'application/pdf'],
        response: { 200: tenantReportSchema },
      },
    },
    async (request, reply) => {
      staffAuthor(request.actor);
      const { month, tenant } = request.params;
      const report = await status.reports.tenant(month, tenant);
      if (request.query.format === 'csv')
        return download(reply, 'text/csv; charset=utf-8', `sla-${month}-${tenant}.csv`, reportCsv(report));
      if (request.query.format === 'pdf')
        return download(reply, 'application/pdf', `sla-${month}-${tenant}.pdf`, await reportPdf(report, platform));
      return {
        month,
        target: report.target,
        ...summaryOf(report),
        incidents: [...report.incidents],
        budget: [...report.budget],
      };
    },
  );
}
