import { sql, type Kysely } from 'kysely';
import { appendAudit } from './identity.audit.js';
import type { UserActor } from './identity.policy.js';
import type { IdentityDatabase } from './identity.tables.js';

/** A workspace's sign-in rules, kept in its `settings` table. */
export interface SecuritySettings {
  /** Everyone must have a second factor: someone without one is led to set it up before anything else. */
  readonly requireTwoFactor: boolean;
}

const keys = { requireTwoFactor: 'identity.require_two_factor' } as const;
const defaults: SecuritySettings = { requireTwoFactor: false };

export async function readSecuritySettings(db: Kysely<IdentityDatabase>): Promise<SecuritySettings> {
  const rows = await db
    .selectFrom('settings')
    .select(['key', 'value'])
    .where('key', 'in', Object.values(keys))
    .execute();
  const value = (key: string) => rows.find((row) => row.key === key)?.value;
  return { requireTwoFactor: value(keys.requireTwoFactor) === true ? true : defaults.requireTwoFactor };
}

export async function writeSecuritySettings(
  db: Kysely<IdentityDatabase>,
  actor: UserActor,
  change: Partial<SecuritySettings>,
  context: { ip?: string | undefined; at: Date },
): Promise<SecuritySettings> {
  return db.transaction().execute(async (tx) => {
    const before = await readSecuritySettings(tx);
    const after = { ...before, ...change };
    for (const name of Object.keys(keys) as Array<keyof SecuritySettings>) {
      if (after[name] === before[name]) continue;
      await tx
        .insertInto('settings')
        .values({ key: keys[name], value: JSON.stringify(after[name]), updated_at: context.at })
        .onConflict((conflict) =>
          conflict.column('key').doUpdateSet({ value: JSON.stringify(after[name]), updated_at: context.at }),
        )
        .execute();
      await appendAudit(
        tx,
        {
          actor: `user:${actor.name}`,
          action: 'security.setting_changed',
          target: name,
          ip: context.ip,
          detail: { from: before[name], to: after[name] },
        },
        context.at,
      );
    }
    return after;
  });
}

/**
 * True when the workspace requires a second factor and the person `users.id` has none: a SQL
 * expression for the queries that find a session's or a token's holder, so it costs no round trip.
 */
export const secondFactorMissing = sql<boolean>`(
  users.totp_enabled_at IS NULL
  AND EXISTS (SELECT 1 FROM settings WHERE key = ${keys.requireTwoFactor} AND value = 'true'::jsonb)
)`;
