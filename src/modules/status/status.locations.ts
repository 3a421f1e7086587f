import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock/clock.js';
import { appError } from '../../platform/errors.js';
import { audit, type StatusDb } from './status.tables.js';

/** What a probe location's token starts with (so a leaked one is recognisable, and no workspace token is mistaken for it). */
export const probeTokenPrefix = 'sfprobe_';

const tokenHash = (token: string): Buffer => createHash('sha256').update(token).digest();

export interface ProbeLocation {
  readonly name: string;
  readonly createdAt: Date;
  readonly lastReportAt: Date | undefined;
  readonly revokedAt: Date | undefined;
}

/**
 * Where probes run besides the platform itself: each remote runner (`steadfast probe`) reports
 * as a named location with its own token, shown once and stored hashed; revoking it refuses the
 * runner's next report.
 */
export class ProbeLocations {
  constructor(
    private readonly db: StatusDb,
    private readonly clock: Clock,
  ) {}

  async add(name: string, author: string): Promise<{ location: ProbeLocation; token: string }> {
    if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(name))
      throw appError(
        'VALIDATION_FAILED',
        `A probe location's name is 1 to 40 lowercase letters, digits and dashes (like dc2 or eu-west), not "${name}".`,
      );
    if (name === 'local')
      throw appError('VALIDATION_FAILED', '"local" is the platform\'s own runner; choose another name.');
    const token = `${probeTokenPrefix}${randomBytes(32).toString('base64url')}`;
    await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('status_locations')
        .values({ name, token_hash: tokenHash(token) })
        .onConflict((conflict) =>
          conflict
            .column('name')
            .doUpdateSet({ token_hash: tokenHash(token), revoked_at: null })
            .where('status_locations.revoked_at', 'is not', null),
        )
        .returning('name')
        .executeTakeFirst();
      if (!row)
        throw appError(
          'ALREADY_EXISTS',
          `There is already a probe location ${name}; revoke it first to give it a new token.`,
        );
      await audit(tx, { actor: author, action: 'status.location_added', tenantSlug: null, detail: { location: name } });
    });
    return { location: await this.get(name), token };
  }

  async revoke(name: string, author: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable('status_locations')
        .set({ revoked_at: this.clock.now() })
        .where('name', '=', name)
        .where('revoked_at', 'is', null)
        .returning('name')
        .executeTakeFirst();
      if (!row) throw appError('NOT_FOUND', `There is no active probe location ${name}.`);
      await audit(tx, {
        actor: author,
        action: 'status.location_revoked',
        tenantSlug: null,
        detail: { location: name },
      });
    });
  }

  async list(): Promise<ProbeLocation[]> {
    const rows = await this.db.selectFrom('status_locations').selectAll().orderBy('name').execute();
    return rows.map((row) => ({
      name: row.name,
      createdAt: row.created_at,
      lastReportAt: row.last_report_at ?? undefined,
      revokedAt: row.revoked_at ?? undefined,
    }));
  }

  async get(name: string): Promise<ProbeLocation> {
    const found = (await this.list()).find((location) => location.name === name);
    if (!found) throw appError('NOT_FOUND', `There is no probe location ${name}.`);
    return found;
  }

  /** The location a token belongs to (not revoked), noting that it reported; undefined for any other token. */
  async authenticate(token: string): Promise<string | undefined> {
    if (!token.startsWith(probeTokenPrefix)) return undefined;
    const row = await this.db
      .updateTable('status_locations')
      .set({ last_report_at: this.clock.now() })
      .where('token_hash', '=', tokenHash(token))
      .where('revoked_at', 'is', null)
      .returning('name')
      .executeTakeFirst();
    return row?.name;
  }
}
