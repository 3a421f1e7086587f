import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError } from '../../platform/errors.js';
import { escapeHtml } from './status.html.js';
import type { StatusSubscribers } from './status.subscribers.js';

/** A small page in the status page's style: a heading, a message, and perhaps a form. */
function page(title: string, heading: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(
    `${heading} · ${title}`,
  )}</title><link rel="stylesheet" href="/style.css"></head><body><main><p><a href="/">← ${escapeHtml(title)}</a></p><h1>${escapeHtml(heading)}</h1><section>${body}</section></main></body></html>\n`;
}

/** A form of one button that posts `token` to `action`. */
const buttonForm = (action: string, token: string, label: string): string =>
  `<form method="post" action="${action}"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">${escapeHtml(label)}</button></form>`;

const field = (request: FastifyRequest, name: string): string => {
  const body = request.body as Record<string, unknown> | undefined;
  const query = request.query as Record<string, unknown>;
  const value = body?.[name] ?? query[name];
  return typeof value === 'string' ? value : '';
};

/**
 * Subscribing to the status page by email, on `status.<base domain>`: the page's form posts here;
 * the confirmation and unsubscribe links of the mail open a page with one button (a link
 * scanner's GET changes nothing); mail clients' one-click unsubscribe posts to the same address
 * (RFC 8058). Answers are pages, since people arrive from a form or a mail; a bad link says why.
 */
export async function subscribeRoutes(
  parent: FastifyInstance,
  subscribers: StatusSubscribers,
  title: () => string,
  /** Limits the route that sends mail to a new address (the links carry their own proof). */
  rateLimited: (scope: FastifyInstance) => Promise<void>,
): Promise<void> {
  await parent.register((app) => subscriptionScope(app, subscribers, title, rateLimited));
}

async function subscriptionScope(
  app: FastifyInstance,
  subscribers: StatusSubscribers,
  title: () => string,
  rateLimited: (scope: FastifyInstance) => Promise<void>,
): Promise<void> {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  // A mail client's one-click unsubscribe (RFC 8058) posts "List-Unsubscribe=One-Click" as
  // multipart/form-data; the token is in the address, so the body is read and set aside.
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, _body, done) => done(null, {}),
  );
  const html = (reply: FastifyReply, status: number, heading: string, body: string) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(page(title(), heading, body));
  /** Runs `work`, answering a person's mistake (a bad address or link) as a page that says what it was. */
  const answer = async (reply: FastifyReply, work: () => Promise<FastifyReply>) => {
    try {
      return await work();
    } catch (error) {
      if (!isAppError(error) || error.status >= 500) throw error;
      return html(reply, error.status, 'That did not work', `<p>${escapeHtml(error.message)}</p>`);
    }
  };

  await app.register(async (limited) => {
    await rateLimited(limited);
    limited.post('/subscribe', (request, reply) =>
      answer(reply, async () => {
        const email = field(request, 'email');
        await subscribers.subscribe(email);
        return html(
          reply,
          200,
          'Check your inbox',
          `<p>If ${escapeHtml(email.trim())} is not subscribed yet, a link to confirm is on its way to it. Open it within 48 hours; until then nothing else is sent.</p>`,
        );
      }),
    );
  });
  app.get('/subscribe/confirm', (request, reply) =>
    html(
      reply,
      200,
      'Confirm your subscription',
      `<p>You will get an email when an incident is reported or maintenance is announced.</p>${buttonForm('/subscribe/confirm', field(request, 'token'), 'Confirm subscription')}`,
    ),
  );
  app.post('/subscribe/confirm', (request, reply) =>
    answer(reply, async () => {
      const token = field(request, 'token');
      const { email } = await subscribers.confirm(token);
      return html(
        reply,
        200,
        'You are subscribed',
        `<p>${escapeHtml(email)} will get an email when an incident is reported or maintenance is announced. Every email has a link to unsubscribe with one click.</p>`,
      );
    }),
  );
  app.get('/unsubscribe', (request, reply) =>
    html(
      reply,
      200,
      'Unsubscribe',
      `<p>Stop getting emails about incidents and maintenance.</p>${buttonForm('/unsubscribe', field(request, 'token'), 'Unsubscribe')}`,
    ),
  );
  app.post('/unsubscribe', (request, reply) =>
    answer(reply, async () => {
      const { email } = await subscribers.unsubscribe(field(request, 'token'));
      return html(
        reply,
        200,
        'You are unsubscribed',
        `<p>${escapeHtml(email)} will get no more emails from this status page. You can subscribe again on the page at any time.</p>`,
      );
    }),
  );
}
