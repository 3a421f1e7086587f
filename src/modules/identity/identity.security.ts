import { sql, type Kysely } from 'kysely';
import { appendAudit } from './identity.audit.js';
import type { UserActor } from './identity.policy.js';
import type { IdentityDatabase } from './identity.tables.js';

/** A workspace's sign-in rules, kept in its `settings` table. */
export interface SecuritySettings {
  /** Everyone must have a second factor: someone without one is led to set it up before anything else. */
  readonly requireTwoFactor: boolean;
  /** Addresses and CIDR blocks the workspace answers; empty: every address. */
  readonly ipAllowList: string[];
  /** The platform's staff enter only after an owner or admin approves their grant. */
  readonly supportApproval: boolean;
}

const keys = {
  requireTwoFactor: 'identity.require_two_factor',
  ipAllowList: 'identity.ip_allow_list',
  supportApproval: 'identity.support_approval',
} as const;

export async function readSecuritySettings(db: Kysely<IdentityDatabase>): Promise<SecuritySettings> {
  const rows = await db
    .selectFrom('settings')
    .select(['key', 'value'])
    .where('key', 'in', Object.values(keys))
    .execute();
  const value = (key: string) => rows.find((row) => row.key === key)?.value;
  const list = value(keys.ipAllowList);
  return {
    requireTwoFactor: value(keys.requireTwoFactor) === true,
    ipAllowList: Array.isArray(list) ? list.filter((entry): entry is string => typeof entry === 'string') : [],
    supportApproval: value(keys.supportApproval) === true,
  };
}

/** What an audit entry says changed: a flag's old and new value, a list's additions and removals. */
function changeDetail(before: SecuritySettings, after: SecuritySettings, name: keyof SecuritySettings) {
  if (name === 'ipAllowList')
    return {
      added: after.ipAllowList.filter((entry) => !before.ipAllowList.includes(entry)),
      removed: before.ipAllowList.filter((entry) => !after.ipAllowList.includes(entry)),
      entries: after.ipAllowList.length,
    };
  return { from: before[name], to: after[name] };
}

export async function writeSecuritySettings(
  db: Kysely<IdentityDatabase>,
  actor: UserActor,
  change: Partial<SecuritySettings>,
  context: { ip?: string | undefined; at: Date },
): Promise<SecuritySettings> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('steadfast.security_settings'))`.execute(tx);
    const before = await readSecuritySettings(tx);
    const after = { ...before, ...change };
    for (const name of Object.keys(keys) as Array<keyof SecuritySettings>) {
      const value = JSON.stringify(after[name]);
      if (value === JSON.stringify(before[name])) continue;
      await tx
        .insertInto('settings')
        .values({ key: keys[name], value, updated_at: context.at })
        .onConflict((conflict) => conflict.column('key').doUpdateSet({ value, updated_at: context.at }))
        .execute();
      await appendAudit(
        tx,
        {
          actor: `user:${actor.name}`,
          action: 'security.setting_changed',
          target: name,
          ip: context.ip,
          detail: changeDetail(before, after, name),
        },
        context.at,
      );
    }
    return after;
  });
}

/** The allow-list alone, for the per-request check (cached per process). */
export async function readAllowList(db: Kysely<IdentityDatabase>): Promise<string[]> {
  return (await readSecuritySettings(db)).ipAllowList;
}

/**
 * True when the workspace requires a second factor and the person `users.id` has none: a SQL
 * expression for the queries that find a session's or a token's holder, so it costs no round trip.
 */
export const secondFactorMissing = sql<boolean>`(
  users.totp_enabled_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM passkeys WHERE passkeys.user_id = users.id)
  AND EXISTS (SELECT 1 FROM settings WHERE key = ${keys.requireTwoFactor} AND value = 'true'::jsonb)
)`;
