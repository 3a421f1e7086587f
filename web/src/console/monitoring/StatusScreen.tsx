import { ErrorAlert } from '../../ui/Field';
import { RefreshHead } from '../../ui/RefreshHead';
import { ConsoleShell } from '../ConsoleShell';
import { useStaffAction } from '../session';
import { AddCheck } from './AddCheck';
import { ComponentsTable } from './ComponentsTable';
import { ProbeLocations } from './ProbeLocations';
import { shownState, StateBadge, type ShownState } from './states';
import type { StatusComponent } from './types';
import { useResource } from './useResource';

/** The headline over the components, as a status page puts it: the worst of them, in words. */
function overall(components: StatusComponent[]): { state: ShownState; words: string } {
  const troubled = components.filter((component) => shownState(component) !== 'operational');
  if (troubled.length === 0) return { state: 'operational', words: 'All components operational' };
  const order: ShownState[] = ['major_outage', 'partial_outage', 'degraded', 'maintenance'];
  const worst = order.find((state) => troubled.some((component) => shownState(component) === state))!;
  const count = troubled.length === 1 ? '1 component needs attention' : `${troubled.length} components need attention`;
  return { state: worst, words: count };
}

/** Every component the platform probes or an operator checks, its state now, the checks, and the probe locations. */
export function StatusScreen() {
  const action = useStaffAction();
  const { data: components, load } = useResource<StatusComponent[]>('/console/status/components', action.run);
  const headline = components && components.length > 0 ? overall(components) : undefined;

  return (
    <ConsoleShell>
      <section className="panel" aria-labelledby="status-title">
        <RefreshHead onRefresh={load} busy={action.busy}>
          <h1 id="status-title">Status</h1>
        </RefreshHead>
        {headline && (
          <p className={`status-headline headline-${headline.state}`} role="status">
            <StateBadge state={headline.state} />
            <span>{headline.words}</span>
          </p>
        )}
        <ErrorAlert error={action.error} />
        {components === undefined ? (
          <p className="muted small">Loading components…</p>
        ) : components.length === 0 ? (
          <p className="muted small">
            No components yet: the platform puts its own on record after its first probe round.
          </p>
        ) : (
          <ComponentsTable components={components} load={load} />
        )}
      </section>
      <AddCheck onAdded={load} />
      <ProbeLocations />
    </ConsoleShell>
  );
}
