import { CyropError } from '../errors.ts';
import type { Db } from '../store/database.ts';
import { fraction } from './coverage.ts';
export type { UsageMaterial, MaterialUse, UsageReport } from '../../../contract/analytics.ts';
import type { UsageMaterial, MaterialUse, UsageReport } from '../../../contract/analytics.ts';

/**
 * Material use for a period (also in README.md):
 * - A launch is an exercise created in [from, to) (the organisation's only, when one is named).
 * - A real team is a team of such an exercise with at least one member (roster entry or join) or at
 *   least one scoring event of its own: a launch nobody joined is a rehearsal, not a use.
 * - A material (scenario id, all versions together) is used when at least one launch of it has a real
 *   team. Utilisation = used materials of the catalogue / materials of the catalogue. Launches of ids
 *   that are not in the given catalogue (deleted, another organisation's) are listed apart and never
 *   enter the denominator.
 * - Trainee-hours: per member of a real team, from max(joined, launched) to the exercise's end (its
 *   `exercise-ended` event, else its last change when it is `ended`, else now), cut at `to`.
 */

const HOUR = 3_600_000;

export async function usageReport(
  db: Db,
  input: { from: number; to: number; orgId?: string; now: number; materials: readonly UsageMaterial[] },
): Promise<UsageReport> {
  if (!(input.from < input.to))
    throw new CyropError(
      'BAD_REQUEST',
      `usage period: from (${new Date(input.from).toISOString()}) must be before to (${new Date(input.to).toISOString()})`,
    );
  let query = db
    .selectFrom('exercises')
    .select(['id', 'scenario_id', 'state', 'created_at', 'updated_at'])
    .where('created_at', '>=', input.from)
    .where('created_at', '<', input.to);
  if (input.orgId !== undefined) query = query.where('org_id', '=', input.orgId);
  const exercises = await query.execute();
  const ids = exercises.map((e) => e.id);
  const [members, eventTeams, ends] =
    ids.length === 0
      ? [[], [], []]
      : await Promise.all([
          db
            .selectFrom('exercise_members')
            .select(['exercise_id', 'team_id', 'created_at'])
            .where('exercise_id', 'in', ids)
            .execute(),
          db
            .selectFrom('scoring_events')
            .select(['exercise_id', 'team_id'])
            .distinct()
            .where('exercise_id', 'in', ids)
            .where('team_id', 'is not', null)
            .execute(),
          db
            .selectFrom('scoring_events')
            .select(['exercise_id', (eb) => eb.fn.min('at').as('at')])
            .where('exercise_id', 'in', ids)
            .where('type', '=', 'exercise-ended')
            .groupBy('exercise_id')
            .execute(),
        ]);
  const endOf = new Map(ends.map((e) => [e.exercise_id, e.at]));
  const realTeams = new Map<string, Set<string>>();
  const mark = (exerciseId: string, teamId: string) => {
    const set = realTeams.get(exerciseId) ?? new Set<string>();
    set.add(teamId);
    realTeams.set(exerciseId, set);
  };
  for (const m of members) mark(m.exercise_id, m.team_id);
  for (const e of eventTeams) if (e.team_id !== null) mark(e.exercise_id, e.team_id);

  const catalogue = new Map(input.materials.map((m) => [m.id, m]));
  const uses = new Map<string, MaterialUse>();
  const useOf = (id: string): MaterialUse => {
    let use = uses.get(id);
    if (!use) {
      use = {
        id,
        title: catalogue.get(id)?.title ?? null,
        launches: 0,
        realLaunches: 0,
        realTeams: 0,
        trainees: 0,
        traineeHours: 0,
      };
      uses.set(id, use);
    }
    return use;
  };
  const membersOf = new Map<string, typeof members>();
  for (const m of members) membersOf.set(m.exercise_id, [...(membersOf.get(m.exercise_id) ?? []), m]);
  let totalHours = 0;
  for (const e of exercises) {
    const use = useOf(e.scenario_id);
    use.launches += 1;
    const teams = realTeams.get(e.id)?.size ?? 0;
    if (teams > 0) use.realLaunches += 1;
    use.realTeams += teams;
    const end = Math.min(endOf.get(e.id) ?? (e.state === 'ended' ? e.updated_at : input.now), input.to);
    for (const m of membersOf.get(e.id) ?? []) {
      use.trainees += 1;
      const hours = Math.max(0, end - Math.max(m.created_at, e.created_at)) / HOUR;
      use.traineeHours += hours;
      totalHours += hours;
    }
  }
  const round = (h: number) => Math.round(h * 100) / 100;
  const inCatalogue = input.materials.map((m) => useOf(m.id));
  const used = inCatalogue.filter((u) => u.realLaunches > 0);
  const order = (a: MaterialUse, b: MaterialUse) =>
    b.traineeHours - a.traineeHours || a.id.localeCompare(b.id);
  const finish = (u: MaterialUse) => ({ ...u, traineeHours: round(u.traineeHours) });
  return {
    period: { from: input.from, to: input.to },
    orgId: input.orgId ?? null,
    utilisation: fraction(used.length, input.materials.length),
    launches: exercises.length,
    realTeams: [...realTeams.values()].reduce((n, s) => n + s.size, 0),
    traineeHours: round(totalHours),
    materials: [...inCatalogue].sort(order).map(finish),
    neverUsed: input.materials
      .filter((m) => !(uses.get(m.id)?.realLaunches ?? 0))
      .map((m) => ({ id: m.id, title: m.title })),
    outsideCatalogue: [...uses.values()]
      .filter((u) => !catalogue.has(u.id))
      .sort(order)
      .map(finish),
  };
}
