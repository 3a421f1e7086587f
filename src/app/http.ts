import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type http from 'node:http';
import https from 'node:https';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { registerTenantContext, requireTenant } from '../modules/tenancy/index.js';
import { apiPrefix, registerApiDescription } from '../platform/http/api.js';
import { registerAuthentication, registerGuards, type Authenticator } from '../platform/http/auth.js';
import { registerResponseHeaders } from '../platform/http/headers.js';
import { registerHealthRoutes, type ReadinessCheck } from '../platform/http/health.js';
import { registerProblemHandler } from '../platform/http/problem.js';
import { registerRateLimit } from '../platform/http/rate-limit.js';
import { registerDatabaseRetry } from '../platform/http/retry.js';
import type { SteadfastModule } from '../platform/module.js';
import type { ModuleContext } from './deps.js';
import type { Evidence } from '../platform/evidence.js';
import { migrations, modules as allModules } from './modules.js';
import { registerWebApp } from './web.js';
import { version } from '../platform/version.js';
import type { WebTls } from '../platform/crypto/web-tls.js';

type Modules = readonly SteadfastModule<ModuleContext>[];

/** Every module's evidence for the trust page, gathered when asked. */
export function evidenceOf(context: ModuleContext, modules: Modules = allModules): () => Promise<Evidence[]> {
  return async () => (await Promise.all(modules.map((module) => module.evidence?.(context) ?? []))).flat();
}

/**
 * Builds the tenant-facing HTTP server (not listening): plugins, health, then the modules'
 * routes in two scopes. The tenant scope (every host `<slug>.<base domain>`) resolves the
 * tenant, then who is asking (`request.actor`), then runs the modules' pages and, under
 * `/api/v1`, their API; the platform scope holds the platform host's own routes, and the console
 * scope the staff console's (`console.<base domain>`).
 */
export async function buildHttp(
  context: ModuleContext,
  modules: Modules = allModules,
  options: { tls?: WebTls | undefined } = {},
): Promise<FastifyInstance> {
  const { log, config } = context;
  const { tls } = options;
  const app = Fastify({
    // Over TLS the same app runs on an HTTPS server (TLS 1.2 at least); request.protocol is then https.
    ...(tls
      ? {
          serverFactory: (handler: http.RequestListener) =>
            https.createServer({ cert: tls.certificate, key: tls.privateKey, minVersion: 'TLSv1.2' }, handler),
        }
      : {}),
    loggerInstance: log.child({ component: 'http' }) as FastifyBaseLogger,
    // One log line per request only when debugging; errors are logged by the problem handler.
    logController: new LogController({ disableRequestLogging: log.level !== 'debug' && log.level !== 'trace' }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: 1024 * 1024,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // X-Forwarded-For/-Proto are believed only from the configured proxies; otherwise the socket's address is the client.
    ...(config.trustedProxies.length > 0 ? { trustProxy: [...config.trustedProxies] } : {}),
  });
  registerProblemHandler(app);
  registerResponseHeaders(app, { tls: Boolean(tls) });
  // Cookies are parsed for every route (a session is one); none is signed by the plugin: a session token is its own proof.
  await app.register(fastifyCookie);
  // Before any route: each is wrapped to ride out a failover.
  registerDatabaseRetry(app, config.databaseRetrySeconds);
  await registerApiDescription(app, version);
  registerHealthRoutes(app, readinessChecks(context, await migrations.platform.latest()), version);
  // One set of authenticators serves both scopes: each module's are made once.
  const authenticators = modules.flatMap((module) => module.authenticators?.(context) ?? []);
  await app.register((scope) => tenantScope(scope, context, modules, authenticators));
  await app.register((scope) => platformScope(scope, context, modules, authenticators));
  await app.register((scope) => consoleScope(scope, context, modules));
  await app.register(async (scope) => {
    bindToHost(scope, `status.${context.config.baseDomain}`);
    // The trust page shows every module's evidence; a context made without the gatherer (tests) gets it here.
    const withEvidence: ModuleContext = context.evidence
      ? context
      : { ...context, evidence: evidenceOf(context, modules) };
    for (const module of modules) await module.statusHost?.(scope, withEvidence);
  });
  return app;
}

/**
 * What the HTTP port answers when TLS is on: every request is sent to the same host and path on
 * the HTTPS port (308 keeps the method and body), so no page or API call is served in clear.
 */
export function buildHttpsRedirect(httpsPort: number): FastifyInstance {
  const app = Fastify({ logger: false });
  app.all('*', async (request, reply) => {
    const hostname = (request.headers.host ?? 'localhost').replace(/:\d+$/, '');
    const port = httpsPort === 443 ? '' : `:${httpsPort}`;
    return reply.redirect(`https://${hostname}${port}${request.url}`, 308);
  });
  return app;
}

/** Tenant context -> guards (IP allow-list) -> per-address rate limit -> authentication -> the modules' pages, and their API under /api/v1. */
async function tenantScope(
  scope: FastifyInstance,
  context: ModuleContext,
  modules: Modules,
  authenticators: readonly Authenticator[],
): Promise<void> {
  registerTenantContext(scope, context.tenancy, context.config.baseDomain);
  registerGuards(
    scope,
    modules.flatMap((module) => module.tenantGuards?.(context) ?? []),
  );
  // Before authentication: a flood of wrong tokens is limited too, not only the requests that pass.
  await registerRateLimit(scope, context.pool, { max: context.config.rateLimitPerMinute, windowMs: 60_000 });
  registerAuthentication(scope, authenticators);
  for (const module of modules) await module.tenantPages?.(scope, context);
  // Last: every other page a browser asks for is the web app's (its router shows it).
  await registerWebApp(scope, { title: (request) => requireTenant(request).name });
  await scope.register(
    async (api) => {
      const typed = api.withTypeProvider<ZodTypeProvider>();
      for (const module of modules) await module.tenantApi?.(typed, context);
    },
    { prefix: apiPrefix },
  );
}

/**
 * The platform host's own routes (the console, the status page): each is bound to the bare base
 * domain, so it may share a path with a tenant's page without either shadowing the other, and
 * knows its caller as the tenant scope does.
 */
async function platformScope(
  scope: FastifyInstance,
  context: ModuleContext,
  modules: Modules,
  authenticators: readonly Authenticator[],
): Promise<void> {
  bindToHost(scope, context.config.baseDomain);
  registerAuthentication(scope, authenticators);
  for (const module of modules) await module.platformRoutes?.(scope, context);
  await scope.register(
    async (api) => {
      await registerRateLimit(api, context.pool, { max: context.config.rateLimitPerMinute, windowMs: 60_000 });
      const typed = api.withTypeProvider<ZodTypeProvider>();
      for (const module of modules) await module.platformApi?.(typed, context);
    },
    { prefix: apiPrefix },
  );
}

/** Every route of `scope` answers only on `host` (any port): a tenant's routes on other hosts never shadow it. */
function bindToHost(scope: FastifyInstance, host: string): void {
  const pattern = new RegExp(`^${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d+)?$`, 'i');
  scope.addHook('onRoute', (route) => {
    route.constraints = { ...route.constraints, host: pattern };
  });
}

/**
 * The staff console on `console.<base domain>`: the staff IP allow-list, the per-address rate
 * limit, staff authentication, the modules' console API under /api/v1, and the browser app.
 */
async function consoleScope(scope: FastifyInstance, context: ModuleContext, modules: Modules): Promise<void> {
  bindToHost(scope, `console.${context.config.baseDomain}`);
  registerGuards(
    scope,
    modules.flatMap((module) => module.consoleGuards?.(context) ?? []),
  );
  await registerRateLimit(scope, context.pool, { max: context.config.rateLimitPerMinute, windowMs: 60_000 });
  registerAuthentication(
    scope,
    modules.flatMap((module) => module.consoleAuthenticators?.(context) ?? []),
  );
  await registerWebApp(scope, { title: () => 'Console' });
  await scope.register(
    async (api) => {
      const typed = api.withTypeProvider<ZodTypeProvider>();
      for (const module of modules) await module.consoleApi?.(typed, context);
    },
    { prefix: apiPrefix },
  );
}

/** One round trip answers both: the query reaching Postgres, and the schema version it returns. */
function readinessChecks(context: ModuleContext, expectedMigration: string): ReadinessCheck[] {
  return [
    {
      name: 'postgres',
      check: async () => {
        let applied: string | null | undefined;
        try {
          const { rows } = await sql<{ name: string | null }>`SELECT max(name) AS name FROM kysely_migration`.execute(
            context.db,
          );
          applied = rows[0]?.name;
        } catch (error) {
          throw new Error(`unreachable: ${(error as Error).message}`);
        }
        if (applied !== expectedMigration)
          throw new Error(
            `reachable, but the platform database is at ${applied ?? 'nothing'} and this build expects ${expectedMigration}; run "steadfast migrate"`,
          );
        return `reachable, migrations current (${applied})`;
      },
    },
  ];
}
