import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Actor } from '../../platform/actor.js';
import type { PlatformTables } from '../../platform/db/schema.js';
import type { ApiScope } from '../../platform/http/api.js';
import { bearerToken, type Authenticator } from '../../platform/http/auth.js';
import { requireTenant } from '../tenancy/index.js';
import { assertCanWriteDrillJournal, drillService } from './replication.policy.js';

const drillWriteBody = z
  .object({
    sequence: z
      .number({ error: 'must be a positive integer' })
      .int('must be a positive integer')
      .min(1, 'must be a positive integer')
      .max(Number.MAX_SAFE_INTEGER, 'must be a positive integer')
      .describe("The load's sequence number."),
  })
  .strict();

const drillWriteReply = z.object({
  sequence: z.number().int(),
  written: z.boolean().describe('True when written by this request, false when an earlier one had written it.'),
  serverPort: z
    .number()
    .int()
    .describe('The port of the PostgreSQL server that answered (the drill tells the new primary from the old by it).'),
});

/** The failover drill's load, known by its bearer token (a process started with STEADFAST_DRILL_WRITE_TOKEN). */
export function drillAuthenticator(token: string): Authenticator {
  const expected = Buffer.from(token);
  return (request: FastifyRequest): Actor | undefined => {
    const presented = Buffer.from(bearerToken(request) ?? '');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
    return drillService;
  };
}

/**
 * The write a failover drill's load sends through the HTTP API, on a tenant's host: one row
 * per sequence number in the drill journal, written once however often it is sent (so a
 * retried request, with its Idempotency-Key, never counts twice). 201 when written now, 200
 * when it was already there; either way with the port of the server that answered.
 */
export async function drillApi(api: ApiScope, db: Kysely<PlatformTables>): Promise<void> {
  api.post(
    '/drill/writes',
    {
      config: { repeatable: 'idempotency-key', requestName: 'drill write' },
      // Who may write is settled before the body is looked at.
      preParsing: async (request, _reply, payload) => {
        assertCanWriteDrillJournal(request.actor);
        return payload;
      },
      schema: {
        summary: "A failover drill's write (only in a drill's own app process)",
        tags: ['replication'],
        security: [{ bearer: [] }],
        body: drillWriteBody,
        response: { 200: drillWriteReply, 201: drillWriteReply },
      },
    },
    async (request, reply) => {
      const tenant = requireTenant(request);
      const written = await recordDrillWrite(db, tenant.id, request.body.sequence);
      return reply.status(written.written ? 201 : 200).send({ sequence: request.body.sequence, ...written });
    },
  );
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
