import { ErrorAlert } from '../../ui/Field';
import { RefreshHead } from '../../ui/RefreshHead';
import { TableHead } from '../../ui/TableHead';
import { useList } from '../../ui/useAction';
import { ConsoleShell } from '../ConsoleShell';
import { useStaffAction } from '../session';
import { AlertChannels } from './AlertChannels';
import { AlertRules } from './AlertRules';
import { ago, exactTime } from './time';
import type { AlertNotice, AlertRule, AlertsNow, StatusComponent } from './types';
import { useResource } from './useResource';

const noticeWords: Record<AlertNotice['kind'], [word: string, tone: string]> = {
  firing: ['Firing', 'danger'],
  recovered: ['Recovered', 'ok'],
  flapping: ['Flapping', 'warn'],
  settled: ['Settled', 'quiet'],
};

/** Notices shown in the history. */
const historyLength = 50;

/** Alerts: what fires now, the rules and channels, and the notices sent lately. */
export function AlertsScreen() {
  const action = useStaffAction();
  const { data: now, load } = useResource<AlertsNow>('/console/alerts', action.run);
  const { items: rules, load: loadRules } = useList<AlertRule>('/console/alerts/rules', action.run);
  const { items: components } = useList<StatusComponent>('/console/status/components', action.run);
  const ruleNames = new Map(rules.map((rule) => [rule.id, rule.name]));
  const subjects = new Map(components.map((component) => [component.id, component.name]));
  const firing = now?.firing ?? [];

  return (
    <ConsoleShell>
      <section className="panel" aria-labelledby="firing-title">
        <RefreshHead onRefresh={load} busy={action.busy}>
          <h1 id="firing-title">Alerts</h1>
        </RefreshHead>
        <ErrorAlert error={action.error} />
        <h2 className="subhead">Firing now</h2>
        {now === undefined ? (
          <p className="muted small">Loading…</p>
        ) : firing.length === 0 ? (
          <p className="all-clear" role="status">
            <span className="state-badge state-operational">
              <span className="state-mark" aria-hidden="true" />
              Nothing is firing
            </span>
          </p>
        ) : (
          <ul className="firing-list">
            {firing.map((alert) => (
              <li key={`${alert.ruleId}:${alert.subject}`} className="firing">
                <div className="incident-head">
                  <strong>{ruleNames.get(alert.ruleId) ?? alert.ruleId}</strong>
                  <span className="badge danger">Firing</span>
                  {alert.flapping && <span className="badge warn">Flapping</span>}
                </div>
                <div>{alert.message}</div>
                <div className="muted small">
                  {subjects.get(alert.subject) ?? alert.subject} · since {exactTime(alert.since)} ({ago(alert.since)})
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      <AlertRules rules={rules} load={loadRules} />
      <AlertChannels />
      <section className="panel" aria-labelledby="history-title">
        <h2 id="history-title">Recent notices</h2>
        {!now || now.notices.length === 0 ? (
          <p className="muted small">No alert has fired or recovered yet.</p>
        ) : (
          <table className="table stack">
            <TableHead columns={['When', 'What', 'Rule', 'Message']} />
            <tbody>
              {now.notices.slice(0, historyLength).map((notice) => {
                const [word, tone] = noticeWords[notice.kind];
                return (
                  <tr key={notice.id}>
                    <td className="nowrap">{exactTime(notice.at)}</td>
                    <td>
                      <span className={`badge ${tone}`}>{word}</span>
                    </td>
                    <td>
                      {ruleNames.get(notice.ruleId) ?? notice.ruleId}
                      <div className="muted small">{subjects.get(notice.subject) ?? notice.subject}</div>
                    </td>
                    <td>{notice.message}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </ConsoleShell>
  );
}
