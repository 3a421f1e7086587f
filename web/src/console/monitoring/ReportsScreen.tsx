import { Link, Navigate, useNavigate, useParams } from 'react-router';
import { ErrorAlert } from '../../ui/Field';
import { TableHead } from '../../ui/TableHead';
import { ConsoleShell } from '../ConsoleShell';
import { useStaffAction } from '../session';
import { MonthPicker } from './MonthPicker';
import { isMonth, lastFullMonth, monthName, percent, reportUrl, targetText } from './months';
import { minutesText } from './time';
import type { MonthReport, TenantReport } from './types';
import { useResource } from './useResource';

/** Met, Missed or No data, in words and a tone. */
export function MetBadge({ met }: { met: boolean | null }) {
  if (met === null) return <span className="badge quiet">No data</span>;
  return met ? <span className="badge ok">Met</span> : <span className="badge danger">Missed</span>;
}

/**
 * A report as downloads (the session's cookie carries the GET): CSV, and PDF for one workspace's
 * report (the one a customer is sent).
 */
export function Downloads({ month, tenant, label }: { month: string; tenant?: string; label: string }) {
  return (
    <div className="row small downloads">
      <a className="button secondary" href={reportUrl(month, tenant, 'csv')} download>
        Download CSV<span className="visually-hidden"> of {label}</span>
      </a>
      {tenant && (
        <a className="button secondary" href={reportUrl(month, tenant, 'pdf')} download>
          Download PDF<span className="visually-hidden"> of {label}</span>
        </a>
      )}
    </div>
  );
}

/** A report's state: issued once the month is over, provisional while it runs. */
export function Issued({ issuedAt }: { issuedAt: string | null | undefined }) {
  if (issuedAt === undefined) return null;
  return issuedAt ? (
    <span className="muted small">Issued {new Date(issuedAt).toLocaleDateString()}</span>
  ) : (
    <span className="badge warn">Provisional</span>
  );
}

function TenantRow({ month, line }: { month: string; line: TenantReport }) {
  return (
    <tr>
      <td>
        <Link to={`/reports/${month}/${encodeURIComponent(line.tenant)}`}>{line.name}</Link>
        <div className="muted small">{line.tenant}</div>
      </td>
      <td className="num">{percent(line.availability)}</td>
      <td className="num">{minutesText(line.downtimeMinutes)}</td>
      <td className="num">{minutesText(line.maintenanceMinutes)}</td>
      <td className="num">{line.noDataMinutes > 0 ? minutesText(line.noDataMinutes) : '—'}</td>
      <td className="num">{line.incidents ?? line.incidentCount ?? 0}</td>
      <td>
        <MetBadge met={line.met} /> <Issued issuedAt={line.issuedAt} />
      </td>
    </tr>
  );
}

/** `/reports/:month`; without a month (or a malformed one), the last full month's. */
export function ReportsScreen() {
  const { month } = useParams();
  if (!isMonth(month)) return <Navigate to={`/reports/${lastFullMonth()}`} replace />;
  return <MonthReportScreen month={month} />;
}

/** A month's SLA report: every workspace's availability against the target, each opening its detail. */
function MonthReportScreen({ month }: { month: string }) {
  const navigate = useNavigate();
  const action = useStaffAction();
  const { data: report } = useResource<MonthReport>(`/console/status/reports/${month}`, action.run);
  const shown = report?.month === month ? report : undefined;
  const missed = shown?.tenants.filter((line) => line.met === false).length ?? 0;

  return (
    <ConsoleShell>
      <section className="panel" aria-labelledby="reports-title">
        <h1 id="reports-title">SLA report: {monthName(month)}</h1>
        <p className="muted small">
          Availability of each workspace’s service (web app, API, database) in the calendar month, UTC. Maintenance
          announced 24 hours ahead is left out; short-notice maintenance counts as downtime.
        </p>
        <MonthPicker month={month} onChange={(next) => navigate(`/reports/${next}`)} />
        <ErrorAlert error={action.error} />
        {!shown ? (
          !action.error && <p className="muted small">Loading the report…</p>
        ) : (
          <>
            <div className="report-summary">
              <span>
                Target <strong>{targetText(shown.target)}</strong>
              </span>
              <span>
                {shown.tenants.length} workspaces, <strong>{missed}</strong> missed
              </span>
              <Downloads month={month} label={`the ${monthName(month)} report`} />
            </div>
            {shown.tenants.length === 0 ? (
              <p className="muted small">No workspaces in this month.</p>
            ) : (
              <div className="table-scroll">
                <table className="table report-table">
                  <TableHead
                    columns={['Workspace', 'Availability', 'Downtime', 'Maintenance', 'No data', 'Incidents', 'SLA']}
                  />
                  <tbody>
                    {shown.tenants.map((line) => (
                      <TenantRow key={line.tenant} month={month} line={line} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </section>
    </ConsoleShell>
  );
}
