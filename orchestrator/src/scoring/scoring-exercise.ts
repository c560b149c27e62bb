import type { EnvironmentPlan, PlannedObjective, PlannedScoring } from '../compiler/environment-plan.ts';
import { CyropError } from '../errors.ts';
import { AnswerChecker } from './check-answer.ts';
import { rateLimitPolicy, type RateLimitPolicy } from './rate-limiter.ts';

export type LocalizedText = PlannedObjective['title'];

/** What every team shares about one objective (no secrets, no per-team texts). */
export interface ScoringObjective {
  readonly id: string;
  readonly kind: PlannedObjective['kind'];
  readonly title: LocalizedText;
  readonly points: number;
  readonly requires: readonly string[];
  readonly competencies: readonly string[];
  readonly hints: readonly { readonly id: string; readonly cost: number }[];
}

export interface ScoringTeam {
  readonly id: string;
  readonly name: string;
  readonly index: number;
}

/**
 * The scoring view of one exercise: its teams (in plan order), the objectives every team shares,
 * the scoring rules and rate limit, and every team's secrets behind `answers`.
 */
export interface ScoringExercise {
  readonly exerciseId: string;
  /** The scenario version every team's plan was made from, and its content hash. */
  readonly scenario: { readonly id: string; readonly version: string; readonly sourceHash: string };
  readonly teams: readonly ScoringTeam[];
  readonly objectives: readonly ScoringObjective[];
  readonly scoring: PlannedScoring;
  readonly rateLimit: RateLimitPolicy;
  readonly answers: AnswerChecker;
}

/**
 * Builds the exercise from its per-team plans. All plans must belong to one exercise and agree on
 * everything but secrets and rendered texts: objective ids, order, kinds, points, requires, hint ids
 * and costs, the scoring rules and the rate limit. Throws BAD_REQUEST listing every disagreement.
 */
export function scoringExerciseFromPlans(plans: readonly EnvironmentPlan[]): ScoringExercise {
  const first = plans[0];
  if (!first) throw new CyropError('BAD_REQUEST', 'an exercise needs at least one team plan');
  const problems: string[] = [];
  const shape = (plan: EnvironmentPlan): string =>
    JSON.stringify({
      objectives: plan.objectives.map(sharedObjective),
      flags: plan.objectives.map((o) => (o.flag ? ('exact' in o.flag ? 'exact' : o.flag) : null)),
      scoring: plan.scoring,
      rate: plan.settings.wrongSubmissionsPerMinute,
    });
  const expected = shape(first);
  const seen = new Set<string>();
  for (const plan of plans) {
    if (plan.exercise.id !== first.exercise.id)
      problems.push(`team ${plan.team.id} belongs to exercise ${plan.exercise.id}, not ${first.exercise.id}`);
    if (seen.has(plan.team.id)) problems.push(`team ${plan.team.id} has more than one plan`);
    seen.add(plan.team.id);
    if (shape(plan) !== expected)
      problems.push(`team ${plan.team.id}'s objectives or scoring differ from team ${first.team.id}'s`);
  }
  const ids = new Set(first.objectives.map((o) => o.id));
  if (ids.size !== first.objectives.length) problems.push('objective ids are not unique');
  for (const o of first.objectives)
    for (const r of o.requires)
      if (!ids.has(r)) problems.push(`objective ${o.id} requires unknown objective ${r}`);
  if (problems.length > 0)
    throw new CyropError('BAD_REQUEST', `the plans do not make one exercise: ${problems.join('; ')}`, {
      details: problems,
    });
  return {
    exerciseId: first.exercise.id,
    scenario: { ...first.scenario },
    teams: plans.map((p) => ({ id: p.team.id, name: p.team.name, index: p.team.index })),
    objectives: first.objectives.map(sharedObjective),
    scoring: first.scoring,
    rateLimit: rateLimitPolicy(first.settings.wrongSubmissionsPerMinute),
    answers: new AnswerChecker(plans),
  };
}

function sharedObjective(o: PlannedObjective): ScoringObjective {
  return {
    id: o.id,
    kind: o.kind,
    title: o.title,
    points: o.points,
    requires: [...o.requires],
    competencies: [...o.competencies],
    hints: o.hints.map((h) => ({ id: h.id, cost: h.cost })),
  };
}
