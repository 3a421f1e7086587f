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
