/** Alerts: rules over what the probes find, sent by email and signed webhooks, without storms. */
export { AlertsService, type AlertsServiceDeps, type Channel, type SentNotice } from './alerts.service.js';
export { alertsModule, type AlertsModuleContext } from './alerts.module.js';
export { verifySignature, signatureHeaders, type AlertPayload } from './alerts.notify.js';
export { draftIncidents, alertsAuthor } from './alerts.drafts.js';
