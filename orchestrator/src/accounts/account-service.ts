import { normaliseRegistrationNumber, registrationNumberProblem } from '../billing/registration-number.ts';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import {
  auditScope,
  mayAdministerPlatform,
  mayAssignRole,
  mayChangeUser,
  mayManageUsersOf,
  ROLES_BY_ORG_KIND,
} from '../access/account-access.ts';
import { CLI_USER_ID, type Principal, type Role } from '../access/principal.ts';
import { mayWatchExercise } from '../access/exercise-access.ts';
import { ORGANISATION_CATEGORIES } from '../store/schema.ts';
import { CyropError, isCyropError } from '../errors.ts';
import type { Db } from '../store/database.ts';
import type {
  OrganisationCategory,
  OrganisationKind,
  OrganisationsTable,
  UsersTable,
} from '../store/schema.ts';
import { hashJoinCode, newJoinCode } from './join-code.ts';
import { claimMembership } from './team-members.ts';
import {
  DEFAULT_JOIN_RATE_LIMITS,
  DEFAULT_LOGIN_RATE_LIMITS,
  isFirstRefusal,
  JoinRateLimiter,
  LoginRateLimiter,
  type JoinRateLimits,
  type LoginRateLimits,
} from './login-rate-limiter.ts';
import type { AttemptOutcome } from './attempt-throttle.ts';
import {
  DEFAULT_PASSWORD_CHECK_LIMITS,
  PasswordCheckGate,
  type PasswordCheckLimits,
  type PasswordCheckStats,
} from './password-check-gate.ts';
import { DEFAULT_PASSWORD_COST, hashPassword, verifyPassword } from './password-hash.ts';

export interface AccountServiceOptions {
  db: Db;
  clock?: () => number;
  /** scrypt cost as log2(N); tests may lower it, production keeps the default (15). */
  passwordCost?: number;
  /** A session unused this long is over (2 h). */
  sessionIdleMs?: number;
  /** A session is over this long after sign-in, used or not (12 h). */
  sessionAbsoluteMs?: number;
  loginLimits?: LoginRateLimits;
  joinLimits?: JoinRateLimits;
  /** Password checks (scrypt) at once and waiting; beyond, refused at once. */
  passwordChecks?: PasswordCheckLimits;
}

export interface Organisation {
  id: string;
  name: string;
  kind: OrganisationKind;
  createdAt: number;
  /** CYNEX member category (null: the operator, or not set yet). */
  category: OrganisationCategory | null;
  contactName: string | null;
  contactEmail: string | null;
  contactPhone: string | null;
  postalAddress: string | null;
  /** Qualified-invoice issuer registration number: `T` + 13 digits. */
  invoiceRegistrationNumber: string | null;
  disabled: boolean;
  disabledAt: number | null;
}

/** What an operator may set on an organisation; null clears a detail. */
export interface OrganisationDetails {
  name?: string;
  kind?: OrganisationKind;
  category?: OrganisationCategory | null;
  contactName?: string | null;
  contactEmail?: string | null;
  contactPhone?: string | null;
  postalAddress?: string | null;
  invoiceRegistrationNumber?: string | null;
}

export { ORGANISATION_CATEGORIES };

export type Language = 'en' | 'ja';

/** One of a user's sessions, as its owner sees it (the id is not the cookie, nor its stored hash). */
export interface SessionInfo {
  id: string;
  kind: 'user' | 'participant';
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  /** The session of the request that asked. */
  current: boolean;
  exerciseId: string | null;
  teamId: string | null;
}

export interface AuditFilter {
  orgId?: string;
  actor?: string;
  actionPrefix?: string;
  targetPrefix?: string;
  /** epoch ms, inclusive */
  from?: number;
  /** epoch ms, exclusive */
  to?: number;
  limit?: number;
  before?: number;
}

export interface PlatformCounts {
  organisations: number;
  disabledOrganisations: number;
  users: number;
  disabledUsers: number;
  exercisesRunning: number;
  exercises: number;
  sessions: number;
}

export interface User {
  id: string;
  orgId: string;
  email: string;
  name: string;
  role: Role;
  mustChangePassword: boolean;
  disabled: boolean;
  createdAt: number;
  preferredLanguage: Language | null;
}

/** A new session: the token goes into the cookie and nowhere else (only its hash is stored). */
export interface SessionGrant {
  token: string;
  principal: Principal;
  expiresAt: number;
  mustChangePassword: boolean;
}

export interface ResolvedSession {
  principal: Principal;
  mustChangePassword: boolean;
  expiresAt: number;
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  orgId: string | null;
  action: string;
  target: string;
  details: Record<string, unknown>;
  ip: string | null;
}

/** Who did it: a principal, the platform itself, or an anonymous client (a failed sign-in). */
export type AuditActor = Principal | 'system' | 'anonymous';

export { ROLES_BY_ORG_KIND };
export const FIRST_OPERATOR_EMAIL = 'admin@localhost';
export { MIN_PASSWORD_LENGTH } from '../../../contract/accounts.ts';
import { MIN_PASSWORD_LENGTH } from '../../../contract/accounts.ts';
const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_JOIN_CODE_TTL_MS = DAY_MS;
export const MAX_JOIN_CODE_TTL_MS = 30 * DAY_MS;

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;
const PHONE = /^\+?[0-9][0-9 ()-]{5,30}$/;

/**
 * Organisations, users, passwords, server-side sessions, join codes and the audit log. The clock is
 * injected (every expiry and rate limit is deterministic in tests); passwords are scrypt hashes with
 * a per-user salt; session tokens and join codes are stored only as sha256 hashes.
 */
export class AccountService {
  private readonly db: Db;
  private readonly clock: () => number;
  private readonly passwordCost: number;
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly limiter: LoginRateLimiter;
  private readonly joinLimiter: JoinRateLimiter;
  private readonly gate: PasswordCheckGate;
  private dummyHash: Promise<string> | undefined;
  private readonly endedListeners = new Set<(sessionIds: readonly string[]) => void>();

  constructor(options: AccountServiceOptions) {
    this.db = options.db;
    this.clock = options.clock ?? Date.now;
    this.passwordCost = options.passwordCost ?? DEFAULT_PASSWORD_COST;
    this.idleMs = options.sessionIdleMs ?? 2 * 60 * 60 * 1000;
    this.absoluteMs = options.sessionAbsoluteMs ?? 12 * 60 * 60 * 1000;
    this.limiter = new LoginRateLimiter(this.clock, options.loginLimits ?? DEFAULT_LOGIN_RATE_LIMITS);
    this.joinLimiter = new JoinRateLimiter(this.clock, options.joinLimits ?? DEFAULT_JOIN_RATE_LIMITS);
    this.gate = new PasswordCheckGate(options.passwordChecks ?? DEFAULT_PASSWORD_CHECK_LIMITS);
  }

  // ── organisations and users ────────────────────────────────────────────────────────────────

  async createOrganisation(
    input: OrganisationDetails & { name: string; kind: OrganisationKind },
  ): Promise<Organisation> {
    const details = checkOrganisationDetails(input);
    if (input.kind === 'operator' && (await this.operatorOrg()))
      throw new CyropError('CONFLICT', 'there is already a platform operator organisation');
    const row = {
      id: randomUUID(),
      name: details.name ?? '',
      kind: input.kind,
      created_at: this.clock(),
      category: details.category ?? null,
      contact_name: details.contactName ?? null,
      contact_email: details.contactEmail ?? null,
      contact_phone: details.contactPhone ?? null,
      postal_address: details.postalAddress ?? null,
      invoice_registration_number: details.invoiceRegistrationNumber ?? null,
      disabled_at: null,
    };
    await this.db.insertInto('organisations').values(row).execute();
    return toOrganisation(row);
  }

  /**
   * Create an organisation as `by` (the operator), audited. The same rules for the API and the CLI.
   */
  async createOrganisationAs(
    by: Principal,
    input: OrganisationDetails & { name: string; kind: OrganisationKind },
    context: AuditContext = {},
  ): Promise<Organisation> {
    if (!mayAdministerPlatform(by)) throw new CyropError('FORBIDDEN', 'only the platform operator does this');
    if (input.kind === 'operator')
      throw fieldError('kind', 'an organisation made here is a training company or a customer');
    const org = await this.createOrganisation(input);
    await this.audit(by, 'organisation.created', `organisation:${org.id}`, summary(org), {
      ...context,
      orgId: org.id,
    });
    return org;
  }

  /** Edit an organisation's name, kind, category, contact and invoicing details (the operator). */
  async updateOrganisation(
    by: Principal,
    id: string,
    changes: OrganisationDetails,
    context: AuditContext = {},
  ): Promise<Organisation> {
    if (!mayAdministerPlatform(by)) throw new CyropError('FORBIDDEN', 'only the platform operator does this');
    const org = await this.getOrganisation(id);
    if (!org) throw new CyropError('NOT_FOUND', `no organisation '${id}'`);
    const details = checkOrganisationDetails(changes);
    if (details.kind !== undefined && details.kind !== org.kind) {
      if (org.kind === 'operator' || details.kind === 'operator')
        throw fieldError('kind', 'the operator organisation stays the operator, and no other becomes it');
    }
    const set: Partial<OrganisationsTable> = {};
    if (details.name !== undefined) set.name = details.name;
    if (details.kind !== undefined) set.kind = details.kind;
    if (details.category !== undefined) set.category = details.category;
    if (details.contactName !== undefined) set.contact_name = details.contactName;
    if (details.contactEmail !== undefined) set.contact_email = details.contactEmail;
    if (details.contactPhone !== undefined) set.contact_phone = details.contactPhone;
    if (details.postalAddress !== undefined) set.postal_address = details.postalAddress;
    if (details.invoiceRegistrationNumber !== undefined)
      set.invoice_registration_number = details.invoiceRegistrationNumber;
    if (Object.keys(set).length > 0)
      await this.db.updateTable('organisations').set(set).where('id', '=', id).execute();
    await this.audit(
      by,
      'organisation.updated',
      `organisation:${id}`,
      { fields: Object.keys(changes) },
      {
        ...context,
        orgId: id,
      },
    );
    return (await this.getOrganisation(id)) as Organisation;
  }

  /**
   * Disable an organisation (its users cannot sign in, their sessions end; its exercises stay as they
   * are) or enable it again. The operator's own organisation cannot be disabled.
   */
  async setOrganisationDisabled(
    by: Principal,
    id: string,
    disabled: boolean,
    context: AuditContext = {},
  ): Promise<Organisation> {
    if (!mayAdministerPlatform(by)) throw new CyropError('FORBIDDEN', 'only the platform operator does this');
    const org = await this.getOrganisation(id);
    if (!org) throw new CyropError('NOT_FOUND', `no organisation '${id}'`);
    if (org.kind === 'operator' && disabled)
      throw new CyropError('CONFLICT', 'the platform operator organisation cannot be disabled');
    if (org.disabled !== disabled) {
      await this.db
        .updateTable('organisations')
        .set({ disabled_at: disabled ? this.clock() : null })
        .where('id', '=', id)
        .execute();
      let ended = 0;
      if (disabled) {
        const users = await this.db.selectFrom('users').select('id').where('org_id', '=', id).execute();
        for (const u of users) ended += await this.endSessionsOf(u.id);
      }
      await this.audit(
        by,
        disabled ? 'organisation.disabled' : 'organisation.enabled',
        `organisation:${id}`,
        disabled ? { sessionsEnded: ended } : {},
        { ...context, orgId: id },
      );
    }
    return (await this.getOrganisation(id)) as Organisation;
  }

  async listOrganisations(): Promise<Organisation[]> {
    const rows = await this.db
      .selectFrom('organisations')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toOrganisation);
  }

  async getOrganisation(id: string): Promise<Organisation | undefined> {
    const r = await this.db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toOrganisation(r);
  }

  /**
   * A user in an organisation. Without a password a one-time password is made, returned once and
   * must be changed at first sign-in.
   */
  async createUser(input: {
    orgId: string;
    email: string;
    name: string;
    role: Role;
    password?: string;
  }): Promise<{ user: User; oneTimePassword?: string }> {
    const org = await this.getOrganisation(input.orgId);
    if (!org) throw new CyropError('NOT_FOUND', `no organisation '${input.orgId}'`);
    if (!ROLES_BY_ORG_KIND[org.kind].includes(input.role)) throw roleError(org.kind, input.role);
    const email = normaliseEmail(input.email);
    const name = cleanName(input.name, 'name');
    const oneTimePassword = input.password === undefined ? randomPassword() : undefined;
    const password = input.password ?? oneTimePassword ?? '';
    checkPasswordPolicy(password);
    const existing = await this.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirst();
    if (existing) throw new CyropError('CONFLICT', `there is already a user with the email ${email}`);
    const row = {
      id: randomUUID(),
      org_id: org.id,
      email,
      name,
      role: input.role,
      password_hash: await hashPassword(password, this.passwordCost),
      must_change_password: oneTimePassword ? 1 : 0,
      created_at: this.clock(),
      disabled: 0,
      preferred_language: null,
    };
    try {
      await this.db.insertInto('users').values(row).execute();
    } catch (error) {
      if (/UNIQUE/.test((error as Error).message))
        throw new CyropError('CONFLICT', `there is already a user with the email ${email}`, { cause: error });
      throw error;
    }
    return { user: toUser(row), ...(oneTimePassword ? { oneTimePassword } : {}) };
  }

  async listUsers(orgId: string): Promise<User[]> {
    const rows = await this.db
      .selectFrom('users')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('email')
      .execute();
    return rows.map(toUser);
  }

  async getUser(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  /** Every user of every organisation, by organisation then email (the operator's view). */
  async listEveryUser(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('org_id').orderBy('email').execute();
    return rows.map(toUser);
  }

  /** Enable or disable a user; disabling ends their sessions. */
  async setDisabled(userId: string, disabled: boolean): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ disabled: disabled ? 1 : 0 })
      .where('id', '=', userId)
      .execute();
    if (disabled) await this.endSessionsOf(userId);
  }

  /**
   * A user `by` may manage (the operator: anyone; an org-admin: their organisation's), else NOT_FOUND:
   * another organisation's users are not ours to know about.
   */
  async managedUser(by: Principal, userId: string): Promise<{ user: User; org: Organisation }> {
    const user = await this.getUser(userId);
    if (!user || !mayManageUsersOf(by, user.orgId))
      throw new CyropError('NOT_FOUND', `no user '${userId}' in your organisation`);
    const org = (await this.getOrganisation(user.orgId)) as Organisation;
    return { user, org };
  }

  /** Create a user as `by` (the operator, or an org-admin for their organisation), audited. */
  async createUserAs(
    by: Principal,
    input: { orgId: string; email: string; name: string; role: Role; password?: string },
    context: AuditContext = {},
  ): Promise<{ user: User; oneTimePassword?: string }> {
    if (!mayManageUsersOf(by, input.orgId))
      throw new CyropError('FORBIDDEN', 'you may only manage your own organisation');
    const org = await this.getOrganisation(input.orgId);
    if (!org) throw new CyropError('NOT_FOUND', `no organisation '${input.orgId}'`);
    if (input.role === 'operator' && !mayAdministerPlatform(by))
      throw new CyropError('FORBIDDEN', 'only an operator may create operators');
    if (!mayAssignRole(by, org.kind, input.role)) throw roleError(org.kind, input.role);
    const created = await this.createUser(input);
    await this.audit(
      by,
      'user.created',
      `user:${created.user.id}`,
      { email: created.user.email, role: created.user.role },
      { ...context, orgId: org.id },
    );
    return created;
  }

  /**
   * Change a user's role (within what the organisation's kind allows) and/or disable or enable them
   * (disabling ends their sessions). Nobody changes their own account this way.
   */
  async updateUser(
    by: Principal,
    userId: string,
    changes: { role?: Role; disabled?: boolean },
    context: AuditContext = {},
  ): Promise<User> {
    const { user, org } = await this.managedUser(by, userId);
    if (!mayChangeUser(by, userId))
      throw new CyropError('CONFLICT', 'you cannot change your own role or disable yourself');
    if (changes.role !== undefined && changes.role !== user.role) {
      if (changes.role === 'operator' && !mayAdministerPlatform(by))
        throw new CyropError('FORBIDDEN', 'only an operator may make operators');
      if (!mayAssignRole(by, org.kind, changes.role)) throw roleError(org.kind, changes.role);
      await this.db.updateTable('users').set({ role: changes.role }).where('id', '=', userId).execute();
      // The role is read from the user at every request; live sessions (sockets) re-check it.
      await this.endSessionsOf(userId);
      await this.audit(
        by,
        'user.role-changed',
        `user:${userId}`,
        { from: user.role, to: changes.role },
        {
          ...context,
          orgId: org.id,
        },
      );
    }
    if (changes.disabled !== undefined && changes.disabled !== user.disabled) {
      await this.setDisabled(userId, changes.disabled);
      await this.audit(
        by,
        changes.disabled ? 'user.disabled' : 'user.enabled',
        `user:${userId}`,
        {},
        {
          ...context,
          orgId: org.id,
        },
      );
    }
    return (await this.getUser(userId)) as User;
  }

  /**
   * A new one-time password for a user, returned once (the user must change it at next sign-in);
   * every session of theirs ends.
   */
  async resetPassword(
    by: Principal,
    userId: string,
    context: AuditContext = {},
  ): Promise<{ user: User; oneTimePassword: string }> {
    const { org } = await this.managedUser(by, userId);
    if (!mayChangeUser(by, userId))
      throw new CyropError('CONFLICT', 'change your own password on the "My account" page');
    const oneTimePassword = randomPassword();
    await this.db
      .updateTable('users')
      .set({ password_hash: await hashPassword(oneTimePassword, this.passwordCost), must_change_password: 1 })
      .where('id', '=', userId)
      .execute();
    await this.endSessionsOf(userId);
    await this.audit(by, 'user.password-reset', `user:${userId}`, {}, { ...context, orgId: org.id });
    return { user: (await this.getUser(userId)) as User, oneTimePassword };
  }

  /** The console language a user prefers (null: the browser's). */
  async setPreferredLanguage(userId: string, language: Language | null): Promise<User> {
    if (language !== null && !(['en', 'ja'] as unknown[]).includes(language))
      throw fieldError('preferredLanguage', 'must be en, ja or null');
    await this.db
      .updateTable('users')
      .set({ preferred_language: language })
      .where('id', '=', userId)
      .execute();
    const user = await this.getUser(userId);
    if (!user) throw new CyropError('NOT_FOUND', `no user '${userId}'`);
    return user;
  }

  /** The live sessions of a user, newest first; `currentToken` marks the asking one. */
  async listSessions(userId: string, currentToken?: string): Promise<SessionInfo[]> {
    const now = this.clock();
    const current = currentToken ? hashToken(currentToken) : undefined;
    const rows = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('expires_at', '>', now)
      .where('last_seen_at', '>', now - this.idleMs)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((r) => ({
      id: publicSessionId(r.id),
      kind: r.kind,
      createdAt: r.created_at,
      lastSeenAt: r.last_seen_at,
      expiresAt: Math.min(r.expires_at, r.last_seen_at + this.idleMs),
      current: r.id === current,
      exerciseId: r.exercise_id,
      teamId: r.team_id,
    }));
  }

  /** End one of the user's own sessions by its public id (NOT_FOUND when it is not theirs), audited. */
  async endSession(by: Principal, sessionId: string, context: AuditContext = {}): Promise<void> {
    if (by.kind !== 'user') throw new CyropError('FORBIDDEN', 'this needs a user account');
    const rows = await this.db.selectFrom('sessions').select('id').where('user_id', '=', by.userId).execute();
    const row = rows.find((r) => publicSessionId(r.id) === sessionId);
    if (!row) throw new CyropError('NOT_FOUND', `no session '${sessionId}' of yours`);
    await this.db.deleteFrom('sessions').where('id', '=', row.id).execute();
    this.announceEnded([row.id]);
    await this.audit(by, 'auth.session-ended', `user:${by.userId}`, {}, context);
  }

  /** "Sign out everywhere else": every session of the user but the asking one ends (audited); returns how many. */
  async endOtherSessions(by: Principal, currentToken: string, context: AuditContext = {}): Promise<number> {
    if (by.kind !== 'user') throw new CyropError('FORBIDDEN', 'this needs a user account');
    const userId = by.userId;
    const keep = hashToken(currentToken);
    const ids = (await this.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute())
      .map((r) => r.id)
      .filter((id) => id !== keep);
    if (ids.length > 0) {
      await this.db.deleteFrom('sessions').where('id', 'in', ids).execute();
      this.announceEnded(ids);
    }
    await this.audit(by, 'auth.signed-out-elsewhere', `user:${userId}`, { ended: ids.length }, context);
    return ids.length;
  }

  /** Counts for the operator's health panel. */
  async counts(): Promise<PlatformCounts> {
    const count = async (q: Promise<{ n: number | string | bigint } | undefined>) =>
      Number((await q)?.n ?? 0);
    const now = this.clock();
    return {
      organisations: await count(
        this.db
          .selectFrom('organisations')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst(),
      ),
      disabledOrganisations: await count(
        this.db
          .selectFrom('organisations')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('disabled_at', 'is not', null)
          .executeTakeFirst(),
      ),
      users: await count(
        this.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst(),
      ),
      disabledUsers: await count(
        this.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('disabled', '=', 1)
          .executeTakeFirst(),
      ),
      exercisesRunning: await count(
        this.db
          .selectFrom('exercises')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('state', 'in', ['launching', 'running'])
          .executeTakeFirst(),
      ),
      exercises: await count(
        this.db
          .selectFrom('exercises')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst(),
      ),
      sessions: await count(
        this.db
          .selectFrom('sessions')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('expires_at', '>', now)
          .where('last_seen_at', '>', now - this.idleMs)
          .executeTakeFirst(),
      ),
    };
  }

  /**
   * On an empty users table: the operator organisation and `admin@localhost` with a random one-time
   * password, returned once (the composition root prints it) and to be changed at first sign-in.
   */
  async ensureFirstOperator(): Promise<{ email: string; password: string } | undefined> {
    const any = await this.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (any) return undefined;
    const org =
      (await this.operatorOrg()) ??
      (await this.createOrganisation({ name: 'Platform operator', kind: 'operator' }));
    const { user, oneTimePassword } = await this.createUser({
      orgId: org.id,
      email: FIRST_OPERATOR_EMAIL,
      name: 'Platform operator',
      role: 'operator',
    });
    await this.audit(
      'system',
      'bootstrap.first-operator',
      `user:${user.id}`,
      { email: user.email },
      { orgId: org.id },
    );
    if (oneTimePassword === undefined) throw new CyropError('INTERNAL', 'no one-time password was made');
    return { email: user.email, password: oneTimePassword };
  }

  // ── passwords and sessions ─────────────────────────────────────────────────────────────────

  /**
   * The enabled user with this email and password, or undefined. Unknown emails and disabled users
   * still cost one scrypt, so the answer's timing does not tell whether an account exists. Every
   * check passes the gate (a few at once, a bounded queue, RATE_LIMITED beyond).
   */
  async verifyPassword(email: string, password: string): Promise<User | undefined> {
    return this.gate.run(async () => {
      const row = await this.db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', email.trim().toLowerCase())
        .executeTakeFirst();
      if (!row || row.disabled || (await this.orgDisabled(row.org_id))) {
        await verifyPassword(password, await this.dummy());
        return undefined;
      }
      return (await verifyPassword(password, row.password_hash)) ? toUser(row) : undefined;
    });
  }

  /** How many password checks ran, were refused, ran at most at once. */
  passwordCheckStats(): PasswordCheckStats {
    return this.gate.stats();
  }

  /**
   * Sign in. Throttled per (email, address) and per address with growing delays, never locked:
   * RATE_LIMITED with details.retryAfterSeconds while a delay runs (or while the server is busy
   * checking other passwords). Audited: `auth.login`, every failure (`auth.login-failed`) and a
   * throttled attempt once per delay (`auth.login-throttled`; repeats would flood the log).
   */
  async login(email: string, password: string, ip?: string): Promise<SessionGrant> {
    const key = email.trim().toLowerCase();
    try {
      const grant = await this.loginUnaudited(key, password, ip);
      await this.audit(grant.principal, 'auth.login', describeTarget(grant.principal), {}, { ip });
      return grant;
    } catch (error) {
      if (isCyropError(error) && error.code === 'UNAUTHENTICATED')
        await this.audit('anonymous', 'auth.login-failed', `email:${key}`, {}, { ip });
      else if (isFirstRefusal(error))
        await this.audit('anonymous', 'auth.login-throttled', `email:${key}`, {}, { ip });
      throw error;
    }
  }

  private async loginUnaudited(key: string, password: string, ip: string | undefined): Promise<SessionGrant> {
    const ticket = this.limiter.reserve(key, ip ?? 'unknown');
    let outcome: AttemptOutcome = 'neutral';
    let user: User | undefined;
    try {
      user = await this.verifyPassword(key, password);
      outcome = user ? 'success' : 'failure';
    } finally {
      ticket.settle(outcome);
    }
    if (!user) throw new CyropError('UNAUTHENTICATED', 'wrong email or password');
    return this.startSession(
      { kind: 'user', user_id: user.id },
      userPrincipal(user),
      user.mustChangePassword,
    );
  }

  /**
   * The principal of a session token, or undefined (unknown, expired — then deleted —, user disabled).
   * `touch: false` checks without counting as activity (a periodic re-validation).
   */
  async resolveSession(
    token: string,
    { touch = true }: { touch?: boolean } = {},
  ): Promise<ResolvedSession | undefined> {
    if (!token || token.length > 100) return undefined;
    const id = hashToken(token);
    const now = this.clock();
    const row = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    if (now >= row.expires_at || now >= row.last_seen_at + this.idleMs) {
      await this.db.deleteFrom('sessions').where('id', '=', id).execute();
      return undefined;
    }
    let resolved: ResolvedSession;
    if (row.kind === 'user') {
      const user = row.user_id ? await this.getUser(row.user_id) : undefined;
      if (!user || user.disabled || (await this.orgDisabled(user.orgId))) return undefined;
      resolved = {
        principal: userPrincipal(user),
        mustChangePassword: user.mustChangePassword,
        expiresAt: row.expires_at,
      };
    } else {
      resolved = {
        principal: {
          kind: 'participant',
          exerciseId: row.exercise_id ?? '',
          teamId: row.team_id ?? '',
          name: row.display_name ?? '',
          ...(row.user_id ? { userId: row.user_id } : {}),
        },
        mustChangePassword: false,
        expiresAt: row.expires_at,
      };
    }
    // Sliding idle expiry, written at most once a minute.
    if (touch && now - row.last_seen_at >= 60_000)
      await this.db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
    return resolved;
  }

  /** End a session (audited as `auth.logout` of whoever held it). */
  async logout(token: string, context: { ip?: string | undefined } = {}): Promise<void> {
    if (!token) return;
    const held = await this.resolveSession(token, { touch: false });
    await this.db.deleteFrom('sessions').where('id', '=', hashToken(token)).execute();
    this.announceEnded([hashToken(token)]);
    if (held) await this.audit(held.principal, 'auth.logout', describeTarget(held.principal), {}, context);
  }

  /** Every session of a user ends (password change, disabling); returns how many. */
  async endSessionsOf(userId: string): Promise<number> {
    const ids = await this.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute();
    const result = await this.db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
    this.announceEnded(ids.map((r) => r.id));
    return Number(result.numDeletedRows);
  }

  /**
   * Be told the ids (`hashToken` of the cookie token) of sessions ended by sign-out or by
   * `endSessionsOf` (live terminals of a session end with it); returns the unsubscribe.
   */
  onSessionsEnded(listener: (sessionIds: readonly string[]) => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  private announceEnded(sessionIds: readonly string[]): void {
    if (sessionIds.length === 0) return;
    for (const listener of this.endedListeners) {
      try {
        listener(sessionIds);
      } catch {
        // a listener's failure is its own; the sign-out has happened
      }
    }
  }

  /** Change a password (the current one is checked); every session of the user ends, a new one starts. */
  async changePassword(
    userId: string,
    current: string,
    next: string,
    context: { ip?: string | undefined } = {},
  ): Promise<SessionGrant> {
    const user = await this.getUser(userId);
    if (!user || user.disabled) throw new CyropError('UNAUTHENTICATED', 'sign in first');
    const ticket = this.limiter.reserve(user.email, undefined);
    let outcome: AttemptOutcome = 'neutral';
    try {
      outcome = (await this.verifyPassword(user.email, current)) ? 'success' : 'failure';
    } finally {
      ticket.settle(outcome);
    }
    if (outcome === 'failure') throw new CyropError('FORBIDDEN', 'the current password is wrong');
    checkPasswordPolicy(next);
    if (next === current)
      throw new CyropError('BAD_REQUEST', 'the new password must differ from the current one');
    await this.db
      .updateTable('users')
      .set({ password_hash: await hashPassword(next, this.passwordCost), must_change_password: 0 })
      .where('id', '=', userId)
      .execute();
    await this.endSessionsOf(userId);
    const updated = { ...user, mustChangePassword: false };
    await this.audit(userPrincipal(updated), 'auth.password-changed', `user:${userId}`, {}, context);
    return this.startSession({ kind: 'user', user_id: userId }, userPrincipal(updated), false);
  }

  /** Delete expired sessions (call now and then). */
  async pruneSessions(): Promise<number> {
    const now = this.clock();
    const result = await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - this.idleMs)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // ── exercises: ownership and join codes ────────────────────────────────────────────────────

  /** The organisation owning an exercise (null = the operator's), or undefined when there is no such exercise. */
  /** Whether a principal may see and run an exercise (`access/exercise-access.ts`, on its owner). */
  async canWatchExercise(principal: Principal, exerciseId: string): Promise<boolean> {
    return mayWatchExercise(principal, await this.exerciseOrg(exerciseId));
  }

  async exerciseOrg(exerciseId: string): Promise<{ orgId: string | null; state: string } | undefined> {
    const row = await this.db
      .selectFrom('exercises')
      .select(['org_id', 'state'])
      .where('id', '=', exerciseId)
      .executeTakeFirst();
    return row && { orgId: row.org_id, state: row.state };
  }

  /** A join code for one team of an exercise, returned once (only its hash is kept). */
  async createJoinCode(
    exerciseId: string,
    teamId: string,
    options: {
      expiresAt?: number;
      maxUses?: number;
      createdBy: string;
      label?: string;
      /** Who asks, for the audit log (`join-code.created`); absent: not audited (a join sheet is, as a whole). */
      by?: { actor: AuditActor; ip?: string | undefined };
    },
  ): Promise<{
    id: string;
    code: string;
    exerciseId: string;
    teamId: string;
    expiresAt: number;
    maxUses: number | null;
  }> {
    const now = this.clock();
    const team = await this.db
      .selectFrom('exercise_teams')
      .innerJoin('exercises', 'exercises.id', 'exercise_teams.exercise_id')
      .select(['exercises.state'])
      .where('exercise_teams.exercise_id', '=', exerciseId)
      .where('exercise_teams.team_id', '=', teamId)
      .executeTakeFirst();
    if (!team) throw new CyropError('NOT_FOUND', `no team '${teamId}' in exercise '${exerciseId}'`);
    if (team.state === 'ended' || team.state === 'tearing-down')
      throw new CyropError(
        'EXERCISE_ENDED',
        `the exercise '${exerciseId}' has ended: nobody can join it any more`,
      );
    const expiresAt = options.expiresAt ?? now + DEFAULT_JOIN_CODE_TTL_MS;
    if (expiresAt <= now) throw new CyropError('BAD_REQUEST', 'expiresAt is in the past');
    if (expiresAt > now + MAX_JOIN_CODE_TTL_MS)
      throw new CyropError('BAD_REQUEST', 'a join code lives at most 30 days');
    const code = newJoinCode();
    const id = randomBytes(8).toString('hex');
    await this.db
      .insertInto('join_codes')
      .values({
        id,
        code_hash: hashJoinCode(code),
        exercise_id: exerciseId,
        team_id: teamId,
        created_by: options.createdBy,
        created_at: now,
        expires_at: expiresAt,
        max_uses: options.maxUses ?? null,
        label: options.label ?? null,
        revoked_at: null,
      })
      .execute();
    if (options.by)
      await this.audit(
        options.by.actor,
        'join-code.created',
        `team:${exerciseId}/${teamId}`,
        { expiresAt, maxUses: options.maxUses ?? null },
        { ip: options.by.ip, orgId: (await this.exerciseOrg(exerciseId))?.orgId ?? null },
      );
    return { id, code, exerciseId, teamId, expiresAt, maxUses: options.maxUses ?? null };
  }

  /**
   * Join a team with its code: a participant session (with the user, if one is signed in).
   * Throttled: failed joins per address and joins per code, with growing delays (RATE_LIMITED).
   * Audited without the code: `exercise.joined`, every failure (`exercise.join-failed`) and a
   * throttled attempt once per delay (`exercise.join-throttled`), as `actor` (whoever is signed in).
   */
  async join(
    code: string,
    displayName: string,
    context: { userId?: string | undefined; ip?: string | undefined; actor?: Principal | undefined } = {},
  ): Promise<SessionGrant> {
    const { userId, ip } = context;
    try {
      const grant = await this.joinUnaudited(code, displayName, userId, ip);
      const p = grant.principal as Extract<Principal, { kind: 'participant' }>;
      await this.audit(
        p,
        'exercise.joined',
        `team:${p.exerciseId}/${p.teamId}`,
        { displayName: p.name },
        { ip },
      );
      return grant;
    } catch (error) {
      if (isCyropError(error) && (error.code !== 'RATE_LIMITED' || isFirstRefusal(error)))
        await this.audit(
          context.actor ?? 'anonymous',
          error.code === 'RATE_LIMITED' ? 'exercise.join-throttled' : 'exercise.join-failed',
          'join-code',
          { displayName: displayName.slice(0, 40), reason: error.code },
          { ip },
        );
      throw error;
    }
  }

  private async joinUnaudited(
    code: string,
    displayName: string,
    userId: string | undefined,
    ip: string | undefined,
  ): Promise<SessionGrant> {
    const name = cleanName(displayName, 'display name', 'displayName');
    const now = this.clock();
    const codeHash = hashJoinCode(code);
    const ticket = this.joinLimiter.reserve(codeHash, ip);
    let outcome: AttemptOutcome = 'neutral';
    try {
      const claimed = await this.claimJoinCode(codeHash, now, name, userId);
      outcome = claimed ? 'success' : 'failure';
      if (!claimed) throw new CyropError('NOT_FOUND', 'this join code is unknown, expired or used up');
      return await this.startParticipant(claimed, name, userId);
    } finally {
      ticket.settle(outcome);
    }
  }

  private async claimJoinCode(
    codeHash: string,
    now: number,
    name: string,
    userId: string | undefined,
  ): Promise<{ exercise_id: string; team_id: string } | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('join_codes')
        .innerJoin('exercises', 'exercises.id', 'join_codes.exercise_id')
        .select(['join_codes.exercise_id', 'join_codes.team_id', 'exercises.state'])
        .where('join_codes.code_hash', '=', codeHash)
        .where('join_codes.expires_at', '>', now)
        .where('join_codes.revoked_at', 'is', null)
        .where((eb) =>
          eb.or([
            eb('join_codes.max_uses', 'is', null),
            eb('join_codes.uses', '<', eb.ref('join_codes.max_uses')),
          ]),
        )
        .executeTakeFirst();
      if (!row) return undefined;
      if (row.state === 'ended' || row.state === 'tearing-down')
        throw new CyropError('EXERCISE_ENDED', 'this exercise has ended: there is nothing left to join');
      await claimMembership(trx, {
        exerciseId: row.exercise_id,
        teamId: row.team_id,
        displayName: name,
        userId: userId ?? null,
        now,
      });
      await trx
        .updateTable('join_codes')
        .set((eb) => ({ uses: eb('uses', '+', 1) }))
        .where('code_hash', '=', codeHash)
        .execute();
      return row;
    });
  }

  private startParticipant(
    claimed: { exercise_id: string; team_id: string },
    name: string,
    userId: string | undefined,
  ): Promise<SessionGrant> {
    const principal: Principal = {
      kind: 'participant',
      exerciseId: claimed.exercise_id,
      teamId: claimed.team_id,
      name,
      ...(userId ? { userId } : {}),
    };
    return this.startSession(
      {
        kind: 'participant',
        user_id: userId ?? null,
        exercise_id: claimed.exercise_id,
        team_id: claimed.team_id,
        display_name: name,
      },
      principal,
      false,
    );
  }

  // ── audit log ──────────────────────────────────────────────────────────────────────────────

  /** Append to the audit log. The entry belongs to `context.orgId`, else to the actor's organisation. */
  async audit(
    actor: AuditActor,
    action: string,
    target: string,
    details: Record<string, unknown> = {},
    context: { ip?: string | undefined; orgId?: string | null | undefined } = {},
  ): Promise<void> {
    const orgId =
      context.orgId !== undefined
        ? context.orgId
        : typeof actor === 'object' && actor.kind === 'user'
          ? actor.orgId
          : typeof actor === 'object'
            ? ((await this.exerciseOrg(actor.exerciseId))?.orgId ?? null)
            : null;
    await this.db
      .insertInto('audit_log')
      .values({
        at: this.clock(),
        actor: describeActor(actor),
        org_id: orgId,
        action,
        target,
        details: JSON.stringify(details),
        ip: context.ip ?? null,
      })
      .execute();
  }

  /**
   * Newest first; `orgId` limits to one organisation; `actor` is exact, `actionPrefix` and
   * `targetPrefix` match the start; `from` (inclusive) and `to` (exclusive) bound the time; `before`
   * pages by id.
   */
  async listAudit(options: AuditFilter = {}): Promise<AuditEntry[]> {
    let query = this.db.selectFrom('audit_log').selectAll();
    if (options.orgId !== undefined) query = query.where('org_id', '=', options.orgId);
    if (options.before !== undefined) query = query.where('id', '<', options.before);
    if (options.actor !== undefined) query = query.where('actor', '=', options.actor);
    if (options.actionPrefix !== undefined)
      query = query.where(
        sql<boolean>`substr(action, 1, ${options.actionPrefix.length}) = ${options.actionPrefix}`,
      );
    if (options.targetPrefix !== undefined)
      query = query.where(
        sql<boolean>`substr(target, 1, ${options.targetPrefix.length}) = ${options.targetPrefix}`,
      );
    if (options.from !== undefined) query = query.where('at', '>=', options.from);
    if (options.to !== undefined) query = query.where('at', '<', options.to);
    const rows = await query
      .orderBy('id', 'desc')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      orgId: r.org_id,
      action: r.action,
      target: r.target,
      details: JSON.parse(r.details) as Record<string, unknown>,
      ip: r.ip,
    }));
  }

  /** The audit log as `by` may read it (operator: all; org-admin: their organisation's). */
  async listAuditAs(by: Principal, filter: AuditFilter): Promise<AuditEntry[]> {
    const scope = auditScope(by);
    if (!scope) throw new CyropError('FORBIDDEN', 'the audit log is for operators and org-admins');
    if ('orgId' in scope) return this.listAudit({ ...filter, orgId: scope.orgId });
    return this.listAudit(filter);
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  private async orgDisabled(orgId: string): Promise<boolean> {
    const org = await this.db
      .selectFrom('organisations')
      .select('disabled_at')
      .where('id', '=', orgId)
      .executeTakeFirst();
    return typeof org?.disabled_at === 'number';
  }

  private async operatorOrg(): Promise<Organisation | undefined> {
    const r = await this.db
      .selectFrom('organisations')
      .selectAll()
      .where('kind', '=', 'operator')
      .executeTakeFirst();
    return r && toOrganisation(r);
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'), this.passwordCost);
    return this.dummyHash;
  }

  /** A new server-side session (sign-in, join, an invitation accepted, a roster member entering). */
  async startSession(
    fields: {
      kind: 'user' | 'participant';
      user_id: string | null;
      exercise_id?: string;
      team_id?: string;
      display_name?: string;
    },
    principal: Principal,
    mustChangePassword: boolean,
  ): Promise<SessionGrant> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock();
    const expiresAt = now + this.absoluteMs;
    await this.db
      .insertInto('sessions')
      .values({
        id: hashToken(token),
        kind: fields.kind,
        user_id: fields.user_id,
        exercise_id: fields.exercise_id ?? null,
        team_id: fields.team_id ?? null,
        display_name: fields.display_name ?? null,
        created_at: now,
        expires_at: expiresAt,
        last_seen_at: now,
      })
      .execute();
    return { token, principal, expiresAt, mustChangePassword };
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function describeActor(actor: AuditActor): string {
  if (typeof actor === 'string') return actor;
  if (actor.kind === 'user') return actor.userId === CLI_USER_ID ? CLI_USER_ID : `user:${actor.userId}`;
  return `participant:${actor.exerciseId}/${actor.teamId}${actor.userId ? `:user:${actor.userId}` : ''}`;
}

function userPrincipal(user: User): Principal {
  return { kind: 'user', userId: user.id, orgId: user.orgId, role: user.role, name: user.name };
}

/** Where an audited change came from: the client's address, the organisation it belongs to. */
export interface AuditContext {
  ip?: string | undefined;
  orgId?: string | null | undefined;
}

/** The session's public id: a hash of its stored hash, so neither the cookie nor the row key leaves. */
function publicSessionId(storedId: string): string {
  return createHash('sha256').update(`session:${storedId}`).digest('hex').slice(0, 32);
}

function toOrganisation(r: OrganisationsTable): Organisation {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    createdAt: r.created_at,
    category: r.category ?? null,
    contactName: r.contact_name ?? null,
    contactEmail: r.contact_email ?? null,
    contactPhone: r.contact_phone ?? null,
    postalAddress: r.postal_address ?? null,
    invoiceRegistrationNumber: r.invoice_registration_number ?? null,
    disabled: r.disabled_at !== null,
    disabledAt: r.disabled_at ?? null,
  };
}

function summary(org: Organisation): Record<string, unknown> {
  return { name: org.name, kind: org.kind, category: org.category };
}

/** A BAD_REQUEST naming the field, with the same `details` shape as schema validation's. */
function fieldError(field: string, message: string): CyropError {
  return new CyropError('BAD_REQUEST', `${field}: ${message}`, {
    details: [{ pointer: `/${field}`, message }],
  });
}

function roleError(kind: OrganisationKind, role: Role): CyropError {
  return fieldError(
    'role',
    `a ${kind} organisation may have the roles ${ROLES_BY_ORG_KIND[kind].join(', ')}, not ${role}`,
  );
}

/** Every detail checked and normalised; every problem listed, each naming its field. */
function checkOrganisationDetails(input: OrganisationDetails): OrganisationDetails {
  const problems: { pointer: string; message: string }[] = [];
  const out: OrganisationDetails = {};
  const text = (field: keyof OrganisationDetails, value: string | null | undefined, max: number) => {
    if (value === undefined) return undefined;
    if (value === null) return null;
    const clean = value.trim();
    if (clean === '') return null;
    if (
      clean.length > max ||
      /[\p{Cc}]/u.test(field === 'postalAddress' ? clean.replace(/\r?\n/g, ' ') : clean)
    ) {
      problems.push({ pointer: `/${field}`, message: `must be at most ${max} printable characters` });
      return undefined;
    }
    return clean;
  };
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (!name || name.length > 100 || /\p{Cc}/u.test(name))
      problems.push({ pointer: '/name', message: 'must be 1–100 printable characters' });
    else out.name = name;
  }
  if (input.kind !== undefined) {
    if (!Object.keys(ROLES_BY_ORG_KIND).includes(input.kind))
      problems.push({ pointer: '/kind', message: 'must be operator, training-company or customer' });
    else out.kind = input.kind;
  }
  if (input.category !== undefined) {
    if (input.category !== null && !ORGANISATION_CATEGORIES.includes(input.category))
      problems.push({
        pointer: '/category',
        message: `must be one of ${ORGANISATION_CATEGORIES.join(', ')}`,
      });
    else out.category = input.category;
  }
  const contactName = text('contactName', input.contactName, 100);
  if (contactName !== undefined) out.contactName = contactName;
  const contactEmail = text('contactEmail', input.contactEmail, 254);
  if (contactEmail !== undefined) {
    if (contactEmail !== null && !EMAIL.test(contactEmail.toLowerCase()))
      problems.push({ pointer: '/contactEmail', message: 'is not an email address' });
    else out.contactEmail = contactEmail === null ? null : contactEmail.toLowerCase();
  }
  const contactPhone = text('contactPhone', input.contactPhone, 32);
  if (contactPhone !== undefined) {
    if (contactPhone !== null && !PHONE.test(contactPhone))
      problems.push({
        pointer: '/contactPhone',
        message: 'is not a telephone number (digits, spaces, +, -, parentheses)',
      });
    else out.contactPhone = contactPhone;
  }
  const postalAddress = text('postalAddress', input.postalAddress, 300);
  if (postalAddress !== undefined) out.postalAddress = postalAddress;
  const invoice = text('invoiceRegistrationNumber', input.invoiceRegistrationNumber, 20);
  if (input.invoiceRegistrationNumber !== undefined && invoice !== undefined) {
    const normal = invoice === null ? null : normaliseRegistrationNumber(invoice);
    const problem = normal === null ? undefined : registrationNumberProblem(normal);
    if (problem !== undefined) problems.push({ pointer: '/invoiceRegistrationNumber', message: problem });
    else out.invoiceRegistrationNumber = normal;
  } else if (input.invoiceRegistrationNumber !== undefined && invoice === undefined) {
    // too long: reported by text() already
  }
  if (problems.length > 0)
    throw new CyropError(
      'BAD_REQUEST',
      problems.map((p) => `${p.pointer.slice(1)}: ${p.message}`).join('; '),
      { details: problems },
    );
  return out;
}

type UserRow = Omit<UsersTable, 'must_change_password' | 'disabled'> & {
  must_change_password: number;
  disabled: number;
};

function toUser(row: UserRow): User {
  return {
    id: row.id,
    orgId: row.org_id,
    email: row.email,
    name: row.name,
    role: row.role,
    mustChangePassword: row.must_change_password === 1,
    disabled: row.disabled === 1,
    createdAt: row.created_at,
    preferredLanguage: row.preferred_language ?? null,
  };
}

/** Control characters (C0, DEL, C1) and invisible format characters (bidi overrides, zero-width). */
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
/** In names, ZWJ and variation selectors stay allowed (emoji); controls and bidi overrides do not. */
const NAME_CONTROL = /[\p{Cc}\u200B\u200E\u200F\u202A-\u202E\u2060-\u206F\uFEFF\u2028\u2029]/u;

function normaliseEmail(email: string): string {
  const normal = email.trim().toLowerCase();
  if (CONTROL.test(normal))
    throw new CyropError('BAD_REQUEST', 'email: must not contain control or invisible characters', {
      details: { field: 'email' },
    });
  if (normal.length > 254 || !EMAIL.test(normal))
    throw new CyropError('BAD_REQUEST', `email: '${email}' is not an email address`, {
      details: { field: 'email' },
    });
  return normal;
}

function cleanName(name: string, what: string, field = 'name'): string {
  const clean = name.trim();
  if (NAME_CONTROL.test(clean))
    throw new CyropError('BAD_REQUEST', `${field}: the ${what} must not contain control characters`, {
      details: { field },
    });
  if (!clean || clean.length > 100)
    throw new CyropError('BAD_REQUEST', `${field}: the ${what} must be 1–100 printable characters`, {
      details: { field },
    });
  return clean;
}

function checkPasswordPolicy(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > 200)
    throw new CyropError('BAD_REQUEST', `a password has ${MIN_PASSWORD_LENGTH}–200 characters`);
}

/** 20 characters of base64url (120 bits): typable once, then changed. */
function randomPassword(): string {
  return randomBytes(15).toString('base64url');
}

/** How the audit log names a principal as a target: `user:<id>`, or `team:<exercise>/<team>` for a participant. */
export function describeTarget(principal: Principal): string {
  return principal.kind === 'user'
    ? `user:${principal.userId}`
    : `team:${principal.exerciseId}/${principal.teamId}`;
}
