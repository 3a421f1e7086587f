import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { buildHttp } from '../../src/app/http.js';
import type { Platform } from '../../src/app/deps.js';

/** The real HTTP app over a test platform, driven with app.inject(). */
export async function buildTestApp(platform: Platform): Promise<FastifyInstance> {
  const app = await buildHttp(platform);
  await app.ready();
  return app;
}

/** The Host header of a tenant's address. */
export function hostOf(slug: string, port = 8080): string {
  return `${slug}.localhost:${port}`;
}

/** A real HTTP request with our own Host header (fetch does not let us set it). */
export function getWithHost(
  port: number,
  url: string,
  host: string,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: url, headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    request.on('error', reject);
  });
}

/** A real HTTP request with our own Host header and a JSON body (fetch does not let us set Host). */
export function sendWithHost(
  port: number,
  request: { method: string; url: string; host: string; body?: unknown; headers?: Record<string, string> },
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.url,
        headers: {
          host: request.host,
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...request.headers,
        },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}
