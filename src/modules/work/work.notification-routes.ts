import { z } from 'zod';
import type { ApiScope } from '../../platform/http/api.js';
import { json, slugOf, workActorOf } from './work.http.js';
import { digestOf, listNotifications, markRead, setDigest } from './work.notifications.js';
import { markReadBody, notificationPageSchema, notificationQuery, notificationSettingsSchema } from './work.schema.js';
import type { WorkService } from './work.service.js';

const tags = ['work'];

/** One's notifications: listed, marked read, and how often the unread ones are mailed. */
export function notificationApi(api: ApiScope, work: WorkService): void {
  api.get(
    '/notifications',
    {
      schema: {
        summary: 'Your notifications, newest first, with how many are unread',
        tags,
        querystring: notificationQuery,
        response: { 200: notificationPageSchema },
      },
    },
    async (request) =>
      json(
        await work.read(slugOf(request), (db) =>
          listNotifications(db, workActorOf(request.actor), {
            unread: request.query.unread === 'true',
            limit: request.query.limit,
            cursor: request.query.cursor,
          }),
        ),
      ),
  );

  api.post(
    '/notifications/read',
    {
      schema: {
        summary: 'Marks notifications read: the ids given, or all',
        tags,
        body: markReadBody,
        response: { 200: z.object({ unreadCount: z.number().int() }) },
      },
      config: { repeatable: 'always' },
    },
    async (request) => ({
      unreadCount: await work.write(slugOf(request), (tx, at) =>
        markRead(tx, workActorOf(request.actor), request.body, at),
      ),
    }),
  );

  api.get(
    '/notifications/settings',
    {
      schema: {
        summary: 'How often your unread notifications are mailed',
        tags,
        response: { 200: notificationSettingsSchema },
      },
    },
    async (request) => {
      const actor = workActorOf(request.actor);
      return {
        emailDigest: actor.userId ? await work.read(slugOf(request), (db) => digestOf(db, actor.userId)) : 'off',
      };
    },
  );

  api.put(
    '/notifications/settings',
    {
      schema: {
        summary: 'Sets how often your unread notifications are mailed',
        tags,
        body: notificationSettingsSchema,
        response: { 200: notificationSettingsSchema },
      },
    },
    async (request) => ({
      emailDigest: await work.write(slugOf(request), (tx) =>
        setDigest(tx, workActorOf(request.actor), request.body.emailDigest),
      ),
    }),
  );
}
