import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { appError } from '../platform/errors.js';
import { escapeHtml, page } from '../platform/http/html.js';

/** Where `vite build` puts the browser app (web/dist, never committed; built by `npm start` and `npm test`). */
export const webDist = path.resolve(import.meta.dirname, '../../web/dist');

/**
 * The browser app on every workspace's host and the console's: its hashed files under /assets
 * (cached for a year), and for any other page a browser asks for, the app's index.html with the
 * workspace's name (or "Console") in its title (the app's own router shows the page). API paths are never answered here.
 */
export async function registerWebApp(
  scope: FastifyInstance,
  options: { title: (request: FastifyRequest) => string; dist?: string },
): Promise<void> {
  const dist = options.dist ?? webDist;
  const index = existsSync(path.join(dist, 'index.html'))
    ? await readFile(path.join(dist, 'index.html'), 'utf8')
    : undefined;
  if (index && existsSync(path.join(dist, 'assets')))
    await scope.register(fastifyStatic, {
      root: path.join(dist, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      immutable: true,
      maxAge: '365d',
      index: false,
    });

  const answer = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.url.startsWith('/api/') || !acceptsHtml(request))
      throw appError('ROUTE_NOT_FOUND', `There is no ${request.method} ${request.url.split('?')[0]} here.`);
    const title = options.title(request);
    reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8');
    if (!index)
      return reply
        .status(503)
        .send(
          page(
            title,
            `<h1>${escapeHtml(title)}</h1><p>The web app is not built yet. Run <code>npm run build:web</code> (npm start does it), then reload.</p>`,
          ),
        );
    return reply.send(index.replace('<title>Steadfast</title>', `<title>${escapeHtml(title)} · Steadfast</title>`));
  };
  scope.get('/', answer);
  scope.get('/*', answer);
}

const acceptsHtml = (request: FastifyRequest): boolean => /text\/html|\*\/\*/.test(request.headers.accept ?? '*/*');
