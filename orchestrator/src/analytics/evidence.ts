import { CyropError } from '../errors.ts';
import type { LocalizedText } from '../compiler/scenario.ts';
import {
  findStatement,
  findWorkRole,
  workRolesWithStatement,
  type NiceCatalogue,
  type NiceFramework,
  type NiceStatementType,
} from '../nice/nice-catalogue.ts';
import type { Db } from '../store/database.ts';
export type {
  SolvedObjective,
  ExerciseEvidence,
  EvidencedStatement,
  RoleProgress,
  FrameworkEvidence,
  EvidenceSubject,
  Evidence,
} from '../../../contract/analytics.ts';
import type {
  SolvedObjective,
  ExerciseEvidence,
  EvidencedStatement,
  RoleProgress,
  FrameworkEvidence,
  EvidenceSubject,
  Evidence,
} from '../../../contract/analytics.ts';

/**
 * Skills evidence: which NICE statements a trainee (an account) or a team demonstrated, read from the
 * scoring tables (`solves`, with the `solve` event of `scoring_events` for who submitted).
 *
 * Rules (also in README.md):
 * - A solved objective evidences exactly the statement ids of that objective (`competencies`), at the
 *   solve's time, in its exercise. Unsolved and locked objectives evidence nothing.
 * - The scenario's own statements (`competencies.statements`) are evidenced only when the team solved
 *   EVERY objective of the scenario (they describe the whole exercise), at the last solve's time.
 * - A trainee's evidence is the solves of the teams they are a member of (`exercise_members.user_id`)
 *   made at or after they became a member: teams work together, so a teammate's solve counts; each
 *   solve says who submitted it (`solvedBy`: an account id, or null for checks and anonymous joins).
 * - Anonymous participants (no account) have evidence only through their team.
 * - Ids that are not statements of the scenario's framework (competency areas, unknown ids) are kept
 *   on the objective but count in no statement list or role progress.
 */

/** What evidence needs of a scenario version (from the scenario catalogue). */
export interface ScenarioMapping {
  id: string;
  version: string;
  title: LocalizedText;
  framework?: string;
  workRoles: readonly string[];
  statements: readonly string[];
  objectives: readonly { id: string; title: LocalizedText; competencies?: readonly string[] }[];
}

export interface EvidenceSources {
  db: Db;
  /** The scenario version an exercise ran (undefined: no longer known: reported as unresolved). */
  scenario: (id: string, version: string) => ScenarioMapping | undefined;
  /** The imported catalogue of a framework version (undefined: not imported). */
  catalogue: (framework: NiceFramework) => Promise<NiceCatalogue | undefined>;
}

interface Membership {
  exerciseId: string;
  teamId: string;
  /** Solves before this time are not the member's. */
  since: number;
}

/** Reads skills evidence from the database; one instance serves any number of reports. */
export class EvidenceReader {
  constructor(private readonly sources: EvidenceSources) {}

  /**
   * A trainee's evidence across every exercise they were a team member of (`exerciseIds`: only those,
   * e.g. one course's runs; `orgId`: only that organisation's exercises).
   */
  async forTrainee(
    userId: string,
    options: { role?: string; exerciseIds?: readonly string[]; orgId?: string } = {},
  ): Promise<Evidence> {
    const rows = await this.sources.db
      .selectFrom('exercise_members')
      .select(['exercise_id', 'team_id', 'created_at'])
      .where('user_id', '=', userId)
      .execute();
    const wanted = options.exerciseIds ? new Set(options.exerciseIds) : undefined;
    const memberships = rows
      .filter((r) => !wanted || wanted.has(r.exercise_id))
      .map((r) => ({ exerciseId: r.exercise_id, teamId: r.team_id, since: r.created_at }));
    return this.build({ kind: 'trainee', userId }, memberships, options.role, undefined, options.orgId);
  }

  /** One team's evidence in one exercise (anonymous joins included). */
  async forTeam(exerciseId: string, teamId: string, options: { role?: string } = {}): Promise<Evidence> {
    return this.build({ kind: 'team', exerciseId, teamId }, [{ exerciseId, teamId, since: 0 }], options.role);
  }

  /** The exercise's members with an account, each with their evidence in this exercise only. */
  async forClass(
    exerciseId: string,
    options: { role?: string } = {},
  ): Promise<{ userId: string; displayName: string; teamId: string; evidence: Evidence }[]> {
    const members = await this.sources.db
      .selectFrom('exercise_members')
      .select(['user_id', 'display_name', 'team_id', 'created_at'])
      .where('exercise_id', '=', exerciseId)
      .where('user_id', 'is not', null)
      .orderBy('display_name')
      .execute();
    const solves = await this.solvesOf(exerciseId);
    const out = [];
    for (const m of members) {
      if (m.user_id === null) continue;
      const evidence = await this.build(
        { kind: 'trainee', userId: m.user_id },
        [{ exerciseId, teamId: m.team_id, since: m.created_at }],
        options.role,
        solves,
      );
      out.push({ userId: m.user_id, displayName: m.display_name, teamId: m.team_id, evidence });
    }
    return out;
  }

  private async solvesOf(exerciseId: string) {
    return this.sources.db
      .selectFrom('solves as s')
      .leftJoin('scoring_events as e', 'e.seq', 's.seq')
      .select(['s.exercise_id', 's.team_id', 's.objective_id', 's.at', 'e.payload'])
      .where('s.exercise_id', '=', exerciseId)
      .orderBy('s.seq')
      .execute();
  }

  private async build(
    subject: EvidenceSubject,
    memberships: readonly Membership[],
    role: string | undefined,
    cachedSolves?: Awaited<ReturnType<EvidenceReader['solvesOf']>>,
    /** Only the exercises of this organisation (what its staff may see). */
    onlyOrg?: string,
  ): Promise<Evidence> {
    const { db } = this.sources;
    const exercises: ExerciseEvidence[] = [];
    const unresolved: Evidence['unresolved'] = [];
    for (const m of memberships) {
      const exercise = await db
        .selectFrom('exercises')
        .select(['id', 'scenario_id', 'scenario_version', 'org_id', 'created_at'])
        .where('id', '=', m.exerciseId)
        .executeTakeFirst();
      if (!exercise || (onlyOrg !== undefined && exercise.org_id !== onlyOrg)) continue;
      const team = await db
        .selectFrom('exercise_teams')
        .select(['team_name'])
        .where('exercise_id', '=', m.exerciseId)
        .where('team_id', '=', m.teamId)
        .executeTakeFirst();
      const scenario = this.sources.scenario(exercise.scenario_id, exercise.scenario_version);
      if (!scenario) {
        unresolved.push({
          exerciseId: exercise.id,
          scenario: `${exercise.scenario_id}@${exercise.scenario_version}`,
          reason: 'the scenario version is not in the catalogue',
        });
        continue;
      }
      const all = cachedSolves ?? (await this.solvesOf(m.exerciseId));
      const solved: SolvedObjective[] = [];
      for (const s of all) {
        if (s.team_id !== m.teamId || s.at < m.since) continue;
        const objective = scenario.objectives.find((o) => o.id === s.objective_id);
        if (!objective) continue;
        solved.push({
          id: objective.id,
          title: objective.title,
          solvedAt: s.at,
          solvedBy: userIdOf(s.payload),
          statementIds: [...new Set(objective.competencies ?? [])],
        });
      }
      // every objective of the scenario solved by the team (a member's window included)
      const complete =
        scenario.objectives.length > 0 && scenario.objectives.every((o) => solved.some((s) => s.id === o.id));
      exercises.push({
        exerciseId: exercise.id,
        orgId: exercise.org_id,
        teamId: m.teamId,
        teamName: team?.team_name ?? m.teamId,
        startedAt: exercise.created_at,
        scenario: {
          id: scenario.id,
          version: scenario.version,
          title: scenario.title,
          framework: scenario.framework ?? null,
        },
        objectivesTotal: scenario.objectives.length,
        objectivesSolved: solved,
        scenarioStatements: complete
          ? {
              at: Math.max(...solved.map((s) => s.solvedAt)),
              statementIds: [...new Set(scenario.statements)],
            }
          : null,
      });
    }
    exercises.sort((a, b) => a.startedAt - b.startedAt || a.exerciseId.localeCompare(b.exerciseId));
    const frameworks = await this.frameworks(exercises, role);
    return { subject, exercises, frameworks, unresolved };
  }

  private async frameworks(exercises: readonly ExerciseEvidence[], role: string | undefined) {
    const byFramework = new Map<NiceFramework, ExerciseEvidence[]>();
    for (const e of exercises) {
      const f = e.scenario.framework as NiceFramework | null;
      if (!f) continue;
      byFramework.set(f, [...(byFramework.get(f) ?? []), e]);
    }
    const out: FrameworkEvidence[] = [];
    for (const [framework, list] of [...byFramework].sort((a, b) => a[0].localeCompare(b[0]))) {
      out.push(
        frameworkEvidence(
          framework,
          await this.sources.catalogue(framework),
          list,
          this.sources.scenario,
          role,
        ),
      );
    }
    return out;
  }
}

function userIdOf(payload: string | null): string | null {
  if (!payload) return null;
  try {
    const event = JSON.parse(payload) as { userId?: unknown };
    return typeof event.userId === 'string' ? event.userId : null;
  } catch {
    return null;
  }
}

/** Pure: the statements and role progress of one framework's exercises. */
export function frameworkEvidence(
  framework: NiceFramework,
  catalogue: NiceCatalogue | undefined,
  exercises: readonly ExerciseEvidence[],
  scenarioOf: EvidenceSources['scenario'],
  role?: string,
): FrameworkEvidence {
  const found = new Map<string, EvidencedStatement>();
  const add = (id: string, at: number, exerciseId: string) => {
    const statement = catalogue ? findStatement(catalogue, id) : undefined;
    // a competency area or an id the catalogue does not know
    if (catalogue ? !statement : !/^[TKSA]\d{4}$/.test(id)) return;
    const known = found.get(id);
    if (!known) {
      found.set(id, {
        id,
        type: statement?.type ?? typeOfId(id),
        text: statement?.text ?? '',
        firstAt: at,
        exerciseIds: [exerciseId],
      });
      return;
    }
    if (at < known.firstAt) {
      known.firstAt = at;
      known.exerciseIds = [exerciseId, ...known.exerciseIds.filter((x) => x !== exerciseId)];
    } else if (!known.exerciseIds.includes(exerciseId)) known.exerciseIds.push(exerciseId);
  };
  const namedRoles = new Set<string>();
  for (const e of exercises) {
    for (const o of e.objectivesSolved) for (const id of o.statementIds) add(id, o.solvedAt, e.exerciseId);
    if (e.scenarioStatements)
      for (const id of e.scenarioStatements.statementIds) add(id, e.scenarioStatements.at, e.exerciseId);
    for (const r of scenarioOf(e.scenario.id, e.scenario.version)?.workRoles ?? []) namedRoles.add(r);
  }
  const statements = [...found.values()].sort((a, b) => a.firstAt - b.firstAt || a.id.localeCompare(b.id));
  const roles: RoleProgress[] = [];
  if (catalogue) {
    if (role !== undefined && !findWorkRole(catalogue, role))
      throw new CyropError('BAD_REQUEST', `unknown work role ${role} in ${framework}`);
    // through the statement → roles index: the cost follows the statements demonstrated, not the roles' sizes
    const demonstratedBy = new Map<string, number>();
    for (const id of found.keys())
      for (const r of new Set(workRolesWithStatement(catalogue, id)))
        demonstratedBy.set(r, (demonstratedBy.get(r) ?? 0) + 1);
    const totals = roleTotals(catalogue);
    for (const r of catalogue.workRoles) {
      const demonstrated = demonstratedBy.get(r.id) ?? 0;
      if (role !== undefined ? r.id === role : demonstrated > 0 || namedRoles.has(r.id))
        roles.push({ id: r.id, name: r.name, demonstrated, total: totals.get(r.id) ?? 0 });
    }
    roles.sort((a, b) => b.demonstrated - a.demonstrated || a.id.localeCompare(b.id));
  }
  return { framework, catalogueImported: catalogue !== undefined, statements, roles };
}

const totalsCache = new WeakMap<NiceCatalogue, Map<string, number>>();

/** The number of distinct statements of each role (cached per catalogue, which is immutable). */
function roleTotals(catalogue: NiceCatalogue): Map<string, number> {
  let totals = totalsCache.get(catalogue);
  if (!totals) {
    totals = new Map(catalogue.workRoles.map((r) => [r.id, new Set(r.statements).size]));
    totalsCache.set(catalogue, totals);
  }
  return totals;
}

const TYPE_OF_LETTER: Record<string, NiceStatementType> = {
  T: 'task',
  K: 'knowledge',
  S: 'skill',
  A: 'ability',
};

function typeOfId(id: string): NiceStatementType {
  return TYPE_OF_LETTER[id.charAt(0)] ?? 'task';
}

/** "31 of 212 statements of PD-WRL-001 demonstrated". */
export function formatRoleProgress(p: RoleProgress): string {
  return `${p.demonstrated} of ${p.total} statements of ${p.id} (${p.name}) demonstrated`;
}
