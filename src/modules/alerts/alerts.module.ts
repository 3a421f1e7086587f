import { fileURLToPath } from 'node:url';
import { gauge, type GaugeDefinition } from '../../platform/metrics.js';
import type { ModuleWork, SteadfastModule } from '../../platform/module.js';
import type { StatusService } from '../status/index.js';
import { alertsConsoleApi } from './alerts.routes.js';
import type { AlertsService } from './alerts.service.js';

/** What alerting needs of the running platform. */
export interface AlertsModuleContext {
  readonly alerts: AlertsService;
  readonly status: StatusService;
}

/**
 * The webhook delivery job for every worker; and on the leader, each probe round judged as it
 * ends (the status module's round calls back).
 */
function alertsWork({ alerts, status }: AlertsModuleContext): ModuleWork {
  status.onRound((components) => alerts.evaluateRound(components));
  return { jobs: [alerts.webhookJob] };
}

function alertsMetrics({ alerts }: AlertsModuleContext): GaugeDefinition[] {
  return [
    gauge(
      'steadfast_alert_firing',
      '1 for each alert firing now, by rule and subject.',
      async (g) => {
        for (const alert of await alerts.firing()) g.set({ rule: alert.ruleId, subject: alert.subject }, 1);
      },
      ['rule', 'subject'],
    ),
  ];
}

/** Alerting: rules over the probes' findings, email and signed webhooks, managed in the console. */
export const alertsModule: SteadfastModule<AlertsModuleContext> = {
  name: 'alerts',
  migrations: { platform: fileURLToPath(new URL('./migrations/platform', import.meta.url)) },
  consoleApi: (api, ctx) => alertsConsoleApi(api, ctx.alerts),
  work: alertsWork,
  metrics: alertsMetrics,
};
