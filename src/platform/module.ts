import type { Evidence } from './evidence.js';
import type { FastifyInstance } from 'fastify';
import type { Authenticator, RequestGuard } from './http/auth.js';
import type { ApiScope } from './http/api.js';
import type { JobDefinition } from './jobs/queue.js';
import type { Schedule } from './jobs/scheduler.js';
import type { GaugeDefinition } from './metrics.js';
import type { Probe } from './probes.js';

/** Work the leader repeats every `everyMs` while it leads (a probe round): never two runs at once. */
export interface LeaderLoop {
  readonly name: string;
  readonly everyMs: number;
  run(): Promise<void>;
}

/** What a module runs in the worker role: its job types, and the schedules the leader fires. */
export interface ModuleWork {
  readonly jobs: readonly JobDefinition[];
  readonly schedules?: readonly Schedule[];
  /** Repeated more often than a cron schedule can (every 30 s), on the leader only. */
  readonly loops?: readonly LeaderLoop[];
}

/** Folders of forward-only migrations (`<yyyymmddhhmmss>-<what>.ts`) a module brings. */
export interface ModuleMigrations {
  /** Run on the platform database (the control plane). */
  readonly platform?: string;
  /** Run on every tenant's own database. */
  readonly tenant?: string;
}

/**
 * The module contract: what a module contributes, each piece optional. A module's `index.ts`
 * exports one of these; app/ only loops over the list of modules (app/modules.ts), so adding
 * a module is a folder and one line. `Ctx` is what the module needs of the running platform
 * (its services, config, database); app/ hands every module the same context, which must
 * have all of it.
 */
export interface SteadfastModule<Ctx> {
  readonly name: string;
  readonly migrations?: ModuleMigrations;
  /** Routes on a tenant's host under `/api/v1`, after the tenant context and authentication; their zod schemas make the OpenAPI document. */
  readonly tenantApi?: (api: ApiScope, ctx: Ctx) => Promise<void> | void;
  /** Pages on a tenant's host (outside `/api`), after the tenant context. */
  readonly tenantPages?: (app: FastifyInstance, ctx: Ctx) => Promise<void> | void;
  /** Routes on the platform's own host (the console, the status page). */
  readonly platformRoutes?: (app: FastifyInstance, ctx: Ctx) => Promise<void> | void;
  /** Routes on the platform's own host under `/api/v1`, behind the per-address rate limit (remote probe runners report there). */
  readonly platformApi?: (api: ApiScope, ctx: Ctx) => Promise<void> | void;
  /** Routes on the status page's host (`status.<base domain>`): the public status page as the platform serves it. */
  readonly statusHost?: (app: FastifyInstance, ctx: Ctx) => Promise<void> | void;
  /** Routes on the staff console's host (`console.<base domain>`) under `/api/v1`, after its guards, rate limit and staff authentication. */
  readonly consoleApi?: (api: ApiScope, ctx: Ctx) => Promise<void> | void;
  /** Checks every request to the staff console must pass first (the staff IP allow-list). */
  readonly consoleGuards?: (ctx: Ctx) => readonly RequestGuard[];
  /** Who this module can recognise on the staff console (a staff session). */
  readonly consoleAuthenticators?: (ctx: Ctx) => readonly Authenticator[];
  /** Routes on the operator port, beside `/metrics` (never reachable from a tenant's address). */
  readonly operatorRoutes?: (app: FastifyInstance, ctx: Ctx) => Promise<void> | void;
  /** Checks every request on a tenant's host must pass, right after the tenant context (an IP allow-list). */
  readonly tenantGuards?: (ctx: Ctx) => readonly RequestGuard[];
  /** Who this module can recognise on the tenant scope (a token, a session). */
  readonly authenticators?: (ctx: Ctx) => readonly Authenticator[];
  /** Job types and schedules, for processes with the worker role. */
  readonly work?: (ctx: Ctx) => ModuleWork;
  /** Checks of the components this module owns (a standby, a repository), run every probe round; asked again each round. */
  readonly probes?: (ctx: Ctx) => Promise<readonly Probe[]> | readonly Probe[];
  /** Measured, dated figures for the public trust page (the last verified restore, a repository's newest backup). */
  readonly evidence?: (ctx: Ctx) => Promise<readonly Evidence[]>;
  /** Gauges for `/metrics`, read when scraped. */
  readonly metrics?: (ctx: Ctx) => readonly GaugeDefinition[];
}
