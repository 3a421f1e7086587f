import { useState } from 'react';
import { api } from '../../api';
import { ActionButton } from '../../ui/ActionButton';
import { ErrorAlert, Notice } from '../../ui/Field';
import { useList } from '../../ui/useAction';
import { ConsoleShell } from '../ConsoleShell';
import type { Workspace } from '../RequestAccess';
import { useStaffAction } from '../session';
import { ScheduleMaintenance } from './ScheduleMaintenance';
import { authorName } from './states';
import { dateTime, span, timeZoneLabel } from './time';
import type { MaintenanceWindow, StatusComponent } from './types';

type Phase = 'scheduled' | 'under way' | 'completed' | 'cancelled';

const phaseOf = (window: MaintenanceWindow, now: number): Phase => {
  if (window.cancelledAt) return 'cancelled';
  if (new Date(window.endsAt).getTime() <= now) return 'completed';
  return new Date(window.startsAt).getTime() <= now ? 'under way' : 'scheduled';
};

const phaseTones: Record<Phase, string> = {
  scheduled: 'info',
  'under way': 'warn',
  completed: 'quiet',
  cancelled: 'quiet',
};

/** One window: when, what and where, short notice with its reason, and what can be done with it now. */
function WindowCard({
  window,
  names,
  now,
  act,
}: {
  window: MaintenanceWindow;
  names: ReadonlyMap<string, string>;
  now: number;
  act(window: MaintenanceWindow, how: 'cancel' | 'end'): void;
}) {
  const phase = phaseOf(window, now);
  return (
    <article className="window-card" aria-label={window.title}>
      <div className="incident-head">
        <h3>{window.title}</h3>
        <span className={`badge ${phaseTones[phase]}`}>{phase[0]!.toUpperCase() + phase.slice(1)}</span>
        {window.shortNotice && <span className="badge danger">Short notice</span>}
      </div>
      <p className="window-when">{span(window.startsAt, window.endsAt)}</p>
      {window.description && <p className="prose">{window.description}</p>}
      {window.shortNotice && (
        <p className="short-notice-reason">
          <strong>Reason for short notice:</strong> {window.reason ?? '—'}
        </p>
      )}
      <p className="muted small">
        {window.components.map((id) => names.get(id) ?? id).join(', ')} ·{' '}
        {window.tenants ? `Workspaces: ${window.tenants.join(', ')}` : 'Whole platform'} · Scheduled{' '}
        {dateTime(window.announcedAt)} by {authorName(window.scheduledBy)}
        {window.cancelledAt ? ` · Cancelled ${dateTime(window.cancelledAt)}` : ''}
      </p>
      {(phase === 'scheduled' || phase === 'under way') && (
        <div className="row">
          {phase === 'scheduled' ? (
            <ActionButton tone="danger" small about={window.title} onClick={() => act(window, 'cancel')}>
              Cancel window
            </ActionButton>
          ) : (
            <ActionButton tone="secondary" small about={window.title} onClick={() => act(window, 'end')}>
              End now
            </ActionButton>
          )}
        </div>
      )}
    </article>
  );
}

/** Maintenance windows under way and ahead, those of the last 90 days (cancelled ones drop out), and the form to schedule one. */
export function MaintenanceScreen() {
  const action = useStaffAction();
  const { items: windows, load } = useList<MaintenanceWindow>('/console/status/maintenance', action.run);
  const { items: components } = useList<StatusComponent>('/console/status/components', action.run);
  const { items: workspaces } = useList<Workspace>('/console/tenants', action.run);
  const [notice, setNotice] = useState<string | undefined>();
  const names = new Map(components.map((component) => [component.id, component.name]));
  const now = Date.now();
  const current = windows
    .filter((window) => ['scheduled', 'under way'].includes(phaseOf(window, now)))
    .sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  const past = windows
    .filter((window) => !current.includes(window))
    .sort((a, b) => b.startsAt.localeCompare(a.startsAt));

  const act = (window: MaintenanceWindow, how: 'cancel' | 'end') => {
    const question = how === 'cancel' ? `Cancel “${window.title}”?` : `End “${window.title}” now?`;
    if (!globalThis.confirm(question)) return;
    setNotice(undefined);
    void action.run(async () => {
      await api('POST', `/console/status/maintenance/${window.id}/${how}`);
      setNotice(how === 'cancel' ? `Cancelled “${window.title}”.` : `Ended “${window.title}”.`);
      await load();
    });
  };

  return (
    <ConsoleShell>
      <div className="page-head">
        <h1>Maintenance</h1>
        <span className="muted small">Times in {timeZoneLabel()}</span>
      </div>
      {notice && <Notice>{notice}</Notice>}
      <ErrorAlert error={action.error} />
      <section className="panel" aria-labelledby="upcoming-title">
        <h2 id="upcoming-title">Under way and ahead</h2>
        {current.length === 0 ? (
          <p className="muted small">Nothing scheduled.</p>
        ) : (
          <div className="incident-list">
            {current.map((window) => (
              <WindowCard key={window.id} window={window} names={names} now={now} act={act} />
            ))}
          </div>
        )}
      </section>
      <ScheduleMaintenance
        components={components}
        workspaces={[...workspaces].sort((a, b) => a.name.localeCompare(b.name))}
        onScheduled={async () => {
          setNotice('Scheduled the window.');
          await load();
        }}
      />
      <section className="panel" aria-labelledby="past-title">
        <h2 id="past-title">Past (90 days)</h2>
        {past.length === 0 ? (
          <p className="muted small">None in the last 90 days.</p>
        ) : (
          <div className="incident-list">
            {past.map((window) => (
              <WindowCard key={window.id} window={window} names={names} now={now} act={act} />
            ))}
          </div>
        )}
      </section>
    </ConsoleShell>
  );
}
