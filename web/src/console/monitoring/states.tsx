import type { ComponentState, IncidentState, StatusComponent } from './types';

/** What a component shows as: its measured state, or maintenance while a window covers it. */
export type ShownState = ComponentState | 'maintenance';

/** The status page's words for each state. */
export const stateWords: Record<ShownState, string> = {
  operational: 'Operational',
  degraded: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  maintenance: 'Under maintenance',
};

/** The impacts an incident may declare on a component, mildest first. */
export const impacts: ReadonlyArray<Exclude<ComponentState, 'operational'>> = [
  'degraded',
  'partial_outage',
  'major_outage',
];

export const incidentStateWords: Record<IncidentState, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};

export const shownState = (component: StatusComponent): ShownState =>
  component.maintenance ? 'maintenance' : component.state;

/** A state in words beside a coloured mark (the words carry the meaning; the colour is for a glance). */
export function StateBadge({ state }: { state: ShownState }) {
  return (
    <span className={`state-badge state-${state}`}>
      <span className="state-mark" aria-hidden="true" />
      {stateWords[state]}
    </span>
  );
}

const incidentTones: Record<IncidentState, string> = {
  investigating: 'danger',
  identified: 'warn',
  monitoring: 'info',
  resolved: 'ok',
};

export function IncidentStateBadge({ state }: { state: IncidentState }) {
  return <span className={`badge ${incidentTones[state]}`}>{incidentStateWords[state]}</span>;
}

/** `staff:ada@example.com` or `system:alerts` as a person reads it. */
export const authorName = (author: string) =>
  author === 'system:alerts' ? 'an alert' : author.replace(/^(user|staff|operator):/, '');
