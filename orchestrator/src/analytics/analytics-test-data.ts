import { compileScenario } from '../compiler/compile-scenario.ts';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import { planExercise } from '../compiler/plan-exercise.ts';
import type { Scenario } from '../compiler/scenario.ts';
import type { Db } from '../store/database.ts';
import type { ScenarioMapping } from './evidence.ts';

/**
 * Test support (not a test): a small scenario mapped to NICE v2.1.0 ids (`recon` question → T1084,
 * K1193; `capture` flag → S0875, K1089, NF-COM-007; `contain` flag, requires capture → T1323;
 * scenario level → K0939, S0156), its plans, and rows the way the platform writes them.
 */
export const EVIDENCE_SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: evidence-test, version: 1.0.0, title: { en: Evidence test, ja: 証跡テスト }, category: other, difficulty: beginner }
competencies: { framework: nice-2.1.0, workRoles: [PD-WRL-001], statements: [K0939, S0156] }
parameters:
  f1: { kind: flag, prefix: CYROP }
  f2: { kind: flag, prefix: CYROP }
networks: [{ name: lan }]
hosts:
  - { name: box, image: cyrop/attacker:1, networks: [lan], console: true }
objectives:
  - { id: recon, kind: question, title: { en: Port?, ja: ポートは？ }, points: 10, question: { answers: ["8080"] }, competencies: [T1084, K1193] }
  - { id: capture, kind: flag, title: { en: Capture }, points: 20, flag: "{{params.f1}}", competencies: [S0875, K1089, NF-COM-007] }
  - { id: contain, kind: flag, title: { en: Contain }, points: 30, flag: "{{params.f2}}", requires: [capture], competencies: [T1323] }
`;

export function evidenceScenario(): Scenario {
  const result = compileScenario(EVIDENCE_SCENARIO, { file: 'evidence-test.yaml' });
  if (!result.compiled)
    throw new Error(
      `evidence test scenario: ${result.diagnostics.map((d) => `${d.pointer} ${d.message}`).join('; ')}`,
    );
  return result.compiled.scenario;
}

export function evidencePlans(exerciseId: string, teams: number): EnvironmentPlan[] {
  const result = compileScenario(EVIDENCE_SCENARIO, { file: 'evidence-test.yaml' });
  if (!result.compiled) throw new Error('evidence test scenario does not compile');
  return planExercise(result.compiled, { exerciseId, teams, secret: `secret-${exerciseId}` });
}

export function mappingOf(s: Scenario): ScenarioMapping {
  return {
    id: s.metadata.id,
    version: s.metadata.version,
    title: s.metadata.title,
    ...(s.competencies ? { framework: s.competencies.framework } : {}),
    workRoles: s.competencies?.workRoles ?? [],
    statements: s.competencies?.statements ?? [],
    objectives: s.objectives.map((o) => ({
      id: o.id,
      title: o.title,
      ...(o.competencies ? { competencies: o.competencies } : {}),
    })),
  };
}

/** A team's answer from its plan. */
export function answer(plans: readonly EnvironmentPlan[], teamId: string, objectiveId: string): string {
  const o = plans.find((p) => p.team.id === teamId)?.objectives.find((x) => x.id === objectiveId);
  if (o?.flag && 'exact' in o.flag) return o.flag.exact;
  const a = o?.question?.answers[0];
  if (a === undefined) throw new Error(`no answer for ${teamId}/${objectiveId}`);
  return a;
}

export async function insertOrg(db: Db, id: string, now: number): Promise<void> {
  await db
    .insertInto('organisations')
    .values({
      id,
      name: id,
      kind: 'training-company',
      created_at: now,
      category: null,
      contact_name: null,
      contact_email: null,
      contact_phone: null,
      postal_address: null,
      invoice_registration_number: null,
      disabled_at: null,
    })
    .execute();
}

export async function insertUser(
  db: Db,
  id: string,
  orgId: string,
  role: 'trainee' | 'instructor' | 'org-admin' | 'operator',
  now: number,
): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id,
      org_id: orgId,
      email: `${id}@example.test`,
      name: `Name ${id}`,
      role,
      password_hash: 'x',
      created_at: now,
      preferred_language: null,
    })
    .execute();
}

/** An exercise row and its team rows, as the exercise service writes them at launch. */
export async function insertExercise(
  db: Db,
  e: {
    id: string;
    orgId: string | null;
    scenarioId: string;
    version: string;
    at: number;
    teams: readonly EnvironmentPlan[] | number;
    state?: 'running' | 'ended';
    /** The account that launched it (its instructor's class). */
    createdBy?: string | null;
  },
): Promise<void> {
  await db
    .insertInto('exercises')
    .values({
      id: e.id,
      scenario_id: e.scenarioId,
      scenario_version: e.version,
      scenario_hash: 'h',
      scenario_path: 'p',
      secret: 's',
      state: e.state ?? 'running',
      engine: 'docker',
      created_at: e.at,
      updated_at: e.at,
      expires_at: null,
      org_id: e.orgId,
      created_by: e.createdBy ?? null,
    })
    .execute();
  const teams =
    typeof e.teams === 'number'
      ? Array.from({ length: e.teams }, (_, i) => ({ id: `team-${i + 1}`, name: `Team ${i + 1}`, index: i }))
      : e.teams.map((p) => p.team);
  for (const t of teams)
    await db
      .insertInto('exercise_teams')
      .values({
        exercise_id: e.id,
        team_id: t.id,
        team_name: t.name,
        team_index: t.index,
        plan: '{}',
        plan_hash: 'h',
        state: 'ready',
        last_error: null,
        updated_at: e.at,
      })
      .execute();
}
