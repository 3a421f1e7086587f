import { z } from 'zod';
import type { ApiScope } from '../../platform/http/api.js';
import type { WorkEvent } from './work.activity.js';
import { slugOf, workActorOf } from './work.http.js';
import { reachProject } from './work.projects.js';
import { projectRef } from './work.schema.js';
import type { WorkService } from './work.service.js';

/** A comment line this often keeps proxies and browsers from closing a quiet stream. */
const keepAliveMs = 15_000;

/** An SSE frame: the event's id (Last-Event-ID on reconnect), its kind and its data as one line of JSON. */
const frame = (event: Pick<WorkEvent, 'id' | 'kind' | 'data'>): string =>
  `id: ${event.id}\nevent: ${event.kind}\ndata: ${JSON.stringify(event.data)}\n\n`;

/** The live stream of a project: Server-Sent Events of every change, replaying what a reconnecting client missed. */
export function streamApi(api: ApiScope, work: WorkService): void {
  // The open streams, ended before the server closes (an open stream would hold it for its grace period).
  const open = new Set<() => void>();
  api.addHook('preClose', async () => {
    for (const end of open) end();
  });

  api.get(
    '/projects/:project/events',
    {
      schema: {
        summary: 'Live changes of a project, as Server-Sent Events (text/event-stream)',
        description:
          'Events: task.created, task.updated, task.deleted, comment.created, comment.updated, comment.deleted, project.updated, project.states, project.rules, project.labels, project.fields; each with an id. A client reconnecting with `Last-Event-ID` (EventSource does) first gets what it missed (up to a day). The first event, `ready`, carries the id the stream starts after.',
        tags: ['work'],
        params: z.object({ project: projectRef }),
        headers: z.object({
          'last-event-id': z
            .string()
            .regex(/^\d{1,15}$/, 'give the id of the last event received')
            .optional(),
        }),
      },
    },
    async (request, reply) => {
      const slug = slugOf(request);
      const { project } = await work.read(slug, (db) =>
        reachProject(db, workActorOf(request.actor), request.params.project),
      );
      const lastEventId =
        request.headers['last-event-id'] === undefined ? undefined : Number(request.headers['last-event-id']);
      const queued: string[] = [];
      let write = (text: string) => void queued.push(text);
      const subscription = await work.live.subscribe(slug, project.id, lastEventId, (event) => write(frame(event)));
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      write = (text) => void raw.write(text);
      raw.write(`retry: 2000\n${frame({ id: subscription.since, kind: 'ready', data: {} })}`);
      for (const text of queued) raw.write(text);
      const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), keepAliveMs);
      const end = () => {
        clearInterval(keepAlive);
        subscription.stop();
        open.delete(end);
        raw.end();
      };
      open.add(end);
      request.raw.on('close', end);
    },
  );
}
