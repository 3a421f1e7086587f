import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { PlatformTables } from '../../platform/db/schema.js';
import { appError } from '../../platform/errors.js';
import { registerTenantContext, requireTenant, type TenancyService } from '../tenancy/index.js';

export interface DrillRoutesOptions {
  readonly tenancy: TenancyService;
  readonly baseDomain: string;
  readonly db: Kysely<PlatformTables>;
  /** The bearer token the drill's load presents; the routes exist only where one is configured. */
  readonly token: string;
}

const drillWriteBody = z.object({ sequence: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }).strict();

/**
 * The write a failover drill's load sends through the HTTP API, on a tenant's host: one row
 * per sequence number in the drill journal, written once however often it is sent (so a
 * retried request, with its Idempotency-Key, never counts twice). 201 when written now, 200
 * when it was already there; either way with the port of the server that answered.
 */
export async function drillRoutes(app: FastifyInstance, options: DrillRoutesOptions): Promise<void> {
  registerTenantContext(app, options.tenancy, options.baseDomain);
  app.post('/api/v1/drill/writes', { config: { repeatable: 'idempotency-key' } }, async (request, reply) => {
    requireBearer(request, options.token);
    const tenant = requireTenant(request);
    const parsed = drillWriteBody.safeParse(request.body);
    if (!parsed.success)
      throw appError(
        'VALIDATION_FAILED',
        `The body must be {"sequence": <a positive integer>}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}.`,
      );
    const written = await recordDrillWrite(options.db, tenant.id, parsed.data.sequence);
    return reply.status(written.written ? 201 : 200).send({ sequence: parsed.data.sequence, ...written });
  });
}

/** Writes the journal row once; says whether it was written now, and by which server (its port: the drill tells the new primary from the old by it). */
async function recordDrillWrite(
  db: Kysely<PlatformTables>,
  tenantId: string,
  sequence: number,
): Promise<{ written: boolean; serverPort: number }> {
  const { rows } = await sql<{ written: boolean; serverPort: number }>`
    WITH made AS (INSERT INTO drill_writes (tenant_id, sequence) VALUES (${tenantId}, ${sequence}) ON CONFLICT DO NOTHING RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM made) AS written, inet_server_port() AS "serverPort"`.execute(db);
  return rows[0]!;
}

function requireBearer(request: FastifyRequest, token: string): void {
  const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
  const [a, b] = [Buffer.from(presented), Buffer.from(token)];
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw appError(
      'UNAUTHENTICATED',
      'This endpoint takes the drill token as "Authorization: Bearer <token>"; the one sent is missing or wrong.',
    );
  }
}
