import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import type { PlatformTables } from '../../platform/db/schema.js';
import type { Mail } from '../../platform/mail/mail.js';
import { timed, type Probe, type ProbeOutcome } from '../../platform/probes.js';
import { diskUsage } from '../../platform/storage/disk.js';
import { probeGet, slowResponseMs } from './status.checks.js';

/** The disk holding the platform's home is degraded past this share used (the alert's default too). */
export const diskWarnRatio = 0.85;
/** Mail waiting longer than this for delivery degrades email. */
export const mailBacklogWarnSeconds = 600;
/** The database answering slower than this is degraded. */
const slowDatabaseMs = 1000;

/** The web app and the API: probed by the platform where it serves, and by every remote runner at its public address. */
export const webComponent = { id: 'web', name: 'Web app', description: 'The workspace app in the browser' };
export const apiComponent = { id: 'api', name: 'API', description: 'The REST API under /api/v1, ready to serve' };

export interface PlatformProbeDeps {
  readonly db: Kysely<PlatformTables>;
  readonly clock: Clock;
  readonly mail: Pick<Mail, 'delivers' | 'verify' | 'backlog'>;
  /** Where this process serves HTTP (`http://127.0.0.1:<port>`), when it does. */
  readonly localUrl?: string | undefined;
  /** The platform's home directory (its disk is watched). */
  readonly home: string;
}

/**
 * The components every workspace depends on that no other module owns: the web app and the API
 * (this process's own listener, as a browser reaches it), the database primary, email delivery,
 * and the disk the platform lives on.
 */
export function platformProbes(deps: PlatformProbeDeps): Probe[] {
  const probes: Probe[] = [
    {
      component: {
        id: 'database',
        name: 'Database',
        description: 'The PostgreSQL primary every workspace is stored in',
      },
      check: async () => {
        const { ms } = await timed(() => sql`SELECT 1`.execute(deps.db));
        return {
          state: ms > slowDatabaseMs ? 'degraded' : 'operational',
          responseMs: ms,
          message: `answered in ${ms} ms`,
        };
      },
    },
    {
      component: { id: 'email', name: 'Email', description: 'Invitations, password resets and notifications' },
      check: () => emailOutcome(deps),
    },
    {
      component: { id: 'disk', name: 'Disk', description: 'The storage the database and its WAL live on' },
      check: async () => {
        const usage = await diskUsage(deps.home);
        const percent = Math.round(usage.usedRatio * 1000) / 10;
        return {
          state:
            usage.usedRatio >= 0.98 ? 'major_outage' : usage.usedRatio > diskWarnRatio ? 'degraded' : 'operational',
          message: `${percent} % used, ${(usage.availableBytes / 2 ** 30).toFixed(1)} GiB free`,
          figures: { disk_used_ratio: usage.usedRatio, disk_free_bytes: usage.availableBytes },
        };
      },
    },
  ];
  if (deps.localUrl) {
    const base = deps.localUrl;
    probes.unshift(
      {
        component: webComponent,
        check: (signal) => answered(`${base}/healthz`, signal),
      },
      {
        component: apiComponent,
        check: (signal) => answered(`${base}/readyz`, signal),
      },
    );
  }
  return probes;
}

async function answered(url: string, signal: AbortSignal): Promise<ProbeOutcome> {
  const { value, ms } = await timed(() => probeGet(url, signal, { insecure: true }));
  if (value.status >= 500)
    return { state: 'major_outage', responseMs: ms, message: `HTTP ${value.status} in ${ms} ms` };
  return {
    state: value.status >= 400 || ms > slowResponseMs ? 'degraded' : 'operational',
    responseMs: ms,
    message: `HTTP ${value.status} in ${ms} ms`,
  };
}

async function emailOutcome(deps: PlatformProbeDeps): Promise<ProbeOutcome> {
  const backlog = await deps.mail.backlog();
  const waitedSeconds = backlog.oldestQueuedAt
    ? Math.max(0, Math.round((deps.clock.now().getTime() - backlog.oldestQueuedAt.getTime()) / 1000))
    : 0;
  const figures = { mail_queued: backlog.queued, mail_oldest_queued_seconds: waitedSeconds };
  if (!deps.mail.delivers)
    return { state: 'operational', figures, message: 'kept in the outbox: no SMTP server is configured' };
  const { ms } = await timed(() => deps.mail.verify());
  if (waitedSeconds > mailBacklogWarnSeconds)
    return {
      state: 'degraded',
      responseMs: ms,
      figures,
      message: `${backlog.queued} messages waiting, the oldest for ${Math.round(waitedSeconds / 60)} min; the SMTP server answered in ${ms} ms`,
    };
  return { state: 'operational', responseMs: ms, figures, message: `the SMTP server answered in ${ms} ms` };
}
