import type { StatusService } from '../status/index.js';
import type { SentNotice } from './alerts.service.js';

/** Who the audit log and the incident name for what alerts do on their own. */
export const alertsAuthor = 'system:alerts';

/**
 * A component that went down opens a draft incident (one per alert while it is open), which a
 * member of staff confirms to publish it on the status page or throws away; a draft whose
 * component recovered before anyone looked at it says so in an update.
 */
export function draftIncidents(status: StatusService): (notice: SentNotice) => Promise<void> {
  return async (notice) => {
    if (notice.ruleId !== 'component_down') return;
    const alertKey = `${notice.ruleId}:${notice.subject}`;
    const draft = await status.incidents.draftFor(alertKey);
    if (notice.kind === 'firing' && !draft) {
      await status.incidents.open(
        {
          title: notice.message.split(':')[0]!,
          message: `Opened by an alert, not yet confirmed: ${notice.message}`,
          components: { [notice.subject]: 'major_outage' },
          startedAt: notice.at,
          draft: true,
          alertKey,
        },
        alertsAuthor,
      );
    } else if (notice.kind === 'recovered' && draft?.draft) {
      await status.incidents.update(
        draft.id,
        { state: 'monitoring', message: `The alert recovered at ${notice.at.toISOString()}: ${notice.message}` },
        alertsAuthor,
      );
    }
  };
}
