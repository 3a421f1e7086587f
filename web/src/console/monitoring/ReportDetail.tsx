import { Link, Navigate, useParams } from 'react-router';
import { ErrorAlert } from '../../ui/Field';
import { TableHead } from '../../ui/TableHead';
import { ConsoleShell } from '../ConsoleShell';
import { useStaffAction } from '../session';
import { isMonth, monthName, percent, targetText } from './months';
import { Downloads, Issued, MetBadge } from './ReportsScreen';
import { stateWords, type ShownState } from './states';
import { dateTime, minutesText } from './time';
import type { TenantMonthReport } from './types';
import { useResource } from './useResource';

/** An incident's impact in words when it is a state the status page names, else as given. */
const impactWords = (impact: string) => stateWords[impact as ShownState] ?? impact;

/** `/reports/:month/:tenant`. */
export function ReportDetail() {
  const { month, tenant } = useParams();
  if (!isMonth(month) || !tenant) return <Navigate to="/reports" replace />;
  return <TenantReportScreen month={month} tenant={tenant} />;
}

/** One workspace's month: availability against the target, the downtime budget at each target, and its incidents. */
function TenantReportScreen({ month, tenant }: { month: string; tenant: string }) {
  const action = useStaffAction();
  const { data } = useResource<TenantMonthReport>(
    `/console/status/reports/${month}/${encodeURIComponent(tenant)}`,
    action.run,
  );
  const report = data?.month === month && data.tenant === tenant ? data : undefined;
  const met = report && report.availability !== null ? report.availability >= report.target : null;

  return (
    <ConsoleShell>
      <nav className="crumbs small" aria-label="Breadcrumb">
        <Link to={`/reports/${month}`}>SLA report, {monthName(month)}</Link>
        <span aria-hidden="true">/</span>
        <span aria-current="page">{report?.name ?? tenant}</span>
      </nav>
      <section className="panel" aria-labelledby="report-title">
        <div className="page-head">
          <h1 id="report-title">
            {report?.name ?? tenant}: {monthName(month)}
          </h1>
          {report && <Issued issuedAt={report.issuedAt} />}
        </div>
        <ErrorAlert error={action.error} />
        {!report ? (
          !action.error && <p className="muted small">Loading the report…</p>
        ) : (
          <>
            <dl className="figures">
              <div>
                <dt>Availability</dt>
                <dd>
                  {percent(report.availability)} <MetBadge met={met} />
                </dd>
              </div>
              <div>
                <dt>Target</dt>
                <dd>{targetText(report.target)}</dd>
              </div>
              <div>
                <dt>Downtime</dt>
                <dd>{minutesText(report.downtimeMinutes)}</dd>
              </div>
              <div>
                <dt>Maintenance (announced)</dt>
                <dd>{minutesText(report.maintenanceMinutes)}</dd>
              </div>
              {report.shortNoticeMaintenanceMinutes !== undefined && (
                <div>
                  <dt>Short-notice maintenance</dt>
                  <dd>{minutesText(report.shortNoticeMaintenanceMinutes)}</dd>
                </div>
              )}
              <div>
                <dt>No data</dt>
                <dd>{minutesText(report.noDataMinutes)}</dd>
              </div>
              <div>
                <dt>Minutes in the month</dt>
                <dd>{report.minutes.toLocaleString()}</dd>
              </div>
            </dl>
            <Downloads month={month} tenant={tenant} label={`${report.name}’s ${monthName(month)} report`} />
          </>
        )}
      </section>
      {report && (
        <>
          <section className="panel" aria-labelledby="budget-title">
            <h2 id="budget-title">Downtime budget</h2>
            <div className="table-scroll">
              <table className="table report-table">
                <TableHead columns={['Target', 'Allowed', 'Used', 'Remaining', 'Result']} />
                <tbody>
                  {report.budget.map((line) => (
                    <tr key={line.target}>
                      <td>{targetText(line.target)}</td>
                      <td className="num">{minutesText(line.allowedMinutes)}</td>
                      <td className="num">{minutesText(line.usedMinutes)}</td>
                      <td className="num">
                        {line.remainingMinutes < 0
                          ? `over by ${minutesText(-line.remainingMinutes)}`
                          : minutesText(line.remainingMinutes)}
                      </td>
                      <td>
                        <MetBadge met={line.met} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <section className="panel" aria-labelledby="report-incidents-title">
            <h2 id="report-incidents-title">Incidents</h2>
            {report.incidents.length === 0 ? (
              <p className="muted small">No incidents touched this workspace in {monthName(month)}.</p>
            ) : (
              <table className="table stack">
                <TableHead columns={['Incident', 'Impact', 'Began', 'Resolved']} />
                <tbody>
                  {report.incidents.map((incident) => (
                    <tr key={incident.id}>
                      <td>{incident.title}</td>
                      <td>{impactWords(incident.impact)}</td>
                      <td className="nowrap">{dateTime(incident.startedAt)}</td>
                      <td className="nowrap">{incident.resolvedAt ? dateTime(incident.resolvedAt) : 'Not yet'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </ConsoleShell>
  );
}
