import { randomBytes, randomUUID } from 'node:crypto';
import type { Principal, Role } from '../access/principal.ts';
import { CyropError } from '../errors.ts';
import type { Db } from '../store/database.ts';
import {
  describeActor,
  hashToken,
  ROLES_BY_ORG_KIND,
  type AccountService,
  type SessionGrant,
} from './account-service.ts';

export const INVITATION_TTL_MS = 14 * 24 * 60 * 60 * 1000;

export interface Invitation {
  id: string;
  orgId: string;
  email: string;
  role: Exclude<Role, 'operator'>;
  name: string | null;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  state: 'pending' | 'accepted' | 'revoked' | 'expired';
}

/**
 * Invitations by link: an org-admin (or an instructor, for trainees of a roster) invites an e-mail
 * address to the organisation with a role; whoever opens the link chooses a name and a password,
 * and the account exists from then on. Only the sha256 of the link's token is stored; a link works
 * once, until it expires (14 days) or is revoked.
 */
export class InvitationService {
  private readonly db: Db;
  private readonly clock: () => number;

  constructor(private readonly options: { db: Db; accounts: AccountService; clock?: () => number }) {
    this.db = options.db;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * A new invitation; the token is returned once (the link is `#/invite/<token>`). A pending
   * invitation of the same address to the organisation is revoked in the same transaction.
   */
  async create(
    orgId: string,
    input: { email: string; role: Invitation['role']; name?: string },
    by: { actor: Principal; ip?: string | undefined },
  ): Promise<{ invitation: Invitation; token: string }> {
    const org = await this.options.accounts.getOrganisation(orgId);
    if (!org) throw new CyropError('NOT_FOUND', `no organisation '${orgId}'`);
    if (org.disabled)
      throw new CyropError('CONFLICT', `the organisation '${org.name}' is disabled: nobody can join it`);
    if (!ROLES_BY_ORG_KIND[org.kind].includes(input.role))
      throw new CyropError(
        'BAD_REQUEST',
        `role: a ${org.kind} organisation may have the roles ${ROLES_BY_ORG_KIND[org.kind].join(', ')}, not ${input.role}`,
      );
    const email = input.email.trim().toLowerCase();
    const taken = await this.db
      .selectFrom('users')
      .select('org_id')
      .where('email', '=', email)
      .executeTakeFirst();
    if (taken)
      throw new CyropError(
        'CONFLICT',
        taken.org_id === orgId
          ? `email: ${email} already has an account in this organisation`
          : `email: ${email} cannot be invited`,
      );
    const token = randomBytes(24).toString('base64url');
    const now = this.clock();
    const row = {
      id: randomUUID(),
      token_hash: hashToken(token),
      org_id: orgId,
      email,
      role: input.role,
      name: input.name?.trim() || null,
      created_by: describeActor(by.actor),
      created_at: now,
      expires_at: now + INVITATION_TTL_MS,
      accepted_at: null,
      revoked_at: null,
      user_id: null,
    };
    // one link per address: a new invitation replaces the pending one (whose link may have been lost)
    const replaced = await this.db.transaction().execute(async (trx) => {
      const earlier = await trx
        .updateTable('invitations')
        .set({ revoked_at: now })
        .where('org_id', '=', orgId)
        .where('email', '=', email)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returning('id')
        .execute();
      await trx.insertInto('invitations').values(row).execute();
      return earlier.map((e) => e.id);
    });
    await this.options.accounts.audit(
      by.actor,
      'invitation.created',
      `invitation:${row.id}`,
      { email, role: input.role, ...(replaced.length > 0 ? { replaces: replaced } : {}) },
      {
        ip: by.ip,
        orgId,
      },
    );
    return { invitation: this.toInvitation(row), token };
  }

  /** The invitations of an organisation, newest first. */
  async list(orgId: string): Promise<Invitation[]> {
    const rows = await this.db
      .selectFrom('invitations')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((r) => this.toInvitation(r));
  }

  /** The newest invitation of an address in an organisation that can still be accepted. */
  async pendingFor(orgId: string, email: string): Promise<Invitation | undefined> {
    return (await this.list(orgId)).find((i) => i.email === email.toLowerCase() && i.state === 'pending');
  }

  async revoke(
    orgId: string,
    id: string,
    by: { actor: Principal; ip?: string | undefined },
  ): Promise<Invitation> {
    const row = await this.db
      .selectFrom('invitations')
      .selectAll()
      .where('id', '=', id)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    if (!row) throw new CyropError('NOT_FOUND', `no invitation '${id}'`);
    if (row.accepted_at !== null) throw new CyropError('CONFLICT', 'this invitation was accepted already');
    if (row.revoked_at === null) {
      await this.db
        .updateTable('invitations')
        .set({ revoked_at: this.clock() })
        .where('id', '=', id)
        .execute();
      await this.options.accounts.audit(
        by.actor,
        'invitation.revoked',
        `invitation:${id}`,
        { email: row.email },
        {
          ip: by.ip,
          orgId,
        },
      );
    }
    return this.toInvitation({ ...row, revoked_at: row.revoked_at ?? this.clock() });
  }

  /** What the person opening the link is told; unknown, used, revoked and expired links are all "no such invitation". */
  async describe(
    token: string,
  ): Promise<{ email: string; role: string; name: string | null; organisation: string; expiresAt: number }> {
    const row = await this.open(token);
    const org = await this.options.accounts.getOrganisation(row.org_id);
    return {
      email: row.email,
      role: row.role,
      name: row.name,
      organisation: org?.name ?? '',
      expiresAt: row.expires_at,
    };
  }

  /**
   * Create the account (with the chosen name and password), sign it in, and hand it the roster entries
   * that were waiting for its e-mail address in its organisation's exercises.
   */
  async accept(token: string, input: { name: string; password: string }, ip?: string): Promise<SessionGrant> {
    const row = await this.open(token);
    if ((await this.options.accounts.getOrganisation(row.org_id))?.disabled)
      throw new CyropError('CONFLICT', 'this organisation is disabled: the invitation cannot be used now');
    const { user } = await this.options.accounts.createUser({
      orgId: row.org_id,
      email: row.email,
      name: input.name,
      role: row.role,
      password: input.password,
    });
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      const claimed = await trx
        .updateTable('invitations')
        .set({ accepted_at: now, user_id: user.id })
        .where('id', '=', row.id)
        .where('accepted_at', 'is', null)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1)
        throw new CyropError('CONFLICT', 'this invitation was accepted already');
      await trx
        .updateTable('exercise_members')
        .set({ user_id: user.id })
        .where('email', '=', row.email)
        .where('user_id', 'is', null)
        .where('exercise_id', 'in', trx.selectFrom('exercises').select('id').where('org_id', '=', row.org_id))
        .execute();
    });
    const grant = await this.options.accounts.login(row.email, input.password, ip);
    await this.options.accounts.audit(
      grant.principal,
      'invitation.accepted',
      `invitation:${row.id}`,
      { email: row.email },
      {
        ip,
        orgId: row.org_id,
      },
    );
    return grant;
  }

  private async open(token: string) {
    const row = await this.db
      .selectFrom('invitations')
      .selectAll()
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row || row.accepted_at !== null || row.revoked_at !== null || row.expires_at <= this.clock())
      throw new CyropError(
        'NOT_FOUND',
        'this invitation link is unknown, used, revoked or expired: ask for a new one',
      );
    return row;
  }

  private toInvitation(row: {
    id: string;
    org_id: string;
    email: string;
    role: Invitation['role'];
    name: string | null;
    created_by: string;
    created_at: number;
    expires_at: number;
    accepted_at: number | null;
    revoked_at: number | null;
  }): Invitation {
    return {
      id: row.id,
      orgId: row.org_id,
      email: row.email,
      role: row.role,
      name: row.name,
      createdBy: row.created_by,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      state:
        row.accepted_at !== null
          ? 'accepted'
          : row.revoked_at !== null
            ? 'revoked'
            : row.expires_at <= this.clock()
              ? 'expired'
              : 'pending',
    };
  }
}
