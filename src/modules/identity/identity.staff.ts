import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../platform/clock/clock.js';
import type { PlatformTables } from '../../platform/db/schema.js';
import { appendPlatformAudit } from '../../platform/db/platform-audit.js';
import { appError } from '../../platform/errors.js';
import { assertStrongPassword, checkPassword, decoyHash, hashPassword } from './identity.passwords.js';
import type { StaffDatabase, StaffTable, StaffTables } from './identity.staff-tables.js';
import { newSecret, secretHash } from './identity.tokens.js';
import { newTotpSecret, openTotpSecret, totpStep } from './identity.totp.js';

/**
 * The platform's staff: accounts in the platform database with a password and a mandatory
 * authenticator app, made from the host (`steadfast staff create`) with a one-time setup link,
 * and their console sessions (shorter than a workspace's: 30 minutes idle, 12 hours in all).
 * Every change and every sign-in, failed or not, goes to the platform audit log.
 */
export interface StaffServiceDeps {
  readonly db: Kysely<PlatformTables>;
  readonly clock: Clock;
  /** The platform's secret key: authenticator seeds are sealed under it. */
  readonly secretKey: string;
  /** The console's address, e.g. https://console.example.com: setup links point there. */
  readonly consoleUrl: string;
}

export interface StaffView {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  /** `setup`: the setup link has not been used yet (or was renewed). */
  readonly status: 'setup' | 'active' | 'disabled';
  readonly createdAt: Date;
}

/** A live console session and its owner. */
export interface StaffHolder {
  readonly sessionId: string;
  readonly staffId: string;
  readonly email: string;
  readonly name: string;
}

export interface StaffSignedIn {
  readonly token: string;
  readonly holder: StaffHolder;
}

export interface Client {
  readonly ip?: string | undefined;
  readonly userAgent?: string | undefined;
}

export const staffSessionLimits = { idleMinutes: 30, absoluteHours: 12 } as const;
export const setupLinkHours = 24;
/** Wrong sign-ins before an account backs off: then 1, 2, 4 … minutes (at most an hour) per further failure. */
const freeFailures = 5;
const touchEverySeconds = 60;
const issuer = 'Steadfast console';

const normalEmail = (email: string): string => email.trim().toLowerCase();

function present(row: Selectable<StaffTable>): StaffView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    status: row.disabled_at ? 'disabled' : row.password_hash ? 'active' : 'setup',
    createdAt: row.created_at,
  };
}

export class StaffService {
  private readonly db: StaffDatabase;

  constructor(private readonly deps: StaffServiceDeps) {
    this.db = deps.db.withTables<StaffTables>();
  }

  /** Where the console is: setup links point there. */
  get consoleUrl(): string {
    return this.deps.consoleUrl;
  }

  /** Writes one entry of the platform audit log (who, what, which workspace if any). */
  async audit(
    entry: { actor: string; action: string; tenant?: string | undefined; detail?: Record<string, unknown> },
    db: StaffDatabase = this.db,
  ): Promise<void> {
    await appendPlatformAudit(db, {
      at: this.deps.clock.now(),
      actor: entry.actor,
      action: entry.action,
      tenantSlug: entry.tenant ?? null,
      detail: entry.detail,
    });
  }

  /** The platform audit log, newest first. */
  async auditEntries(limit = 200) {
    const rows = await this.db
      .selectFrom('platform_audit')
      .select(['id', 'at', 'actor', 'action', 'tenant_slug', 'detail'])
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ ...row, id: String(row.id) }));
  }

  async list(): Promise<StaffView[]> {
    return (await this.db.selectFrom('staff').selectAll().orderBy('email').execute()).map(present);
  }

  async find(id: string): Promise<StaffView | undefined> {
    const row = await this.db.selectFrom('staff').selectAll().where('id', '=', id).executeTakeFirst();
    return row && present(row);
  }

  /** Makes a staff account and returns its one-time setup link (password and authenticator app are chosen there). */
  async create(input: { email: string; name: string }, actor: string): Promise<{ staff: StaffView; link: string }> {
    const email = normalEmail(input.email);
    if (!/^[^\s@]+@[^\s@]+$/.test(email))
      throw appError('VALIDATION_FAILED', `"${input.email}" is not an email address.`);
    const token = newSecret();
    const now = this.deps.clock.now();
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx.selectFrom('staff').select('id').where('email', '=', email).executeTakeFirst();
      if (existing)
        throw appError(
          'VALIDATION_FAILED',
          `There is already a staff account for ${email}. For a new setup link, run: steadfast staff link ${email}`,
        );
      const row = await tx
        .insertInto('staff')
        .values({
          email,
          name: input.name,
          created_at: now,
          setup_token_hash: secretHash(token),
          setup_expires_at: new Date(now.getTime() + setupLinkHours * 3_600_000),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.audit({ actor, action: 'staff.created', detail: { email } }, tx);
      return { staff: present(row), link: this.setupUrl(token) };
    });
  }

  /**
   * A new setup link for an account (a lost phone, a forgotten password): the password and the
   * authenticator app are cleared and every session ends, so only the link's holder gets in again.
   */
  async renewSetup(emailGiven: string, actor: string): Promise<string> {
    const email = normalEmail(emailGiven);
    const token = newSecret();
    const now = this.deps.clock.now();
    await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable('staff')
        .set({
          password_hash: null,
          totp_secret: null,
          totp_last_step: null,
          failed_sign_ins: 0,
          locked_until: null,
          disabled_at: null,
          setup_token_hash: secretHash(token),
          setup_expires_at: new Date(now.getTime() + setupLinkHours * 3_600_000),
        })
        .where('email', '=', email)
        .returning('id')
        .executeTakeFirst();
      if (!row) throw unknownStaff(email);
      await endSessions(tx, row.id, now);
      await this.audit({ actor, action: 'staff.setup_renewed', detail: { email } }, tx);
    });
    return this.setupUrl(token);
  }

  /** Disables an account: its sessions end, its support sessions with them (their grants need a live account). */
  async disable(emailGiven: string, actor: string): Promise<void> {
    const email = normalEmail(emailGiven);
    const now = this.deps.clock.now();
    await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable('staff')
        .set({ disabled_at: now, setup_token_hash: null, setup_expires_at: null })
        .where('email', '=', email)
        .returning('id')
        .executeTakeFirst();
      if (!row) throw unknownStaff(email);
      await endSessions(tx, row.id, now);
      await this.audit({ actor, action: 'staff.disabled', detail: { email } }, tx);
    });
  }

  private setupUrl(token: string): string {
    return `${this.deps.consoleUrl}/setup#token=${token}`;
  }

  private async setupRow(db: StaffDatabase, token: string): Promise<Selectable<StaffTable>> {
    const row = await db
      .selectFrom('staff')
      .selectAll()
      .where('setup_token_hash', '=', secretHash(token))
      .where('disabled_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!row || !row.setup_expires_at || row.setup_expires_at <= this.deps.clock.now())
      throw appError(
        'RESET_INVALID',
        'This setup link has expired or was used already. Ask an operator for a new one (steadfast staff link <email>).',
      );
    return row;
  }

  /**
   * Opens a setup link: who it is for, and the authenticator secret to scan (kept sealed until the
   * setup is finished with a code from it; opening the link again shows the same one, so a page
   * reloaded after scanning still matches the phone).
   */
  async openSetup(token: string): Promise<{ email: string; name: string; secret: string; otpauthUrl: string }> {
    return this.db.transaction().execute(async (tx) => {
      const row = await this.setupRow(tx, token);
      const label = { issuer, account: row.email };
      if (row.totp_secret)
        return { email: row.email, name: row.name, ...openTotpSecret(this.deps.secretKey, row.totp_secret, label) };
      const totp = newTotpSecret(this.deps.secretKey, label);
      await tx
        .updateTable('staff')
        .set({ totp_secret: totp.sealed, totp_last_step: null })
        .where('id', '=', row.id)
        .execute();
      return { email: row.email, name: row.name, secret: totp.secret, otpauthUrl: totp.otpauthUrl };
    });
  }

  /** Finishes a setup: a strong password and the first code from the app; the link is spent and a session starts. */
  async completeSetup(
    input: { token: string; password: string; code: string },
    client: Client,
  ): Promise<StaffSignedIn> {
    const now = this.deps.clock.now();
    return this.db.transaction().execute(async (tx) => {
      const row = await this.setupRow(tx, input.token);
      assertStrongPassword(input.password, [row.email, row.name]);
      if (!row.totp_secret)
        throw appError('TWO_FACTOR_STATE', 'Open the setup link again: it shows the code to scan first.');
      const step = await totpStep(row.totp_secret, input.code, null, { secretKey: this.deps.secretKey, at: now });
      if (step === undefined)
        throw appError(
          'SECOND_FACTOR_FAILED',
          'That code is not the one your authenticator app shows now. Check the phone’s time is set automatically, and type the newest code.',
        );
      await tx
        .updateTable('staff')
        .set({
          password_hash: await hashPassword(input.password),
          totp_last_step: step,
          setup_token_hash: null,
          setup_expires_at: null,
        })
        .where('id', '=', row.id)
        .execute();
      await this.audit({ actor: `staff:${row.email}`, action: 'staff.setup_completed', detail: { ip: client.ip } }, tx);
      return this.startSession(tx, row, client);
    });
  }

  /**
   * Signs in with all three: address, password and a code from the authenticator app. One answer
   * for every wrong part; after five failures the account backs off (1, 2, 4 … minutes).
   */
  async signIn(input: { email: string; password: string; code: string }, client: Client): Promise<StaffSignedIn> {
    const email = normalEmail(input.email);
    const now = this.deps.clock.now();
    const row = await this.db.selectFrom('staff').selectAll().where('email', '=', email).executeTakeFirst();
    if (row?.locked_until && row.locked_until > now) {
      const minutes = Math.ceil((row.locked_until.getTime() - now.getTime()) / 60_000);
      throw appError(
        'TOO_MANY_ATTEMPTS',
        `Too many wrong sign-ins for this account. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      );
    }
    const password = await checkPassword(row?.password_hash ?? (await decoyHash()), input.password);
    const step =
      row?.totp_secret && password.ok
        ? await totpStep(row.totp_secret, input.code, row.totp_last_step, { secretKey: this.deps.secretKey, at: now })
        : undefined;
    if (!row || row.disabled_at || !row.password_hash || !password.ok || step === undefined) {
      if (row) await this.recordFailure(row, now);
      await this.audit({ actor: 'anonymous', action: 'staff.sign_in_failed', detail: { email, ip: client.ip } });
      throw appError(
        'SIGN_IN_FAILED',
        'The email address, the password or the code is wrong (a code is good once: wait for the next one).',
      );
    }
    const newHash = password.rehash ? await hashPassword(input.password) : undefined;
    return this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('staff')
        .set({
          totp_last_step: step,
          failed_sign_ins: 0,
          locked_until: null,
          ...(newHash ? { password_hash: newHash } : {}),
        })
        .where('id', '=', row.id)
        .execute();
      await this.audit({ actor: `staff:${row.email}`, action: 'staff.signed_in', detail: { ip: client.ip } }, tx);
      return this.startSession(tx, row, client);
    });
  }

  private async recordFailure(row: Selectable<StaffTable>, now: Date): Promise<void> {
    const failures = row.failed_sign_ins + 1;
    const minutes = failures >= freeFailures ? Math.min(2 ** (failures - freeFailures), 60) : 0;
    await this.db
      .updateTable('staff')
      .set({ failed_sign_ins: failures, locked_until: minutes ? new Date(now.getTime() + minutes * 60_000) : null })
      .where('id', '=', row.id)
      .execute();
  }

  private async startSession(db: StaffDatabase, row: Selectable<StaffTable>, client: Client): Promise<StaffSignedIn> {
    const token = newSecret();
    const now = this.deps.clock.now();
    const session = await db
      .insertInto('staff_sessions')
      .values({
        staff_id: row.id,
        token_hash: secretHash(token),
        created_at: now,
        last_seen_at: now,
        expires_at: new Date(now.getTime() + staffSessionLimits.absoluteHours * 3_600_000),
        ip: client.ip ?? null,
        user_agent: client.userAgent?.slice(0, 500) ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { token, holder: { sessionId: session.id, staffId: row.id, email: row.email, name: row.name } };
  }

  /** Whose live session a cookie's token is, or undefined (ended, idle too long, past its end, account disabled). */
  async holder(token: string): Promise<StaffHolder | undefined> {
    const now = this.deps.clock.now();
    const row = await this.db
      .selectFrom('staff_sessions as s')
      .innerJoin('staff', 'staff.id', 's.staff_id')
      .select(['s.id as sessionId', 's.last_seen_at', 'staff.id as staffId', 'staff.email', 'staff.name'])
      .where('s.token_hash', '=', secretHash(token))
      .where('s.ended_at', 'is', null)
      .where('s.expires_at', '>', now)
      .where('s.last_seen_at', '>', new Date(now.getTime() - staffSessionLimits.idleMinutes * 60_000))
      .where('staff.disabled_at', 'is', null)
      .where('staff.password_hash', 'is not', null)
      .executeTakeFirst();
    if (!row) return undefined;
    if (now.getTime() - row.last_seen_at.getTime() > touchEverySeconds * 1000)
      await this.db.updateTable('staff_sessions').set({ last_seen_at: now }).where('id', '=', row.sessionId).execute();
    return { sessionId: row.sessionId, staffId: row.staffId, email: row.email, name: row.name };
  }

  async signOut(holder: { sessionId: string; email: string }, client: Client): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('staff_sessions')
        .set({ ended_at: this.deps.clock.now() })
        .where('id', '=', holder.sessionId)
        .execute();
      await this.audit({ actor: `staff:${holder.email}`, action: 'staff.signed_out', detail: { ip: client.ip } }, tx);
    });
  }
}

/** Ends every console session of an account (a renewed setup, a disabled account). */
async function endSessions(db: StaffDatabase, staffId: string, at: Date): Promise<void> {
  await db
    .updateTable('staff_sessions')
    .set({ ended_at: at })
    .where('staff_id', '=', staffId)
    .where('ended_at', 'is', null)
    .execute();
}

function unknownStaff(email: string) {
  return appError('NOT_FOUND', `There is no staff account for ${email}. List them with: steadfast staff list`);
}
