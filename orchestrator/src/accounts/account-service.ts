import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Principal, Role } from '../api/api-registry.ts';
import { CyropError } from '../errors.ts';
import type { Db } from '../store/database.ts';
import type { OrganisationKind, UsersTable } from '../store/schema.ts';
import { hashJoinCode, newJoinCode } from './join-code.ts';
import { claimMembership } from './team-members.ts';
import {
  DEFAULT_JOIN_RATE_LIMITS,
  DEFAULT_LOGIN_RATE_LIMITS,
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

export const FIRST_OPERATOR_EMAIL = 'admin@localhost';
export const ROLES_BY_ORG_KIND: Record<OrganisationKind, readonly Role[]> = {
  operator: ['operator'],
  'training-company': ['org-admin', 'instructor', 'trainee'],
  customer: ['org-admin', 'instructor', 'trainee'],
};
export const MIN_PASSWORD_LENGTH = 10;
const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_JOIN_CODE_TTL_MS = DAY_MS;
export const MAX_JOIN_CODE_TTL_MS = 30 * DAY_MS;

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

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

  async createOrganisation(input: { name: string; kind: OrganisationKind }): Promise<Organisation> {
    const name = cleanName(input.name, 'organisation name');
    if (input.kind === 'operator' && (await this.operatorOrg()))
      throw new CyropError('CONFLICT', 'there is already a platform operator organisation');
    const org: Organisation = { id: randomUUID(), name, kind: input.kind, createdAt: this.clock() };
    await this.db
      .insertInto('organisations')
      .values({ id: org.id, name: org.name, kind: org.kind, created_at: org.createdAt })
      .execute();
    return org;
  }

  async listOrganisations(): Promise<Organisation[]> {
    const rows = await this.db
      .selectFrom('organisations')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, kind: r.kind, createdAt: r.created_at }));
  }

  async getOrganisation(id: string): Promise<Organisation | undefined> {
    const r = await this.db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst();
    return r && { id: r.id, name: r.name, kind: r.kind, createdAt: r.created_at };
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
    if (!ROLES_BY_ORG_KIND[org.kind].includes(input.role))
      throw new CyropError(
        'BAD_REQUEST',
        `a ${org.kind} organisation may have the roles ${ROLES_BY_ORG_KIND[org.kind].join(', ')}, not ${input.role}`,
      );
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

  /** Enable or disable a user; disabling ends their sessions. */
  async setDisabled(userId: string, disabled: boolean): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ disabled: disabled ? 1 : 0 })
      .where('id', '=', userId)
      .execute();
    if (disabled) await this.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
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
      if (!row || row.disabled) {
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
   * checking other passwords).
   */
  async login(email: string, password: string, ip?: string): Promise<SessionGrant> {
    const key = email.trim().toLowerCase();
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
      if (!user || user.disabled) return undefined;
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

  async logout(token: string): Promise<void> {
    if (!token) return;
    await this.db.deleteFrom('sessions').where('id', '=', hashToken(token)).execute();
    this.announceEnded([hashToken(token)]);
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
  async changePassword(userId: string, current: string, next: string): Promise<SessionGrant> {
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
    options: { expiresAt?: number; maxUses?: number; createdBy: string; label?: string },
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
    return { id, code, exerciseId, teamId, expiresAt, maxUses: options.maxUses ?? null };
  }

  /**
   * Join a team with its code: a participant session (with the user, if one is signed in).
   * Throttled: failed joins per address and joins per code, with growing delays (RATE_LIMITED).
   */
  async join(code: string, displayName: string, userId?: string, ip?: string): Promise<SessionGrant> {
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

  /** Newest first; `orgId` limits to one organisation; `before` pages by id. */
  async listAudit(options: { orgId?: string; limit?: number; before?: number } = {}): Promise<AuditEntry[]> {
    let query = this.db.selectFrom('audit_log').selectAll();
    if (options.orgId !== undefined) query = query.where('org_id', '=', options.orgId);
    if (options.before !== undefined) query = query.where('id', '<', options.before);
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

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  private async operatorOrg(): Promise<Organisation | undefined> {
    const r = await this.db
      .selectFrom('organisations')
      .selectAll()
      .where('kind', '=', 'operator')
      .executeTakeFirst();
    return r && { id: r.id, name: r.name, kind: r.kind, createdAt: r.created_at };
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
  if (actor.kind === 'user') return `user:${actor.userId}`;
  return `participant:${actor.exerciseId}/${actor.teamId}${actor.userId ? `:user:${actor.userId}` : ''}`;
}

function userPrincipal(user: User): Principal {
  return { kind: 'user', userId: user.id, orgId: user.orgId, role: user.role, name: user.name };
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
