import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiScope } from '../../platform/http/api.js';
import { validationFailed } from '../../platform/http/validation.js';
import {
  assertFits,
  attach,
  detach,
  dispositionOf,
  isInline,
  listAttachments,
  readAttachment,
  workspaceUsage,
} from './work.attachments.js';
import { idempotencyOf, json, sendStored, readTask, slugOf, workActorOf } from './work.http.js';
import { attachmentSchema, taskRef } from './work.schema.js';
import type { WorkService } from './work.service.js';
import { reachTask } from './work.tasks.js';

const tags = ['work'];
const params = z.object({ task: taskRef });
const attachmentParams = params.extend({ id: z.uuid('Give the attachment id (a UUID).') });

/**
 * Files on tasks. An upload is the file's bytes as the request body (any Content-Type; the type
 * is read from the content) with its name in `?name=`; it is refused from its Content-Length,
 * before a byte is read, when it is over the per-file limit or the workspace's room. A download
 * is never a page: only raster images are served inline, everything else as an attachment, and
 * always with nosniff and a sandboxing Content-Security-Policy.
 */
export async function attachmentApi(api: ApiScope, work: WorkService): Promise<void> {
  const limits = work.attachmentLimits;

  api.get(
    '/tasks/:task/attachments',
    {
      schema: {
        summary: "The files attached to a task, oldest first (metadata; each file's content has its own address)",
        tags,
        params,
        response: { 200: z.array(attachmentSchema) },
      },
    },
    async (request) => json(await readTask(work, request, (db, task) => listAttachments(db, task.id))),
  );

  // Uploads in a scope of their own: any body is taken as raw bytes, up to the per-file limit.
  await api.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limits.fileBytes }, (_request, body, done) =>
      done(null, body),
    );
    scope.post(
      '/tasks/:task/attachments',
      {
        bodyLimit: limits.fileBytes,
        schema: {
          summary: 'Attaches a file to a task: the body is the file, its name in ?name= (Content-Length required)',
          tags,
          params,
          querystring: z.object({
            name: z.string().min(1, 'Give the file name, e.g. ?name=report.pdf').max(1000),
          }),
          response: { 201: attachmentSchema },
        },
        config: { repeatable: 'idempotency-key' },
        preParsing: async (request) => {
          const length = Number(request.headers['content-length']);
          if (!request.headers['content-length'] || !Number.isSafeInteger(length))
            throw validationFailed([
              { in: 'headers', path: 'content-length', message: 'send the file with its Content-Length' },
            ]);
          assertFits(length, await work.read(slugOf(request), (db) => workspaceUsage(db)), limits);
        },
      },
      async (request, reply) => {
        const actor = workActorOf(request.actor);
        const content = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const response = await work.respond(slugOf(request), idempotencyOf(request, actor), async (tx, at) => {
          const { row, access } = await reachTask(tx, actor, request.params.task);
          const view = await attach(tx, actor, access, row, { name: request.query.name, content }, limits, at);
          return { status: 201, body: json(view) };
        });
        return sendStored(reply, response);
      },
    );
  });

  api.get(
    '/tasks/:task/attachments/:id',
    {
      schema: {
        summary: "An attached file's content (?download=1 to save even an image rather than show it)",
        tags,
        params: attachmentParams,
        querystring: z.object({ download: z.enum(['0', '1']).optional() }),
      },
    },
    async (request, reply) => {
      const file = await readTask(work, request, (db, task) => readAttachment(db, task.id, request.params.id));
      const inline = isInline(file.media_type) && request.query.download !== '1';
      return reply
        .header('content-type', inline ? file.media_type : 'application/octet-stream')
        .header('content-disposition', dispositionOf(inline ? 'inline' : 'attachment', file.name))
        .header('content-length', file.size)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, max-age=3600')
        .header('etag', `"${file.sha256}"`)
        .send(file.content);
    },
  );

  api.delete(
    '/tasks/:task/attachments/:id',
    {
      schema: {
        summary: 'Removes a file from a task: yours, or any as a project lead',
        tags,
        params: attachmentParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = workActorOf(request.actor);
      await work.write(slugOf(request), async (tx, at) => {
        const { row, access } = await reachTask(tx, actor, request.params.task, true);
        await detach(tx, actor, access, row, request.params.id, at);
      });
      return reply.status(204).send(null);
    },
  );
}
