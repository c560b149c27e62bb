import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { CyropError } from '../errors.ts';
import type { Db } from '../store/database.ts';

/** A member of one team of an exercise (a roster entry, or someone who joined with a code). */
export interface TeamMember {
  id: string;
  teamId: string;
  displayName: string;
  email: string | null;
  userId: string | null;
  /** Whether the person holds an account (is recognised across exercises and courses). */
  hasAccount: boolean;
  source: 'roster' | 'join';
  createdAt: number;
}

/**
 * Record that someone joins a team, inside the joining transaction. A person with an account is on
 * one team of an exercise: joining again (any code of that team) adds nobody, joining another team is
 * refused; a roster entry waiting for their e-mail becomes theirs. A team at its member cap refuses
 * newcomers with a message that names the cap.
 */
export async function claimMembership(
  trx: Db,
  join: { exerciseId: string; teamId: string; displayName: string; userId: string | null; now: number },
): Promise<void> {
  if (join.userId !== null) {
    const mine = await trx
      .selectFrom('exercise_members')
      .select(['id', 'team_id'])
      .where('exercise_id', '=', join.exerciseId)
      .where('user_id', '=', join.userId)
      .executeTakeFirst();
    if (mine) {
      if (mine.team_id !== join.teamId)
        throw new CyropError('CONFLICT', 'you are a member of another team of this exercise: use its code');
      return;
    }
    const user = await trx
      .selectFrom('users')
      .select('email')
      .where('id', '=', join.userId)
      .executeTakeFirst();
    const listed =
      user &&
      (await trx
        .selectFrom('exercise_members')
        .select(['id', 'team_id'])
        .where('exercise_id', '=', join.exerciseId)
        .where('email', '=', user.email)
        .where('user_id', 'is', null)
        .executeTakeFirst());
    if (listed) {
      if (listed.team_id !== join.teamId)
        throw new CyropError('CONFLICT', "your instructor's roster puts you in another team: use its code");
      await trx
        .updateTable('exercise_members')
        .set({ user_id: join.userId })
        .where('id', '=', listed.id)
        .execute();
      return;
    }
  }
  await mustHaveRoom(trx, join.exerciseId, join.teamId, 1);
  await trx
    .insertInto('exercise_members')
    .values({
      id: randomUUID(),
      exercise_id: join.exerciseId,
      team_id: join.teamId,
      display_name: join.displayName,
      email: null,
      user_id: join.userId,
      source: 'join',
      created_at: join.now,
    })
    .execute();
}

/** Refuses adding `more` members to a team at its cap. */
export async function mustHaveRoom(trx: Db, exerciseId: string, teamId: string, more: number): Promise<void> {
  const exercise = await trx
    .selectFrom('exercises')
    .select('max_members_per_team')
    .where('id', '=', exerciseId)
    .executeTakeFirst();
  const cap = exercise?.max_members_per_team;
  if (cap === null || cap === undefined) return;
  const { n } = await trx
    .selectFrom('exercise_members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('exercise_id', '=', exerciseId)
    .where('team_id', '=', teamId)
    .executeTakeFirstOrThrow();
  if (n + more > cap)
    throw new CyropError(
      'CONFLICT',
      `this team is full: it takes at most ${cap} member${cap === 1 ? '' : 's'}`,
    );
}

/** The members of every team of an exercise, in the order they were added. */
export async function listMembers(db: Db, exerciseId: string): Promise<TeamMember[]> {
  const rows = await db
    .selectFrom('exercise_members')
    .selectAll()
    .where('exercise_id', '=', exerciseId)
    .orderBy('team_id')
    .orderBy(sql`rowid`) // the order they were added: a roster keeps its lines' order
    .execute();
  return rows.map((r) => ({
    id: r.id,
    teamId: r.team_id,
    displayName: r.display_name,
    email: r.email,
    userId: r.user_id,
    hasAccount: r.user_id !== null,
    source: r.source,
    createdAt: r.created_at,
  }));
}
