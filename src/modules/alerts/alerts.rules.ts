import type { Selectable } from 'kysely';
import type { ComponentState } from '../../platform/probes.js';
import type { ObservedComponent } from '../status/index.js';
import type { AlertRulesTable } from './alerts.tables.js';

export type Rule = Selectable<AlertRulesTable>;

/** A component as the rules see it after a probe round (the status module's view of it now). */
export type Observed = ObservedComponent;

/** One rule's verdict on one subject in this round. */
export interface Signal {
  readonly ruleId: string;
  readonly subject: string;
  readonly bad: boolean;
  readonly value: number | undefined;
  /** What a person reads in the alert. */
  readonly message: string;
}

const stateWords: Record<ComponentState, string> = {
  operational: 'operational',
  degraded: 'degraded',
  partial_outage: 'in partial outage',
  major_outage: 'down (major outage)',
};

/**
 * Every enabled rule's verdict on every component it reads: `state` rules on each component's
 * state (a planned maintenance window holds them back), `figure` rules on each component
 * reporting the figure.
 */
export function evaluate(rules: readonly Rule[], components: readonly Observed[]): Signal[] {
  const signals: Signal[] = [];
  for (const rule of rules.filter((r) => r.enabled))
    for (const component of components) {
      const said = component.messages.length > 0 ? `: ${component.messages.join('; ')}` : '';
      if (rule.kind === 'state') {
        const down = component.state === 'partial_outage' || component.state === 'major_outage';
        signals.push({
          ruleId: rule.id,
          subject: component.id,
          bad: down && !component.maintenance,
          value: undefined,
          message: `${component.name} is ${stateWords[component.state]}${component.maintenance ? ' (under maintenance)' : ''}${said}`,
        });
        continue;
      }
      const value = rule.figure ? component.figures[rule.figure] : undefined;
      if (value === undefined || rule.threshold === null) continue;
      const bad = rule.op === '<' ? value < rule.threshold : value > rule.threshold;
      signals.push({
        ruleId: rule.id,
        subject: component.id,
        bad,
        value,
        message: `${component.name}: ${rule.figure} is ${round(value)} (the rule: ${rule.op} ${rule.threshold})${said}`,
      });
    }
  return signals;
}

const round = (value: number) => Math.round(value * 1000) / 1000;
