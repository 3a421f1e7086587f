import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { generate } from 'otplib';
import type { Platform } from '../../src/app/deps.js';
import type { Clock } from '../../src/platform/clock/clock.js';

export const consoleHost = 'console.localhost:8080';
export const staffPassword = 'lantern quietly orbit marmalade 7';

export interface Session {
  cookie: string;
  csrf: string;
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Calls to a test app as a browser would make them: a host, and a session's cookie and CSRF token. */
export function apiCaller(app: FastifyInstance) {
  return (
    host: string,
    method: Method,
    url: string,
    options: { session?: Session | undefined; body?: unknown } = {},
  ): Promise<LightMyRequestResponse> => {
    const headers: Record<string, string> = { host };
    if (options.session) {
      headers.cookie = options.session.cookie;
      headers['x-csrf-token'] = options.session.csrf;
    }
    return app.inject({ method, url: `/api/v1${url}`, headers, ...(options.body ? { payload: options.body } : {}) });
  };
}

/** The session a sign-in answer opened: its cookie and CSRF token. */
export function sessionOf(response: LightMyRequestResponse, cookieName: string): Session {
  assert.equal(response.statusCode, 200, response.body);
  const cookie = response.cookies.find((c) => c.name === cookieName);
  assert.ok(cookie, `a ${cookieName} cookie is set`);
  return { cookie: `${cookie.name}=${cookie.value}`, csrf: response.json().csrfToken };
}

export const tokenOf = (link: string) => /#token=([A-Za-z0-9_-]+)$/.exec(link)![1]!;

/** The staff console of a test app: calls under /api/v1/console, and staff set up through their link. */
export function staffConsole(app: FastifyInstance, platform: Platform, clock: Clock) {
  const call = apiCaller(app);
  const onConsole = (method: Method, url: string, session?: Session, body?: unknown) =>
    call(consoleHost, method, `/console${url}`, { session, body });
  const code = (secret: string) => generate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) });

  /** A staff account set up through its link: its authenticator secret and a console session. */
  async function setUpStaff(email: string): Promise<{ secret: string; session: Session }> {
    const { link } = await platform.staff.create({ email, name: email.split('@')[0]! }, 'operator:test');
    const token = tokenOf(link);
    const opened = await onConsole('POST', '/setup/open', undefined, { token });
    assert.equal(opened.statusCode, 200, opened.body);
    const { secret } = opened.json();
    const done = await onConsole('POST', '/setup', undefined, {
      token,
      password: staffPassword,
      code: await code(secret),
    });
    return { secret, session: sessionOf(done, 'steadfast_console') };
  }

  return { call, onConsole, code, setUpStaff };
}
