import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import type { IdentityDatabase, Role, TokenScope } from './identity.tables.js';
import { newSecret, secretHash } from './identity.tokens.js';
import { secondFactorMissing } from './identity.security.js';

/** What a token's bearer is: its owner, with the token's scope. */
export interface TokenHolder {
  readonly tokenId: string;
  readonly userId: string;
  readonly email: string;
  readonly role: Role;
  readonly scope: TokenScope;
  /** Set when this use is the first in an hour: the use is then audited. */
  readonly firstUseInHour: boolean;
  /** The workspace requires a second factor and the token's owner has none yet. */
  readonly secondFactorMissing: boolean;
}

export interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly scope: TokenScope;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly lastUsedAt: Date | null;
}

/** Personal API tokens look like `sft_<43 characters>`: a prefix secret scanners can look for. */
export const tokenPrefix = 'sft_';

/** How often a token's use is written down (last_used_at, and an audit entry). */
const recordUseEveryMs = 3_600_000;

/** Personal API tokens of one workspace, stored as their hash; shown once when made. */
export class TokenStore {
  constructor(
    private readonly db: Kysely<IdentityDatabase>,
    private readonly clock: Clock,
  ) {}

  async create(
    userId: string,
    input: { name: string; scope: TokenScope; expiresInDays: number },
  ): Promise<{ token: string; view: TokenView }> {
    const token = `${tokenPrefix}${newSecret()}`;
    const now = this.clock.now();
    const row = await this.db
      .insertInto('api_tokens')
      .values({
        token_hash: secretHash(token),
        user_id: userId,
        name: input.name,
        scope: input.scope,
        created_at: now,
        expires_at: new Date(now.getTime() + input.expiresInDays * 86_400_000),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { token, view: present(row) };
  }

  /** The live token's holder (not revoked, not expired, its owner not disabled), or undefined. */
  async holder(token: string): Promise<TokenHolder | undefined> {
    if (!token.startsWith(tokenPrefix)) return undefined;
    const now = this.clock.now();
    const row = await this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select([
        'api_tokens.id',
        'api_tokens.scope',
        'api_tokens.last_used_at',
        'users.id as userId',
        'users.email',
        'users.role',
      ])
      .select(secondFactorMissing.as('secondFactorMissing'))
      .where('api_tokens.token_hash', '=', secretHash(token))
      .where('api_tokens.revoked_at', 'is', null)
      .where('api_tokens.expires_at', '>', now)
      .where('users.disabled_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    const firstUseInHour = !row.last_used_at || now.getTime() - row.last_used_at.getTime() >= recordUseEveryMs;
    return {
      tokenId: row.id,
      userId: row.userId,
      email: row.email,
      role: row.role,
      scope: row.scope,
      firstUseInHour,
      secondFactorMissing: row.secondFactorMissing,
    };
  }

  /**
   * Records a use of the token (at most one an hour is written); true for the request that wrote
   * it, so that one use an hour is audited however many processes see it at once.
   */
  async recordUse(tokenId: string): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.db
      .updateTable('api_tokens')
      .set({ last_used_at: now })
      .where('id', '=', tokenId)
      .where((eb) =>
        eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', new Date(now.getTime() - recordUseEveryMs))]),
      )
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async list(userId: string): Promise<TokenView[]> {
    const rows = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', this.clock.now())
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(present);
  }

  /** Revokes one of a person's live tokens: its name, or undefined when there is no such token. */
  async revoke(userId: string, tokenId: string): Promise<string | undefined> {
    const row = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: this.clock.now() })
      .where('id', '=', tokenId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .returning('name')
      .executeTakeFirst();
    return row?.name;
  }
}

function present(row: {
  id: string;
  name: string;
  scope: TokenScope;
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
}): TokenView {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  };
}
