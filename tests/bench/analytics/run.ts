/**
 * Analytics benchmark. Prints one JSON document with ratios against references measured in the
 * same run (absolute times vary between machines; the ratios say what the analytics layer costs):
 *
 * - coverage: `computeCoverage` of 1,000 generated scenarios × 20 objectives (3 statement ids each,
 *   plus 4 at scenario level) against NIST's v2.1.0 catalogue — overall, by type and all 41 roles —
 *   versus ONE PASS over the same ids into a Set (the least any coverage figure can cost).
 * - class report: `EvidenceReader.forClass` of an exercise with 200 trainees (100 teams × 2, each team
 *   solving 10 of 20 objectives through the real scoring service) — statements, dates and role
 *   progress per trainee — versus ONE SQL query returning every (trainee, solved objective) row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimMembership } from '../../../orchestrator/src/accounts/team-members.ts';
import {
  insertExercise,
  insertOrg,
  insertUser,
  mappingOf,
} from '../../../orchestrator/src/analytics/analytics-test-data.ts';
import { computeCoverage, type Material } from '../../../orchestrator/src/analytics/coverage.ts';
import { EvidenceReader } from '../../../orchestrator/src/analytics/evidence.ts';
import { compileScenario } from '../../../orchestrator/src/compiler/compile-scenario.ts';
import { planExercise } from '../../../orchestrator/src/compiler/plan-exercise.ts';
import { niceTestData } from '../../../orchestrator/src/nice/nice-test-data.ts';
import { ScoringService } from '../../../orchestrator/src/scoring-service/scoring-service.ts';
import { ScoringStore } from '../../../orchestrator/src/scoring-service/scoring-store.ts';
import { openDatabase } from '../../../orchestrator/src/store/database.ts';

const MIN_SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

/** Calls `fn` for at least MIN_SECONDS (after warm-up); milliseconds per call (median of the runs). */
async function timeOf(fn: () => unknown): Promise<{ msPerRun: number; runs: number }> {
  for (let i = 0; i < 3; i++) await fn();
  const times: number[] = [];
  const started = performance.now();
  while (performance.now() - started < MIN_SECONDS * 1000 || times.length < 5) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { msPerRun: Math.round(times[Math.floor(times.length / 2)]! * 1000) / 1000, runs: times.length };
}

/** Deterministic pseudo-random numbers (the same materials every run). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

async function coverageBench() {
  const v210 = niceTestData.catalogue('v210');
  const ids = v210.statements.map((s) => s.id);
  const roles = v210.workRoles.map((r) => r.id);
  const random = lcg(14);
  const pick = () => ids[Math.floor(random() * ids.length)]!;
  const materials: Material[] = Array.from({ length: 1000 }, (_, i) => ({
    id: `scenario-${i}`,
    framework: 'nice-2.1.0',
    workRoles: [roles[i % roles.length]!],
    statements: [
      ...Array.from({ length: 4 }, pick),
      ...Array.from({ length: 20 }, () => Array.from({ length: 3 }, pick)).flat(),
    ],
  }));
  let covered = 0;
  const analytics = await timeOf(() => {
    covered = computeCoverage(v210, materials).overall.covered;
  });
  let onePassCovered = 0;
  const onePass = await timeOf(() => {
    const set = new Set<string>();
    for (const m of materials) for (const id of m.statements) set.add(id);
    onePassCovered = set.size;
  });
  if (covered !== onePassCovered) throw new Error(`coverage ${covered} ≠ one pass ${onePassCovered}`);
  return {
    scenarios: materials.length,
    objectivesPerScenario: 20,
    statementIds: materials.reduce((n, m) => n + m.statements.length, 0),
    covered: { covered, total: v210.statements.length },
    roles: v210.workRoles.length,
    computeCoverageMs: analytics.msPerRun,
    onePassMs: onePass.msPerRun,
    ratioToOnePass: Math.round((analytics.msPerRun / onePass.msPerRun) * 10) / 10,
  };
}

function classScenario(): string {
  const v210 = niceTestData.catalogue('v210');
  const ids = v210.statements.map((s) => s.id);
  const objectives = Array.from(
    { length: 20 },
    (_, i) =>
      `  - { id: o${i}, kind: question, title: { en: Objective ${i} }, points: 10, question: { answers: ["a${i}"] }, competencies: [${[0, 1, 2].map((k) => ids[(i * 37 + k * 101) % ids.length]).join(', ')}] }`,
  );
  return `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: class-bench, version: 1.0.0, title: Class bench, category: other, difficulty: beginner }
competencies: { framework: nice-2.1.0, workRoles: [PD-WRL-001], statements: [${ids.slice(0, 4).join(', ')}] }
networks: [{ name: lan }]
hosts:
  - { name: box, image: cyrop/attacker:1, networks: [lan], console: true }
objectives:
${objectives.join('\n')}
`;
}

async function classBench() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-bench-analytics-'));
  const database = await openDatabase(dir);
  try {
    const compiled = compileScenario(classScenario(), { file: 'class-bench.yaml' }).compiled;
    if (!compiled) throw new Error('the class scenario does not compile');
    const EX = 'class-bench';
    const TEAMS = 100;
    const plans = planExercise(compiled, { exerciseId: EX, teams: TEAMS, secret: 'bench-secret' });
    const db = database.db;
    const T0 = Date.UTC(2026, 3, 1);
    await insertOrg(db, 'org-1', T0);
    await insertExercise(db, {
      id: EX,
      orgId: 'org-1',
      scenarioId: 'class-bench',
      version: '1.0.0',
      at: T0,
      teams: plans,
    });
    for (let t = 1; t <= TEAMS; t++)
      for (const k of [1, 2]) {
        const id = `trainee-${t}-${k}`;
        await insertUser(db, id, 'org-1', 'trainee', T0);
        await claimMembership(db, {
          exerciseId: EX,
          teamId: `team-${t}`,
          displayName: id,
          userId: id,
          now: T0,
        });
      }
    let now = T0;
    const scoring = new ScoringService({
      store: new ScoringStore(database.sqlite),
      plans: () => Promise.resolve(plans),
      clock: () => (now += 1000),
    });
    await scoring.start(EX);
    const submits: Promise<unknown>[] = [];
    for (let t = 1; t <= TEAMS; t++)
      for (let o = 0; o < 10; o++)
        submits.push(
          scoring.submit(EX, `team-${t}`, `o${(o + t) % 20}`, `a${(o + t) % 20}`, `trainee-${t}-1`),
        );
    await Promise.all(submits);
    await scoring.stopTimers();
    const mapping = mappingOf(compiled.scenario);
    const v210 = niceTestData.catalogue('v210');
    const reader = new EvidenceReader({
      db,
      scenario: () => mapping,
      catalogue: () => Promise.resolve(v210),
    });
    let trainees = 0;
    let statements = 0;
    const report = await timeOf(async () => {
      const members = await reader.forClass(EX);
      trainees = members.length;
      statements = members.reduce((n, m) => n + (m.evidence.frameworks[0]?.statements.length ?? 0), 0);
    });
    const query = database.sqlite.prepare(
      `SELECT m.user_id, s.objective_id, s.at FROM exercise_members m
         JOIN solves s ON s.exercise_id = m.exercise_id AND s.team_id = m.team_id AND s.at >= m.created_at
        WHERE m.exercise_id = ? AND m.user_id IS NOT NULL`,
    );
    let rows = 0;
    const sql = await timeOf(() => {
      rows = query.all(EX).length;
    });
    if (rows !== trainees * 10) throw new Error(`expected ${trainees * 10} solve rows, got ${rows}`);
    return {
      trainees,
      teams: TEAMS,
      objectives: 20,
      solvesPerTeam: 10,
      statementsEvidenced: statements,
      classReportMs: report.msPerRun,
      oneSqlQueryMs: sql.msPerRun,
      ratioToOneQuery: Math.round((report.msPerRun / sql.msPerRun) * 10) / 10,
    };
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const result = {
  bench: 'analytics',
  node: process.version,
  minSecondsPerMeasure: MIN_SECONDS,
  coverage: await coverageBench(),
  classReport: await classBench(),
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
