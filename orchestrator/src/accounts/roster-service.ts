import { randomUUID } from 'node:crypto';
import type { Principal } from '../access/principal.ts';
import { CyropError } from '../errors.ts';
import type { Db } from '../store/database.ts';
import {
  describeActor,
  ROLES_BY_ORG_KIND,
  type AccountService,
  type SessionGrant,
} from './account-service.ts';
import type { InvitationService } from './invitation-service.ts';
import type { RosterRow } from './roster-csv.ts';
import { listMembers, mustHaveRoom, type TeamMember } from './team-members.ts';

export interface JoinCodeInfo {
  id: string;
  teamId: string;
  label: string | null;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  maxUses: number | null;
  uses: number;
  state: 'active' | 'revoked' | 'expired' | 'used-up';
}

export interface JoinSheetTeam {
  teamId: string;
  teamName: string;
  code: string;
  expiresAt: number;
  members: string[];
}

export interface MyExercise {
  exerciseId: string;
  teamId: string;
  teamName: string;
  scenario: string;
  state: string;
  expiresAt: number | null;
}

/**
 * Who is on which team: the instructor's roster (CSV), the members who joined with a code, the join
 * codes of an exercise (listed by id, revocable), a printable join sheet, and trainees with accounts
 * entering the exercises they are on without a code.
 */
export class RosterService {
  private readonly db: Db;
  private readonly clock: () => number;

  constructor(
    private readonly options: {
      db: Db;
      accounts: AccountService;
      invitations: InvitationService;
      clock?: () => number;
    },
  ) {
    this.db = options.db;
    this.clock = options.clock ?? Date.now;
  }

  async members(exerciseId: string): Promise<TeamMember[]> {
    return listMembers(this.db, exerciseId);
  }

  /** The teams of an exercise, in order. */
  async teams(exerciseId: string): Promise<{ id: string; name: string }[]> {
    const rows = await this.db
      .selectFrom('exercise_teams')
      .select(['team_id', 'team_name'])
      .where('exercise_id', '=', exerciseId)
      .orderBy('team_index')
      .execute();
    return rows.map((r) => ({ id: r.team_id, name: r.team_name }));
  }

  /**
   * Add a roster's trainees to their teams (by team name or id), all or nothing. An e-mail that has an
   * account in the exercise's organisation is linked to it; another e-mail gets an invitation link
   * (returned once) when the organisation may hold trainees.
   */
  async importRoster(
    exerciseId: string,
    rows: readonly RosterRow[],
    by: { actor: Principal; ip?: string | undefined },
  ): Promise<{ added: number; invitations: { email: string; token: string }[]; notInvited: string[] }> {
    const exercise = await this.db
      .selectFrom('exercises')
      .select(['org_id', 'state'])
      .where('id', '=', exerciseId)
      .executeTakeFirst();
    if (!exercise) throw new CyropError('NOT_FOUND', `no exercise '${exerciseId}'`);
    if (exercise.state === 'ended' || exercise.state === 'tearing-down')
      throw new CyropError('EXERCISE_ENDED', 'the exercise has ended: its roster can no longer change');
    const teams = await this.teams(exerciseId);
    const teamOf = (name: string) => teams.find((t) => t.name === name || t.id === name);
    const problems: { line: number; message: string }[] = [];
    for (const row of rows)
      if (!teamOf(row.team))
        problems.push({
          line: row.line,
          message: `no team '${row.team}' in this exercise (teams: ${teams.map((t) => t.name).join(', ')})`,
        });
    const existing = await listMembers(this.db, exerciseId);
    for (const row of rows)
      if (row.email && existing.some((m) => m.email === row.email))
        problems.push({ line: row.line, message: `${row.email} is on the roster already` });
    if (problems.length > 0)
      throw new CyropError(
        'BAD_REQUEST',
        `the roster has ${problems.length} problem(s); nothing was imported`,
        {
          details: problems,
        },
      );
    const orgId = exercise.org_id;
    const now = this.clock();
    const accounts = new Map<string, string>();
    if (orgId !== null)
      for (const row of rows.filter((r) => r.email)) {
        const user = await this.db
          .selectFrom('users')
          .select('id')
          .where('email', '=', row.email as string)
          .where('org_id', '=', orgId)
          .executeTakeFirst();
        if (user) accounts.set(row.email as string, user.id);
      }
    await this.db.transaction().execute(async (trx) => {
      for (const team of teams) {
        const more = rows.filter((r) => teamOf(r.team) === team).length;
        if (more > 0) await mustHaveRoom(trx, exerciseId, team.id, more);
      }
      for (const row of rows) {
        await trx
          .insertInto('exercise_members')
          .values({
            id: randomUUID(),
            exercise_id: exerciseId,
            team_id: (teamOf(row.team) as { id: string }).id,
            display_name: row.displayName,
            email: row.email ?? null,
            user_id: row.email ? (accounts.get(row.email) ?? null) : null,
            source: 'roster',
            created_at: now,
          })
          .execute();
      }
    });
    const invitations: { email: string; token: string }[] = [];
    const notInvited: string[] = [];
    const org = orgId === null ? undefined : await this.options.accounts.getOrganisation(orgId);
    for (const row of rows) {
      if (!row.email || accounts.has(row.email)) continue;
      if (!org || !ROLES_BY_ORG_KIND[org.kind].includes('trainee')) {
        notInvited.push(row.email);
        continue;
      }
      const taken = await this.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', row.email)
        .executeTakeFirst();
      if (taken || (await this.options.invitations.pendingFor(org.id, row.email))) {
        notInvited.push(row.email);
        continue;
      }
      const { token } = await this.options.invitations.create(
        org.id,
        { email: row.email, role: 'trainee', name: row.displayName },
        by,
      );
      invitations.push({ email: row.email, token });
    }
    await this.options.accounts.audit(
      by.actor,
      'roster.imported',
      `exercise:${exerciseId}`,
      { members: rows.length, invitations: invitations.length },
      { ip: by.ip, orgId },
    );
    return { added: rows.length, invitations, notInvited };
  }

  /** Every join code of an exercise (never the codes themselves: they are shown once). */
  async joinCodes(exerciseId: string): Promise<JoinCodeInfo[]> {
    const now = this.clock();
    const rows = await this.db
      .selectFrom('join_codes')
      .selectAll()
      .where('exercise_id', '=', exerciseId)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      teamId: r.team_id,
      label: r.label,
      createdBy: r.created_by,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      maxUses: r.max_uses,
      uses: r.uses,
      state:
        r.revoked_at !== null
          ? 'revoked'
          : r.expires_at <= now
            ? 'expired'
            : r.max_uses !== null && r.uses >= r.max_uses
              ? 'used-up'
              : 'active',
    }));
  }

  /** From now on the code joins nobody (sessions it opened stay: end them by resetting the team). */
  async revokeJoinCode(
    exerciseId: string,
    id: string,
    by: { actor: Principal; ip?: string | undefined },
  ): Promise<JoinCodeInfo> {
    const result = await this.db
      .updateTable('join_codes')
      .set({ revoked_at: this.clock() })
      .where('exercise_id', '=', exerciseId)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const found = (await this.joinCodes(exerciseId)).find((c) => c.id === id);
    if (!found) throw new CyropError('NOT_FOUND', `no join code '${id}' in exercise '${exerciseId}'`);
    if (Number(result.numUpdatedRows) === 0 && found.state !== 'revoked')
      throw new CyropError('CONFLICT', 'the join code could not be revoked');
    if (Number(result.numUpdatedRows) === 1)
      await this.options.accounts.audit(
        by.actor,
        'join-code.revoked',
        `team:${exerciseId}/${found.teamId}`,
        { id },
        {
          ip: by.ip,
          orgId: await this.orgOf(exerciseId),
        },
      );
    return found;
  }

  /**
   * A fresh code per team for a printed sheet (one page per team): each code takes as many people as the
   * team's cap allows (unlimited without a cap) and lives until `expiresAt` (default 24 h).
   */
  async joinSheet(
    exerciseId: string,
    options: { actor: Principal; ip?: string | undefined; expiresAt?: number },
  ): Promise<JoinSheetTeam[]> {
    const exercise = await this.db
      .selectFrom('exercises')
      .select('max_members_per_team')
      .where('id', '=', exerciseId)
      .executeTakeFirst();
    if (!exercise) throw new CyropError('NOT_FOUND', `no exercise '${exerciseId}'`);
    const members = await listMembers(this.db, exerciseId);
    const sheet: JoinSheetTeam[] = [];
    for (const team of await this.teams(exerciseId)) {
      const created = await this.options.accounts.createJoinCode(exerciseId, team.id, {
        createdBy: describeActor(options.actor),
        label: 'join sheet',
        ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
        ...(exercise.max_members_per_team !== null ? { maxUses: exercise.max_members_per_team } : {}),
      });
      sheet.push({
        teamId: team.id,
        teamName: team.name,
        code: created.code,
        expiresAt: created.expiresAt,
        members: members.filter((m) => m.teamId === team.id).map((m) => m.displayName),
      });
    }
    await this.options.accounts.audit(
      options.actor,
      'join-sheet.printed',
      `exercise:${exerciseId}`,
      { teams: sheet.length, expiresAt: sheet[0]?.expiresAt },
      { ip: options.ip, orgId: await this.orgOf(exerciseId) },
    );
    return sheet;
  }

  /** The live exercises a signed-in user is a member of. */
  async myExercises(userId: string): Promise<MyExercise[]> {
    const rows = await this.db
      .selectFrom('exercise_members')
      .innerJoin('exercises', 'exercises.id', 'exercise_members.exercise_id')
      .innerJoin('exercise_teams', (j) =>
        j
          .onRef('exercise_teams.exercise_id', '=', 'exercise_members.exercise_id')
          .onRef('exercise_teams.team_id', '=', 'exercise_members.team_id'),
      )
      .select([
        'exercises.id as exerciseId',
        'exercise_members.team_id as teamId',
        'exercise_teams.team_name as teamName',
        'exercises.scenario_id as scenario',
        'exercises.state as state',
        'exercises.expires_at as expiresAt',
      ])
      .where('exercise_members.user_id', '=', userId)
      .where('exercises.state', 'in', ['launching', 'running'])
      .orderBy('exercises.created_at', 'desc')
      .execute();
    return rows;
  }

  /** A member with an account enters their team of a running exercise: a participant session, no code. */
  async enter(exerciseId: string, principal: Principal | undefined, ip?: string): Promise<SessionGrant> {
    if (principal?.kind !== 'user') throw new CyropError('UNAUTHENTICATED', 'sign in first');
    const mine = (await this.myExercises(principal.userId)).find((e) => e.exerciseId === exerciseId);
    if (!mine) {
      const state = await this.db
        .selectFrom('exercises')
        .select('state')
        .where('id', '=', exerciseId)
        .executeTakeFirst();
      const member = await this.db
        .selectFrom('exercise_members')
        .select('id')
        .where('exercise_id', '=', exerciseId)
        .where('user_id', '=', principal.userId)
        .executeTakeFirst();
      if (member && state && (state.state === 'ended' || state.state === 'tearing-down'))
        throw new CyropError('EXERCISE_ENDED', 'this exercise has ended');
      throw new CyropError('NOT_FOUND', `you are not on a team of exercise '${exerciseId}'`);
    }
    await this.options.accounts.audit(
      principal,
      'exercise.entered',
      `team:${exerciseId}/${mine.teamId}`,
      {},
      { ip, orgId: await this.orgOf(exerciseId) },
    );
    return this.options.accounts.startSession(
      {
        kind: 'participant',
        user_id: principal.userId,
        exercise_id: exerciseId,
        team_id: mine.teamId,
        display_name: principal.name,
      },
      {
        kind: 'participant',
        exerciseId,
        teamId: mine.teamId,
        name: principal.name,
        userId: principal.userId,
      },
      false,
    );
  }

  private async orgOf(exerciseId: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('exercises')
      .select('org_id')
      .where('id', '=', exerciseId)
      .executeTakeFirst();
    return row?.org_id ?? null;
  }
}
