import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { appError } from '../errors.js';
import { validateSchedule } from '../jobs/scheduler.js';
import { parseDatabaseUrl } from '../db/connect.js';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,19}$/, 'must be 1-20 characters of a-z, 0-9 and _, starting with a letter');

/** Backups kept: the latest of each of the last N days, weeks and months that have one. */
const retentionSchema = z
  .object({
    daily: z.number().int().min(0).default(7),
    weekly: z.number().int().min(0).default(4),
    monthly: z.number().int().min(0).default(3),
  })
  .strict()
  .default({ daily: 7, weekly: 4, monthly: 3 });

/** A list setting: a JSON array, or (in the environment) values separated by commas. */
const listOf = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value.trim().startsWith('[')
          ? safeJson(value)
          : value
              .split(',')
              .map((part) => part.trim())
              .filter(Boolean)
        : value,
    z.array(item),
  );

/** Addresses or CIDR ranges. */
const peerList = listOf(
  z.string().refine(isAddressOrRange, 'must be an IP address or a CIDR range such as 10.0.0.0/24'),
);

/** Node control addresses, `host` or `host:port` (default port 7433). */
const nodeList = listOf(
  z
    .string()
    .regex(
      /^(\[[0-9a-fA-F:.]+\]|[0-9A-Za-z.-]+)(:\d{1,5})?$/,
      'must be a host or host:port, such as 10.0.0.2 or 10.0.0.2:7433',
    ),
);

function isAddressOrRange(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  if (rest.length || !address) return false;
  const family = isIP(address);
  if (!family) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // reported by the check that follows
  }
}

/** The host name as a node name: lower case, other characters as _, a letter first. */
export function defaultNodeName(host = hostname()): string {
  const name = host
    .toLowerCase()
    .split('.')[0]!
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30);
  return /^[a-z]/.test(name) ? name : `n${name}`.slice(0, 31);
}

const repositoryName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be 1-31 characters of a-z, 0-9 and -, starting with a letter');

/** A backup repository. Each keeps its own copy of every backup and its own retention. */
export const repositorySchema = z.discriminatedUnion('type', [
  z
    .object({
      name: repositoryName,
      type: z.literal('fs'),
      /** A local or mounted directory (another disk, an NFS mount); relative paths are inside the home. */
      path: z.string().min(1),
      retention: retentionSchema,
    })
    .strict(),
  z
    .object({
      name: repositoryName,
      type: z.literal('s3'),
      bucket: z.string().min(3),
      /** Key prefix inside the bucket, so several platforms can share one. */
      prefix: z.string().default(''),
      region: z.string().default('us-east-1'),
      /** An S3-compatible service's URL; AWS when unset. */
      endpoint: z.string().url().optional(),
      forcePathStyle: z.boolean().default(false),
      /** Static credentials; unset to use the AWS SDK's chain (AWS_ACCESS_KEY_ID, profiles, instance roles). */
      accessKeyId: z.string().optional(),
      secretAccessKey: z.string().optional(),
      retention: retentionSchema,
    })
    .strict(),
  z
    .object({
      name: repositoryName,
      type: z.literal('sftp'),
      host: z.string().min(1),
      port: port.default(22),
      username: z.string().min(1),
      /** The private key Steadfast logs in with; the server's authorized_keys holds its public half. */
      privateKeyFile: z.string().min(1),
      /** The server's host key as `ssh-keygen -lf` prints it (SHA256:...); any other server is refused. */
      hostKeyFingerprint: z
        .string()
        .regex(
          /^SHA256:[A-Za-z0-9+/]{43}$/,
          'must look like SHA256: followed by 43 base64 characters (ssh-keygen -lf <host key>.pub)',
        ),
      /** Absolute directory on the server. */
      path: z.string().regex(/^\//, 'must be an absolute path on the server'),
      retention: retentionSchema,
    })
    .strict(),
]);
export type RepositoryConfig = z.infer<typeof repositorySchema>;

/** A switch: true/false, or "true"/"1"/"false"/"0" from the environment. */
const flag = z.preprocess(
  (value) => (value === 'false' || value === '0' ? false : value === 'true' || value === '1' ? true : value),
  z.boolean(),
);

const jsonArray = z.preprocess(
  (value) => (typeof value === 'string' ? safeJson(value) : value),
  z.array(repositorySchema).min(1, 'needs at least one repository'),
);

/**
 * Every setting Steadfast reads, with its default and why one would change it.
 * Units are in the names. The schema is strict: unknown keys are reported, not ignored.
 */
export const configSchema = z
  .object({
    /** Where Steadfast keeps its embedded Postgres, secret key and state. Move it to a larger or backed-up disk. */
    home: z.string().min(1).default('./.steadfast'),
    /** Tenant-facing HTTP port. Change it when 8080 is taken or behind a proxy. 0 picks a free port. */
    httpPort: port.default(8080),
    /** Address the HTTP server binds. `localhost` keeps it on this machine; `0.0.0.0` serves the network. */
    httpHost: z.string().min(1).default('localhost'),
    /** Serve workspaces over HTTPS (on httpsPort); the HTTP port then only redirects to it. Without tlsCertFile and tlsKeyFile a certificate is made for this machine under `<home>/tls` (trust its ca.crt). */
    tls: flag.default(false),
    /** The HTTPS port when tls is on. 0 picks a free port. */
    httpsPort: port.default(8443),
    /** Your certificate (PEM, with its chain) for the base domain and `*.<baseDomain>`; turns tls on. */
    tlsCertFile: z.string().min(1).optional(),
    /** The private key (PEM) of tlsCertFile. */
    tlsKeyFile: z.string().min(1).optional(),
    /** Operator port: `/metrics` for Prometheus. Never tenant-facing. 0 picks a free port (recorded in `<home>/instance.json`). */
    operatorPort: port.default(9470),
    /** Address the operator port binds: this machine only by default; widen it only on a trusted network. */
    operatorHost: z.string().min(1).default('127.0.0.1'),
    /** Tenants are served at `<slug>.<baseDomain>`. Set it to your real domain in production. */
    baseDomain: z
      .string()
      .min(1)
      .regex(/^[a-z0-9.-]+$/, 'must be a lower-case domain name')
      .default('localhost'),
    /** An external PostgreSQL 15+ (superuser, or a role with CREATEDB and CREATEROLE). When set, nothing is embedded. List every server of a replicated cluster (`postgres://u:p@db1:5432,db2:5432/steadfast`): connections go to whichever is the primary and follow it through a failover. */
    databaseUrl: z
      .string()
      .superRefine((url, context) => {
        try {
          parseDatabaseUrl(url);
        } catch (error) {
          context.addIssue({ code: 'custom', message: (error as Error).message.replace(/^DATABASE_URL /, '') });
        }
      })
      .optional(),
    /** How long a request that is safe to repeat (GET, PUT, DELETE, or one with an Idempotency-Key) waits for a primary when the database goes away under it (a failover, a restart) before the client gets a 503 with Retry-After. */
    databaseRetrySeconds: z.coerce.number().min(0).max(120).default(15),
    /** Set only by `steadfast drill failover` on the scratch app process it starts: serves POST /api/v1/drill/writes to bearers of this token. Leave it unset anywhere else. */
    drillWriteToken: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Port of the embedded Postgres. If it is taken, a free one is chosen and recorded in its data directory. */
    postgresPort: port.default(54329),
    /** Addresses the embedded Postgres listens on, comma-separated. Loopback only by default; add this machine's address on the replication network so a standby can reach it. */
    postgresListenAddresses: z
      .string()
      .regex(
        /^[0-9A-Za-z.:*_-]+(,[0-9A-Za-z.:*_-]+)*$/,
        'must be addresses separated by commas, such as 127.0.0.1,10.0.0.1',
      )
      .default('127.0.0.1'),
    /** Where standbys (and, after a failover, the old primary) connect from: addresses or CIDR ranges. Replication is allowed only from these, over TLS with a certificate of this installation's CA. */
    replicationPeers: peerList.default([]),
    /** `async` (default): a commit returns once written here; a failover may lose the last moments. `sync-write`: once the standby has it in memory (written to its OS, not yet flushed): survives losing the primary, not both machines crashing at once. `sync`: once the standby has it on disk too. `sync-apply`: once the standby shows it to its readers. With a synchronous mode, writes wait while no standby is connected. */
    replicationMode: z.enum(['async', 'sync-write', 'sync', 'sync-apply']).default('async'),
    /** WAL the primary keeps for a standby that is behind or gone (max_slot_wal_keep_size), in MB; beyond it the standby must re-join, and the primary's disk never fills. */
    replicationMaxSlotWalMb: positiveInt.default(8192),
    /** This machine's name among the nodes: its replication slot and application_name. Default: the host name. */
    nodeName: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,30}$/, 'must be 1-31 characters of a-z, 0-9 and _, starting with a letter')
      .default(() => defaultNodeName()),
    /** The other nodes' control APIs (host or host:port, comma-separated): asked before this node starts as a primary, watched while it is one, and told to stand down by a failover. A standby always knows its primary's. */
    clusterNodes: nodeList.default([]),
    /** Port of this node's control API (HTTPS, node certificates only), served when the node has TLS files and replication peers. 0 picks a free one. */
    nodeControlPort: port.default(7433),
    /** Address the control API listens on. Default: the first non-loopback address of postgresListenAddresses (the replication network), else 127.0.0.1. */
    nodeControlHost: z.string().min(1).optional(),
    /** max_connections of the embedded Postgres. Raise it with the tenant pool cap for many busy tenants. */
    postgresMaxConnections: positiveInt.default(200),
    /** OS user the embedded Postgres runs as when Steadfast is started as root (Postgres refuses root). */
    postgresOsUser: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/)
      .default('steadfast-pg'),
    /** Name of the control-plane database; tenant databases and roles are prefixed with it. */
    platformDatabase: identifier.default('steadfast'),
    /** Region recorded for new tenants; placement across regions comes with replication. */
    region: z.string().min(1).max(40).default('local'),
    /** Key from which tenant database passwords are derived. Defaults to `<home>/secret.key`, created on first start. Every process of one platform must share it. */
    secretKey: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Connections one tenant's pool may open. */
    tenantPoolMaxConnections: positiveInt.default(4),
    /** Connections all tenant pools together may hold; least-recently-used pools are closed to stay under it. Keep it below postgresMaxConnections. */
    tenantPoolsMaxConnections: positiveInt.default(80),
    /** Connections one tenant's role may hold across all Steadfast processes (CONNECTION LIMIT): a runaway tenant cannot starve the others. Raise it with the number of processes. */
    tenantRoleMaxConnections: positiveInt.default(32),
    /** Seconds an idle tenant connection is kept before it is closed. */
    tenantPoolIdleSeconds: positiveInt.default(30),
    /** Seconds to let in-flight HTTP requests finish on shutdown before they are cut. */
    shutdownGraceSeconds: positiveInt.default(10),
    /** Proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For and X-Forwarded-Proto are believed: the client address for rate limits, allow-lists and audit entries. Empty: the connecting address is the client. */
    trustedProxies: peerList.default([]),
    /** Addresses or CIDR ranges (comma-separated) the staff console answers; empty: every address. Staff still need a password and an authenticator code. */
    staffAllowList: peerList.default([]),
    /** Requests one client address may make per minute to a workspace, on routes without a stricter limit of their own (sign-in has one). */
    rateLimitPerMinute: positiveInt.default(600),
    /** Sign-in attempts one client address may make per minute, over all accounts (each account also backs off after three failures). */
    signInRateLimitPerMinute: positiveInt.default(10),
    /** Megabytes one file attached to a task may hold; larger uploads are refused before they are read. */
    attachmentMaxMb: positiveInt.default(25),
    /** Megabytes all of one workspace's attachments may hold together (they live in its database, and so in its backups). */
    workspaceAttachmentsMb: positiveInt.default(1024),
    /** Where mail goes: an SMTP server as `smtp://user:password@host:587` (STARTTLS when offered) or `smtps://…:465`. Unset: every message stays in the outbox, read with `steadfast mail outbox`. */
    smtpUrl: z
      .string()
      .regex(
        /^smtps?:\/\/[^\s]+$/,
        'must be an smtp:// or smtps:// URL, e.g. smtp://user:password@mail.example.com:587',
      )
      .optional(),
    /** The From of the mail Steadfast sends. Default: `Steadfast <no-reply@<baseDomain>>`. */
    mailFrom: z.string().min(3).optional(),
    /** The platform's address as browsers reach it (`https://example.com`, a load balancer's): probes check the web app and API there. Default: this process's own address. */
    publicUrl: z
      .url({ protocol: /^https?$/ })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    /** Where the public status page is published, away from the platform: a JSON array of places as backupRepositories has them (a directory a web server serves, an S3 bucket, an SFTP host). Unset: `steadfast status publish --to <dir>` only. */
    statusTargets: jsonArray.optional(),
    /** The status page's title. Default: `<baseDomain> status`. */
    statusTitle: z.string().min(1).max(100).optional(),
    /** Seconds between probe rounds (the status page's checks, and the alerts on them). */
    probeIntervalSeconds: positiveInt.max(3600).default(30),
    /** Minutes a signed-in session may go unused before it ends (OWASP ASVS level 2: 30). Raise it for a trusted intranet. */
    sessionIdleMinutes: positiveInt.default(30),
    /** Hours after sign-in when a session ends however busy it is (ASVS level 2: 12); one must sign in again. */
    sessionAbsoluteHours: positiveInt.default(12),
    /** Background jobs one process runs at once. */
    jobConcurrency: positiveInt.default(2),
    /** How often an idle worker looks for due jobs, in milliseconds. */
    jobPollIntervalMs: positiveInt.default(1000),
    /** Where backups go: a JSON array of repositories. Default: one directory, `<home>/backups`. Add repositories on other disks and providers so one loss is not all. */
    backupRepositories: jsonArray.optional(),
    /** The backup encryption key file. Default `<home>/backup.key`, created with the first backup: keep a copy off this machine; without it the backups cannot be restored. */
    backupKeyFile: z.string().min(1).optional(),
    /** Archive WAL continuously to the backup repositories (embedded Postgres). Turning it off loses point-in-time recovery. */
    walArchiving: flag.default(true),
    /** Store the WAL being written in the repositories every second, read from pg_wal as Postgres flushes it (embedded Postgres): RPO of about a second instead of walArchiveTimeoutSeconds. */
    walStreaming: flag.default(true),
    /** Seconds after which a WAL segment with any change in it is archived even if not full: the bound on data lost with the primary's disk when no standby exists. */
    walArchiveTimeoutSeconds: positiveInt.default(10),
    /** IANA time zone for calendar things: the backup schedule, daily/weekly/monthly retention. */
    timeZone: z
      .string()
      .refine((zone) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as Europe/Berlin or UTC')
      .default('UTC'),
    /** When the backup runs (cron, in timeZone). Daily at 02:00 by default; empty to take none automatically. */
    backupSchedule: z.string().default('0 2 * * *'),
    /**
     * When a full backup is due (cron, in timeZone): the first scheduled backup at or after each
     * of these moments is full, the others incremental (only the files changed since the backup
     * before). Sundays at 02:00 by default; empty to make every scheduled backup full.
     */
    backupFullSchedule: z.string().default('0 2 * * 0'),
    /** When the restore drill runs (cron, in timeZone): the latest backup plus WAL restored, checked and compared with the primary. Nightly at 03:30 by default; empty to run none automatically. */
    drillSchedule: z.string().default('30 3 * * *'),
    /** Where the drill restores its scratch copy (room for the whole cluster). Default: beside the Postgres data directory. */
    drillDirectory: z.string().min(1).optional(),
    /** Slug of the demo tenant created on first start; empty to create none. */
    demoTenant: z.string().default('demo'),
    /** pino log level: fatal, error, warn, info, debug, trace or silent. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `json` for log collectors, `pretty` for people, `auto`: pretty on a terminal, JSON otherwise. */
    logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.tenantPoolMaxConnections > config.tenantPoolsMaxConnections) {
      context.addIssue({
        code: 'custom',
        path: ['tenantPoolMaxConnections'],
        message: `must not exceed tenantPoolsMaxConnections (${config.tenantPoolsMaxConnections})`,
      });
    }
    if (
      !config.databaseUrl &&
      config.tenantPoolsMaxConnections + platformConnectionReserve > config.postgresMaxConnections
    ) {
      context.addIssue({
        code: 'custom',
        path: ['tenantPoolsMaxConnections'],
        message: `must leave ${platformConnectionReserve} of postgresMaxConnections (${config.postgresMaxConnections}) for the platform; lower it or raise postgresMaxConnections`,
      });
    }
    if (Boolean(config.tlsCertFile) !== Boolean(config.tlsKeyFile))
      context.addIssue({
        code: 'custom',
        path: [config.tlsCertFile ? 'tlsKeyFile' : 'tlsCertFile'],
        message:
          'tlsCertFile and tlsKeyFile go together: give both, or neither for a certificate made for this machine',
      });
    for (const key of ['backupSchedule', 'backupFullSchedule', 'drillSchedule'] as const) {
      if (!config[key]) continue;
      try {
        validateSchedule(config[key], 'UTC');
      } catch (error) {
        context.addIssue({
          code: 'custom',
          path: [key],
          message: `${(error as Error).message}; write five cron fields like "0 2 * * *"`,
        });
      }
    }
    const names = (config.backupRepositories ?? []).map((repository) => repository.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate)
      context.addIssue({
        code: 'custom',
        path: ['backupRepositories'],
        message: `names the repository "${duplicate}" twice; each needs its own name`,
      });
    const database = config.databaseUrl ? parsedDatabase(config.databaseUrl) : undefined;
    if (database !== undefined && !/^[a-z][a-z0-9_]{0,19}$/.test(database)) {
      context.addIssue({
        code: 'custom',
        path: ['databaseUrl'],
        message: `names the platform database "${database}", which also prefixes tenant databases: use 1-20 characters of a-z, 0-9 and _, starting with a letter`,
      });
    }
  });

function parsedDatabase(url: string): string | undefined {
  try {
    return parseDatabaseUrl(url).database;
  } catch {
    return undefined; // reported by the key's own check
  }
}

/** Connections of the embedded server kept for the platform pools, the leader lock and operators. */
const platformConnectionReserve = 20;

export type Config = Readonly<
  Omit<z.infer<typeof configSchema>, 'backupRepositories' | 'backupKeyFile' | 'statusTargets'> & {
    backupRepositories: RepositoryConfig[];
    statusTargets: RepositoryConfig[];
    backupKeyFile: string;
  }
>;
type ConfigKey = keyof z.infer<typeof configSchema>;

/** The environment variable that sets each key. */
export const envNames: Record<ConfigKey, string> = {
  home: 'STEADFAST_HOME',
  httpPort: 'PORT',
  tls: 'STEADFAST_TLS',
  httpsPort: 'STEADFAST_HTTPS_PORT',
  tlsCertFile: 'STEADFAST_TLS_CERT_FILE',
  tlsKeyFile: 'STEADFAST_TLS_KEY_FILE',
  httpHost: 'HOST',
  operatorPort: 'STEADFAST_OPERATOR_PORT',
  operatorHost: 'STEADFAST_OPERATOR_HOST',
  baseDomain: 'STEADFAST_BASE_DOMAIN',
  databaseUrl: 'DATABASE_URL',
  databaseRetrySeconds: 'STEADFAST_DATABASE_RETRY_SECONDS',
  drillWriteToken: 'STEADFAST_DRILL_WRITE_TOKEN',
  postgresPort: 'STEADFAST_POSTGRES_PORT',
  postgresListenAddresses: 'STEADFAST_POSTGRES_LISTEN_ADDRESSES',
  replicationPeers: 'STEADFAST_REPLICATION_PEERS',
  replicationMode: 'STEADFAST_REPLICATION_MODE',
  replicationMaxSlotWalMb: 'STEADFAST_REPLICATION_MAX_SLOT_WAL_MB',
  nodeName: 'STEADFAST_NODE_NAME',
  clusterNodes: 'STEADFAST_CLUSTER_NODES',
  nodeControlPort: 'STEADFAST_NODE_CONTROL_PORT',
  nodeControlHost: 'STEADFAST_NODE_CONTROL_HOST',
  postgresMaxConnections: 'STEADFAST_POSTGRES_MAX_CONNECTIONS',
  postgresOsUser: 'STEADFAST_POSTGRES_OS_USER',
  platformDatabase: 'STEADFAST_PLATFORM_DATABASE',
  region: 'STEADFAST_REGION',
  secretKey: 'STEADFAST_SECRET_KEY',
  tenantPoolMaxConnections: 'STEADFAST_TENANT_POOL_MAX_CONNECTIONS',
  tenantPoolsMaxConnections: 'STEADFAST_TENANT_POOLS_MAX_CONNECTIONS',
  tenantRoleMaxConnections: 'STEADFAST_TENANT_ROLE_MAX_CONNECTIONS',
  tenantPoolIdleSeconds: 'STEADFAST_TENANT_POOL_IDLE_SECONDS',
  shutdownGraceSeconds: 'STEADFAST_SHUTDOWN_GRACE_SECONDS',
  trustedProxies: 'STEADFAST_TRUSTED_PROXIES',
  staffAllowList: 'STEADFAST_STAFF_ALLOW_LIST',
  rateLimitPerMinute: 'STEADFAST_RATE_LIMIT_PER_MINUTE',
  signInRateLimitPerMinute: 'STEADFAST_SIGN_IN_RATE_LIMIT_PER_MINUTE',
  attachmentMaxMb: 'STEADFAST_ATTACHMENT_MAX_MB',
  workspaceAttachmentsMb: 'STEADFAST_WORKSPACE_ATTACHMENTS_MB',
  smtpUrl: 'STEADFAST_SMTP_URL',
  mailFrom: 'STEADFAST_MAIL_FROM',
  publicUrl: 'STEADFAST_PUBLIC_URL',
  statusTargets: 'STEADFAST_STATUS_TARGETS',
  statusTitle: 'STEADFAST_STATUS_TITLE',
  probeIntervalSeconds: 'STEADFAST_PROBE_INTERVAL_SECONDS',
  sessionIdleMinutes: 'STEADFAST_SESSION_IDLE_MINUTES',
  sessionAbsoluteHours: 'STEADFAST_SESSION_ABSOLUTE_HOURS',
  jobConcurrency: 'STEADFAST_JOB_CONCURRENCY',
  jobPollIntervalMs: 'STEADFAST_JOB_POLL_INTERVAL_MS',
  backupRepositories: 'STEADFAST_BACKUP_REPOSITORIES',
  backupKeyFile: 'STEADFAST_BACKUP_KEY_FILE',
  walArchiving: 'STEADFAST_WAL_ARCHIVING',
  walStreaming: 'STEADFAST_WAL_STREAMING',
  walArchiveTimeoutSeconds: 'STEADFAST_WAL_ARCHIVE_TIMEOUT_SECONDS',
  timeZone: 'STEADFAST_TIME_ZONE',
  backupSchedule: 'STEADFAST_BACKUP_SCHEDULE',
  backupFullSchedule: 'STEADFAST_BACKUP_FULL_SCHEDULE',
  drillSchedule: 'STEADFAST_DRILL_SCHEDULE',
  drillDirectory: 'STEADFAST_DRILL_DIRECTORY',
  demoTenant: 'STEADFAST_DEMO_TENANT',
  logLevel: 'LOG_LEVEL',
  logFormat: 'LOG_FORMAT',
};

export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; defaults to $STEADFAST_CONFIG, else ./steadfast.config.json if present. */
  file?: string;
  /** Values that win over everything (CLI flags). */
  overrides?: Partial<Record<ConfigKey, unknown>>;
  cwd?: string;
}

/**
 * Builds the one Config from defaults, the config file, the environment and CLI
 * overrides, in that order. Reports every invalid or unknown key at once.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const filePath = sources.file ?? env.STEADFAST_CONFIG ?? defaultConfigFile(cwd);
  const namedBy =
    sources.file !== undefined ? '--config' : env.STEADFAST_CONFIG !== undefined ? 'STEADFAST_CONFIG' : undefined;
  const fromFile = filePath ? readConfigFile(path.resolve(cwd, filePath), namedBy) : {};
  const fromEnv: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(envNames)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const merged = { ...fromFile, ...fromEnv, ...dropUndefined(sources.overrides ?? {}) };
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => describeIssue(issue, filePath));
    throw appError(
      'CONFIG_INVALID',
      `The configuration has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      {
        extensions: { errors: problems },
      },
    );
  }
  const home = path.resolve(cwd, parsed.data.home);
  const config = {
    ...parsed.data,
    home,
    backupRepositories: (
      parsed.data.backupRepositories ?? [
        { name: 'local', type: 'fs' as const, path: 'backups', retention: { daily: 7, weekly: 4, monthly: 3 } },
      ]
    ).map((repository): RepositoryConfig =>
      repository.type === 'fs' ? { ...repository, path: path.resolve(home, repository.path) } : repository,
    ),
    backupKeyFile: path.resolve(home, parsed.data.backupKeyFile ?? 'backup.key'),
    statusTargets: (parsed.data.statusTargets ?? []).map((target): RepositoryConfig =>
      target.type === 'fs' ? { ...target, path: path.resolve(home, target.path) } : target,
    ),
  };
  return Object.freeze(config);
}

function defaultConfigFile(cwd: string): string | undefined {
  const candidate = path.join(cwd, 'steadfast.config.json');
  return existsSync(candidate) ? candidate : undefined;
}

/** The file's settings; `namedBy` is where its path came from (--config, STEADFAST_CONFIG), to say what to fix. */
function readConfigFile(file: string, namedBy: '--config' | 'STEADFAST_CONFIG' | undefined): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : (error as Error).message;
    const fix =
      code === 'EACCES'
        ? 'Make the file readable by this user'
        : code !== 'ENOENT'
          ? 'Give the path of a readable JSON file'
          : namedBy
            ? `Fix the path given in ${namedBy}, or create the file`
            : 'Create the file, or remove it from the settings';
    throw appError('CONFIG_INVALID', `Cannot read the config file ${file}: ${why}. ${fix}.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw appError('CONFIG_INVALID', `The config file ${file} is not valid JSON: ${(error as Error).message}.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw appError('CONFIG_INVALID', `The config file ${file} must hold one JSON object of settings.`);
  }
  return value as Record<string, unknown>;
}

function describeIssue(issue: z.core.$ZodIssue, filePath: string | undefined): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const hint = closestKey(key);
      const where = filePath ? ` in ${filePath}` : '';
      return `unknown key "${key}"${where}${hint ? ` (did you mean "${hint}"?)` : ''}`;
    });
  }
  const key = String(issue.path[0] ?? '');
  const envName = envNames[key as ConfigKey];
  return [`${key}${envName ? ` (${envName})` : ''}: ${issue.message}`];
}

function closestKey(key: string): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of Object.keys(envNames)) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.key : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function dropUndefined(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

/** Whether workspaces are served over HTTPS: switched on, or a certificate given. */
export function tlsEnabled(config: Pick<Config, 'tls' | 'tlsCertFile'>): boolean {
  return config.tls || Boolean(config.tlsCertFile);
}
