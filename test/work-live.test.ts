import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createPlatform, type Platform } from '../src/app/deps.js';
import { createLogger } from '../src/platform/log/log.js';
import type { TenantView } from '../src/modules/tenancy/index.js';
import { pollUntil } from '../src/platform/clock/clock.js';
import { buildTenant } from './helpers/factories.js';
import { buildTestApp, hostOf } from './helpers/http.js';
import { createTestPlatform, type TestPlatform } from './helpers/platform.js';

/**
 * A project's live stream across two servers of one platform database: each has its own pools
 * and its own LISTEN connection, as two `steadfast serve` processes do. A change made through one
 * reaches a stream open on the other; a stream that reconnects with Last-Event-ID gets what it missed.
 */
const password = 'correct horse battery staple 42';
let platform: TestPlatform;
let second: Platform;
const apps: FastifyInstance[] = [];
const ports: number[] = [];
let acme: TenantView;
let cookie: string;
let csrf: string;

before(async () => {
  platform = await createTestPlatform({ signInRateLimitPerMinute: 10_000, rateLimitPerMinute: 100_000 });
  second = createPlatform(platform.config, createLogger('silent'), platform.database);
  for (const each of [platform, second]) {
    const app = await buildTestApp(each);
    await app.listen({ host: '127.0.0.1', port: 0 });
    apps.push(app);
    ports.push((app.server.address() as AddressInfo).port);
  }
  acme = await buildTenant(platform);
  await platform.identity.createUser(
    acme.slug,
    { email: 'ada@example.com', name: 'Ada', role: 'owner', password },
    { actor: 'operator:test' },
  );
  const signIn = await apps[0]!.inject({
    method: 'POST',
    url: '/api/v1/session',
    headers: { host: hostOf(acme.slug) },
    payload: { email: 'ada@example.com', password },
  });
  const session = signIn.cookies.find((c) => c.name === 'steadfast_session')!;
  cookie = `${session.name}=${session.value}`;
  csrf = signIn.json().csrfToken;
  const made = await apps[0]!.inject({
    method: 'POST',
    url: '/api/v1/projects',
    headers: { host: hostOf(acme.slug), cookie, 'x-csrf-token': csrf },
    payload: { key: 'LIVE', name: 'Live' },
  });
  assert.equal(made.statusCode, 201, made.body);
});
after(async () => {
  for (const app of apps) await app.close();
  await second.close();
  await platform.destroy();
});

interface Received {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/** Opens the project's stream on a server; events are collected as they come. */
function openStream(
  port: number,
  lastEventId?: number,
): Promise<{ events: Received[]; close(): void; status: number }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      {
        host: '127.0.0.1',
        port,
        path: '/api/v1/projects/LIVE/events',
        headers: {
          host: hostOf(acme.slug),
          cookie,
          accept: 'text/event-stream',
          ...(lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) }),
        },
      },
      (response) => {
        const events: Received[] = [];
        let buffer = '';
        response.setEncoding('utf8').on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const field = (name: string) =>
              block
                .split('\n')
                .find((line) => line.startsWith(`${name}: `))
                ?.slice(name.length + 2);
            if (field('event'))
              events.push({ id: Number(field('id')), event: field('event')!, data: JSON.parse(field('data')!) });
          }
        });
        resolve({ events, close: () => request.destroy(), status: response.statusCode ?? 0 });
      },
    );
    request.on('error', reject);
  });
}

async function createTask(port: number, title: string): Promise<{ key: string; version: number; id: string }> {
  const response = await apps[ports.indexOf(port)]!.inject({
    method: 'POST',
    url: '/api/v1/projects/LIVE/tasks',
    headers: { host: hostOf(acme.slug), cookie, 'x-csrf-token': csrf },
    payload: { title },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json();
}

describe("a project's live stream", () => {
  test('a task made through one server reaches a stream open on the other, and a move follows', async () => {
    const stream = await openStream(ports[1]!);
    try {
      assert.equal(stream.status, 200);
      await pollUntil(() => stream.events.some((event) => event.event === 'ready'), { timeoutMs: 5000 });
      const task = await createTask(ports[0]!, 'Seen everywhere');
      await pollUntil(() => stream.events.some((event) => event.event === 'task.created'), { timeoutMs: 5000 });
      const created = stream.events.find((event) => event.event === 'task.created')!;
      assert.equal((created.data.task as { key: string }).key, task.key);
      const detail = await apps[0]!.inject({
        url: '/api/v1/projects/LIVE',
        headers: { host: hostOf(acme.slug), cookie },
      });
      const started = detail.json().states.find((state: { group: string }) => state.group === 'started');
      const moved = await apps[0]!.inject({
        method: 'PATCH',
        url: `/api/v1/tasks/${task.key}`,
        headers: { host: hostOf(acme.slug), cookie, 'x-csrf-token': csrf, 'if-match': `"${task.version}"` },
        payload: { stateId: started.id },
      });
      assert.equal(moved.statusCode, 200, moved.body);
      await pollUntil(() => stream.events.some((event) => event.event === 'task.updated'), { timeoutMs: 5000 });
      const update = stream.events.find((event) => event.event === 'task.updated')!;
      assert.equal((update.data.task as { state: { id: string } }).state.id, started.id);
    } finally {
      stream.close();
    }
  });

  test('a stream reconnecting with Last-Event-ID gets what it missed, in order, once', async () => {
    const first = await openStream(ports[0]!);
    await pollUntil(() => first.events.some((event) => event.event === 'ready'), { timeoutMs: 5000 });
    await createTask(ports[0]!, 'Before the gap');
    await pollUntil(() => first.events.some((event) => event.event === 'task.created'), { timeoutMs: 5000 });
    const lastSeen = first.events.at(-1)!.id;
    first.close();
    const missed = [await createTask(ports[1]!, 'In the gap 1'), await createTask(ports[1]!, 'In the gap 2')];
    const again = await openStream(ports[0]!, lastSeen);
    try {
      await pollUntil(() => again.events.filter((event) => event.event === 'task.created').length >= 2, {
        timeoutMs: 5000,
      });
      const after = await createTask(ports[1]!, 'After the gap');
      await pollUntil(() => again.events.filter((event) => event.event === 'task.created').length >= 3, {
        timeoutMs: 5000,
      });
      const keys = again.events
        .filter((event) => event.event === 'task.created')
        .map((event) => (event.data.task as { key: string }).key);
      assert.deepEqual(keys, [...missed.map((task) => task.key), after.key]);
      const ids = again.events.map((event) => event.id);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        'in order',
      );
      assert.equal(again.events[0]!.event, 'ready');
      assert.equal(again.events[0]!.id, lastSeen);
    } finally {
      again.close();
    }
  });

  test('a project one may not see has no stream: 404 as for an unknown one; nobody signed in gets 401', async () => {
    const anonymous = await apps[0]!.inject({
      url: '/api/v1/projects/LIVE/events',
      headers: { host: hostOf(acme.slug) },
    });
    assert.equal(anonymous.statusCode, 401);
    const unknown = await apps[0]!.inject({
      url: '/api/v1/projects/NOPE/events',
      headers: { host: hostOf(acme.slug), cookie },
    });
    assert.equal(unknown.statusCode, 404);
  });
});
