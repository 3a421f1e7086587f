import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Clock } from '../../src/platform/clock/clock.js';
import type { Config } from '../../src/platform/config/config.js';
import type { TenantView } from '../../src/modules/tenancy/index.js';
import { workJobs } from '../../src/modules/work/work.jobs.js';
import type { JobContext } from '../../src/platform/jobs/queue.js';
import { buildTenant } from './factories.js';
import { buildTestApp, hostOf } from './http.js';
import { createTestPlatform, type TestPlatform } from './platform.js';
import { findFreePort } from '../../src/platform/postgres/supervisor.js';

export type WorkspaceRole = 'owner' | 'admin' | 'member' | 'viewer';
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A signed-in person of the test workspace: their session cookie, CSRF token and user id. */
export interface SignedIn {
  readonly cookie: string;
  readonly csrf: string;
  readonly id: string;
}

/** A platform with one workspace whose people (`name@example.com`, named in capitals) are signed in. */
export interface WorkFixture<P extends string> {
  readonly platform: TestPlatform;
  readonly app: FastifyInstance;
  readonly workspace: TenantView;
  /** The workspace's address over HTTP, with `listen`. */
  readonly origin: string;
  readonly people: Record<P, SignedIn>;
  /** A request to `/api/v1<url>` as `who` (anonymous with null); a Buffer is sent as it is. */
  call(
    who: P | null,
    method: Method,
    url: string,
    payload?: object | Buffer,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  /** The answer's JSON, after asserting its status. */
  ok(response: Promise<LightMyRequestResponse>, status?: number): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Runs one of work's scheduled jobs (`work.digest` …) once, now, as the scheduler would. */
  runJob(type: string): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** A person of the fixture: a role (named NAME, in capitals), or a role and a display name. */
export type PersonSpec = WorkspaceRole | { readonly role: WorkspaceRole; readonly name: string };

export const fixturePassword = 'correct horse battery staple 42';

export async function workFixture<P extends string>(
  roles: Record<P, PersonSpec>,
  options: {
    /** Serve over real HTTP on a free port, as browsers need; `origin` is the workspace's address. */
    listen?: boolean;
    workspaceName?: string;
    config?: Partial<Record<keyof Config, unknown>>;
    clock?: Clock;
    /** Call with each person's read-write API token rather than their session (sessions end when a test clock runs days on). */
    bearer?: boolean;
  } = {},
): Promise<WorkFixture<P>> {
  const password = fixturePassword;
  const port = options.listen ? await findFreePort() : undefined;
  const platform = await createTestPlatform(
    { signInRateLimitPerMinute: 10_000, rateLimitPerMinute: 100_000, ...options.config },
    { ...(options.clock ? { clock: options.clock } : {}), ...(port ? { publicPort: port } : {}) },
  );
  const app = await buildTestApp(platform);
  if (port) await app.listen({ host: '127.0.0.1', port });
  const workspace = await buildTenant(platform, options.workspaceName ? { name: options.workspaceName } : {});
  const people = {} as Record<P, SignedIn>;
  const tokens = new Map<P, string>();
  for (const [name, spec] of Object.entries(roles) as Array<[P, PersonSpec]>) {
    const { role, name: displayName } = typeof spec === 'string' ? { role: spec, name: name.toUpperCase() } : spec;
    const user = await platform.identity.createUser(
      workspace.slug,
      { email: `${name}@example.com`, name: displayName, role, password },
      { actor: 'operator:test' },
    );
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: { host: hostOf(workspace.slug) },
      payload: { email: `${name}@example.com`, password },
    });
    assert.equal(response.statusCode, 200, response.body);
    const cookie = response.cookies.find((c) => c.name === 'steadfast_session')!;
    people[name] = { cookie: `${cookie.name}=${cookie.value}`, csrf: response.json().csrfToken, id: user.id };
    if (options.bearer) {
      const token = await app.inject({
        method: 'POST',
        url: '/api/v1/me/tokens',
        headers: { host: hostOf(workspace.slug), cookie: people[name].cookie, 'x-csrf-token': people[name].csrf },
        payload: { name: 'tests', scope: 'read-write', expiresInDays: 365 },
      });
      assert.equal(token.statusCode, 201, token.body);
      tokens.set(name, token.json().token);
    }
  }
  const call: WorkFixture<P>['call'] = (who, method, url, payload, headers = {}) => {
    const person = who ? people[who] : undefined;
    return app.inject({
      method,
      url: `/api/v1${url}`,
      headers: {
        host: hostOf(workspace.slug),
        ...(who && tokens.has(who)
          ? { authorization: `Bearer ${tokens.get(who)}` }
          : person
            ? { cookie: person.cookie, 'x-csrf-token': person.csrf }
            : {}),
        ...headers,
      },
      ...(payload ? { payload } : {}),
    });
  };
  return {
    platform,
    app,
    workspace,
    origin: `http://${workspace.slug}.localhost:${port ?? 0}`,
    people,
    call,
    async ok(response, status = 200) {
      const answer = await response;
      assert.equal(answer.statusCode, status, answer.body);
      return answer.json();
    },
    runJob(type) {
      const { jobs } = workJobs({
        work: platform.work,
        workspaces: () => platform.tenancy.list(),
        mail: platform.mail,
      });
      const job = jobs.find((candidate) => candidate.type === type);
      assert.ok(job, `work has no job ${type}`);
      const context: JobContext = {
        jobId: type,
        attempt: 1,
        signal: new AbortController().signal,
        progress: async () => {},
      };
      return job.handle({}, context) as Promise<Record<string, number>>;
    },
    async close() {
      await app.close();
      await platform.destroy();
    },
  };
}
