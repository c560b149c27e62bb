import type { EnvironmentPlan, PlannedObjective } from '../compiler/environment-plan.ts';
import { localize, type LocalizedText } from '../compiler/scenario.ts';
import { toCsv } from '../scoring/export-results.ts';

/**
 * What a team must give for one objective, as its plan says (the plan is what scoring judges
 * against: derived from the exercise secret by the compiler, as `cyrop plan --secret` derives it):
 * - `exact`: the team's flag, compared as it is;
 * - `regex`: any text the pattern (RE2) matches;
 * - `any-of`: one of the accepted answers of a question;
 * - `check`: nothing to type: the command run on the team's host must pass.
 */
export type ExpectedAnswer =
  | { match: 'exact'; value: string }
  | { match: 'regex'; pattern: string; caseSensitive: boolean }
  | { match: 'any-of'; values: string[]; caseSensitive: boolean }
  | { match: 'check'; host: string; from?: string; run: string[]; user?: string };

export interface AnswerKeyTeam {
  teamId: string;
  teamName: string;
  objectives: {
    objectiveId: string;
    kind: PlannedObjective['kind'];
    title: LocalizedText;
    /** The objective's text as this team reads it (per-team values such as passwords filled in). */
    description?: LocalizedText;
    points: number;
    expected: ExpectedAnswer;
  }[];
}

/** The per-team answer key of an exercise: teams in order, each objective in the scenario's order. */
export interface AnswerKey {
  exerciseId: string;
  scenario: { id: string; version: string };
  teams: AnswerKeyTeam[];
}

export function expectedAnswer(objective: PlannedObjective): ExpectedAnswer {
  if (objective.flag)
    return 'exact' in objective.flag
      ? { match: 'exact', value: objective.flag.exact }
      : { match: 'regex', pattern: objective.flag.regex, caseSensitive: objective.flag.caseSensitive };
  if (objective.question)
    return {
      match: 'any-of',
      values: [...objective.question.answers],
      caseSensitive: objective.question.caseSensitive,
    };
  const check = objective.check;
  return {
    match: 'check',
    host: check?.host ?? '',
    ...(check?.from !== undefined ? { from: check.from } : {}),
    run: [...(check?.run ?? [])],
    ...(check?.user !== undefined ? { user: check.user } : {}),
  };
}

/** The answer key from the teams' plans (in team order). Pure. */
export function answerKeyOf(exerciseId: string, plans: readonly EnvironmentPlan[]): AnswerKey {
  const first = plans[0];
  return {
    exerciseId,
    scenario: { id: first?.scenario.id ?? '', version: first?.scenario.version ?? '' },
    teams: plans.map((plan) => ({
      teamId: plan.team.id,
      teamName: plan.team.name,
      objectives: plan.objectives.map((o) => ({
        objectiveId: o.id,
        kind: o.kind,
        title: o.title,
        ...(o.description !== undefined ? { description: o.description } : {}),
        points: o.points,
        expected: expectedAnswer(o),
      })),
    })),
  };
}

/** The answer a person types (or the check that is run), in one line. */
export function answerText(expected: ExpectedAnswer): string {
  switch (expected.match) {
    case 'exact':
      return expected.value;
    case 'regex':
      return expected.pattern;
    case 'any-of':
      return expected.values[0] ?? '';
    case 'check':
      return `${expected.from ? `${expected.from} → ` : ''}${expected.host}: ${expected.run.join(' ')}`;
  }
}

const HEADER = [
  'team_id',
  'team_name',
  'objective_id',
  'objective_title',
  'kind',
  'points',
  'match',
  'answer',
  'also_accepted',
  'case_sensitive',
];

/**
 * The answer key as CSV (UTF-8 with a byte order mark, CRLF, like the results CSV): one row per team ×
 * objective; titles in `lang` (falling back to English).
 */
export function answerKeyCsv(key: AnswerKey, lang = 'en'): string {
  const rows = key.teams.flatMap((team) =>
    team.objectives.map((o) => {
      const e = o.expected;
      return [
        team.teamId,
        team.teamName,
        o.objectiveId,
        localize(o.title, lang) ?? '',
        o.kind,
        o.points,
        e.match,
        answerText(e),
        e.match === 'any-of' ? e.values.slice(1).join(' | ') : '',
        e.match === 'exact' ? true : e.match === 'check' ? null : e.caseSensitive,
      ];
    }),
  );
  return '\uFEFF' + toCsv(HEADER, rows);
}
