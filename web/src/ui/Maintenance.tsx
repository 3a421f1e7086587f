import { useEffect, useState } from 'react';
import { api } from '../api';

/** A maintenance window as the workspace's API gives it. */
export interface MaintenanceWindow {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly underWay: boolean;
  readonly shortNotice: boolean;
  readonly reason: string | null;
}

/** Windows under way or ahead for this workspace, read again every five minutes; none when it cannot say. */
export function useMaintenance(): MaintenanceWindow[] {
  const [windows, setWindows] = useState<MaintenanceWindow[]>([]);
  useEffect(() => {
    let live = true;
    const read = () =>
      api<MaintenanceWindow[]>('GET', '/maintenance')
        .then((found) => live && setWindows(found))
        .catch(() => undefined);
    void read();
    const timer = setInterval(read, 5 * 60_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  return windows;
}

const when = (iso: string) =>
  new Date(iso).toLocaleString([], {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  });

/** "Tue, Jul 3, 1:00 AM to 2:00 AM": the end's date only when it is another day. */
export function span(window: MaintenanceWindow): string {
  const start = new Date(window.startsAt);
  const end = new Date(window.endsAt);
  const sameDay = start.toDateString() === end.toDateString();
  const endText = sameDay ? end.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' }) : when(window.endsAt);
  return `${when(window.startsAt)} to ${endText}`;
}

/** On the sign-in page: every window under way or ahead, with its notice when it came late. */
export function MaintenanceNotices() {
  const windows = useMaintenance();
  if (windows.length === 0) return null;
  return (
    <section className="maintenance-notices" aria-label="Scheduled maintenance">
      {windows.map((window) => (
        <div key={window.id} className="alert warn maintenance-notice" role="status">
          <strong>
            {window.underWay ? 'Maintenance under way' : 'Scheduled maintenance'}: {window.title}
          </strong>
          <span>{span(window)}</span>
          {window.description && <span className="muted">{window.description}</span>}
          {window.shortNotice && window.reason && (
            <span className="muted">Announced at short notice: {window.reason}</span>
          )}
        </div>
      ))}
    </section>
  );
}

/** Inside the app: a band while a window is under way. */
export function MaintenanceBanner() {
  const under = useMaintenance().filter((window) => window.underWay);
  if (under.length === 0) return null;
  return (
    <div className="maintenance-banner" role="status">
      {under.map((window) => (
        <div key={window.id}>
          <strong>Maintenance under way</strong> — {window.title}, until{' '}
          {new Date(window.endsAt).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' })}
        </div>
      ))}
    </div>
  );
}
