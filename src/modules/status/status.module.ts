import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import { registerRateLimit } from '../../platform/http/rate-limit.js';
import { subscribeRoutes } from './status.subscribe-routes.js';
import { z } from 'zod';
import type { Clock } from '../../platform/clock/clock.js';
import type { Config } from '../../platform/config/config.js';
import type { PlatformTables } from '../../platform/db/schema.js';
import { defineJob } from '../../platform/jobs/queue.js';
import type { Mail } from '../../platform/mail/mail.js';
import { cachedReading, gauge, type GaugeDefinition } from '../../platform/metrics.js';
import type { LeaderLoop, ModuleWork, SteadfastModule } from '../../platform/module.js';
import { StatusPublisher, servedSite, statusTargetsOf, statusTitleOf } from './status.publish.js';
import { appError } from '../../platform/errors.js';
import { severity, type Probe } from '../../platform/probes.js';
import type { Evidence } from '../../platform/evidence.js';
import { platformProbes } from './status.platform-probes.js';
import { locationsConsoleApi, probeApi } from './status.probe-routes.js';
import { maintenanceTenantApi, statusConsoleApi } from './status.routes.js';
import { reportsConsoleApi } from './status.report-routes.js';
import type { StatusService } from './status.service.js';

/** What the status module needs of the running platform. */
export interface StatusModuleContext {
  readonly config: Pick<Config, 'home' | 'publicUrl' | 'statusTargets' | 'statusTitle' | 'baseDomain'>;
  readonly status: StatusService;
  readonly db: Kysely<PlatformTables>;
  /** The pool the rate limit counts in. */
  readonly pool: Parameters<typeof registerRateLimit>[1];
  readonly clock: Clock;
  readonly mail: Mail;
  readonly localUrl?: string | undefined;
  /** Every module's probes (this one's included) for a round. */
  readonly probes?: (() => Promise<readonly Probe[]>) | undefined;
  /** Every module's evidence for the trust page. */
  readonly evidence?: (() => Promise<readonly Evidence[]>) | undefined;
}

/** The probe round every 30 s on the leader, and the daily roll-up and pruning at 00:10 UTC. */
function statusWork(ctx: StatusModuleContext): ModuleWork {
  const upkeep = defineJob({
    type: 'status.upkeep',
    schema: z.object({}),
    timeoutSeconds: 3600,
    maxAttempts: 3,
    backoffSeconds: 300,
    handle: async () => ({ ...(await ctx.status.dailyUpkeep()) }),
  });
  return {
    jobs: [upkeep],
    schedules: [{ name: 'status.upkeep', cron: '10 0 * * *', timeZone: 'UTC', job: upkeep, payload: {} }],
    loops: [
      ...publishLoop(ctx),
      {
        name: 'status.subscribers',
        everyMs: 15_000,
        run: async () => void (await ctx.status.subscribers.sendPending()),
      },
      {
        name: 'status.probes',
        everyMs: ctx.status.intervalSeconds * 1000,
        run: async () => {
          await ctx.status.probeRound((await ctx.probes?.()) ?? []);
        },
      },
    ],
  };
}

/** With status targets configured: the page published when it changes, and every five minutes regardless. */
function publishLoop(ctx: StatusModuleContext): LeaderLoop[] {
  const targets = statusTargetsOf(ctx.config);
  if (targets.length === 0) return [];
  const log = ctx.status.log;
  const publisher = new StatusPublisher(
    () => ctx.status.pageModel(statusTitleOf(ctx.config), undefined, ctx.evidence),
    targets,
    (results) => {
      for (const result of results)
        if (!result.ok) log.warn({ target: result.target, err: result.error }, 'could not publish the status page');
    },
  );
  return [{ name: 'status.publish', everyMs: 30_000, run: async () => void (await publisher.tick()) }];
}

/** Each component's state now (0 operational to 3 major outage) and mean response time this minute. */
function statusMetrics(ctx: StatusModuleContext): GaugeDefinition[] {
  const current = cachedReading(() => ctx.status.current(), 1000);
  return [
    gauge(
      'steadfast_component_state',
      'Each component as the probes find it now: 0 operational, 1 degraded, 2 partial outage, 3 major outage.',
      async (g) => {
        for (const [component, now] of await current()) g.set({ component }, severity(now.state));
      },
      ['component'],
    ),
    gauge(
      'steadfast_component_maintenance',
      '1 while a component is under maintenance.',
      async (g) => {
        for (const [component, now] of await current()) g.set({ component }, now.maintenance ? 1 : 0);
      },
      ['component'],
    ),
    gauge(
      'steadfast_component_response_ms',
      "Each probe location's latest response time per component, in milliseconds.",
      async (g) => {
        for (const [component, now] of await current())
          for (const location of now.locations)
            if (location.responseMs !== null) g.set({ component, location: location.location }, location.responseMs);
      },
      ['component', 'location'],
    ),
  ];
}

/** Requests per minute and address to the subscription routes. */
const subscribeRequestsPerMinute = 20;

/** The files of the status site, each served by its own path. */
const siteFiles = ['index.html', 'style.css', 'feed.atom', 'feed.json', 'trust.html'];

/** Monitoring: probes of every component, uptime, incidents and maintenance (status page and alerts build on it). */
export const statusModule: SteadfastModule<StatusModuleContext> = {
  name: 'status',
  migrations: { platform: fileURLToPath(new URL('./migrations/platform', import.meta.url)) },
  consoleApi: (api, ctx) => {
    statusConsoleApi(api, ctx.status);
    locationsConsoleApi(api, ctx.status);
    reportsConsoleApi(api, ctx.status, ctx.config.baseDomain);
  },
  platformApi: (api, ctx) => probeApi(api, ctx.status),
  tenantApi: (api, ctx) => maintenanceTenantApi(api, ctx.status, ctx.clock),
  statusHost: async (app, ctx) => {
    // Subscribing sends mail: limited per address, apart from the page (which serves thousands a second).
    await subscribeRoutes(
      app,
      ctx.status.subscribers,
      () => statusTitleOf(ctx.config),
      (scope) => registerRateLimit(scope, ctx.pool, { max: subscribeRequestsPerMinute, windowMs: 60_000 }),
    );
    const site = servedSite(() => ctx.status.pageModel(statusTitleOf(ctx.config), undefined, ctx.evidence));
    const serve = async (wanted: string, reply: FastifyReply) => {
      const file = (await site()).get(wanted);
      if (!file) throw appError('ROUTE_NOT_FOUND', `The status page has ${siteFiles.join(', ')}; not ${wanted}.`);
      return reply
        .header('content-type', file.contentType)
        .header('cache-control', 'public, max-age=10')
        .send(file.body);
    };
    // Each file by its own path (a path of the workspaces' app is matched before a wildcard here).
    app.get('/', (_request, reply) => serve('index.html', reply));
    for (const name of siteFiles) app.get(`/${name}`, (_request, reply) => serve(name, reply));
    app.get('/*', (request, reply) => serve(request.url.split('?')[0]!.replace(/^\/+/, ''), reply));
  },
  probes: (ctx) =>
    platformProbes({
      db: ctx.db,
      clock: ctx.clock,
      mail: ctx.mail,
      // The web app and API as browsers reach them: the public address when one is set.
      localUrl: ctx.config.publicUrl ?? ctx.localUrl,
      home: ctx.config.home,
    }),
  work: statusWork,
  metrics: statusMetrics,
};
