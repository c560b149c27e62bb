import type { EnvironmentPlan, PlannedObjective, PlannedScoring } from '../compiler/environment-plan.ts';
import { ScoreboardProjection, type ProjectionDelta } from './scoreboard-projection.ts';
import { decideCheckResult, decideHintUnlock, decideSubmission } from './scoring-decisions.ts';
import type { ScoringEvent, ScoringEventDraft } from './scoring-events.ts';
import { scoringExerciseFromPlans, type ScoringExercise } from './scoring-exercise.ts';

/**
 * Test support (not a test): per-team plans shaped like the compiler's, a seeded PRNG, a simulated
 * server that produces realistic event logs through the real decisions, and a fast synthetic log
 * for benchmarks.
 */

/** The flag of one team for one objective, as a per-team HMAC would give (deterministic here). */
export function teamFlag(teamId: string, objectiveId: string): string {
  return `CYROP{${objectiveId}-${teamId}-7f3a}`;
}

/** recon (question) → sqli (per-team flag, 2 hints) ; token (regex flag) ; patch (check) ; notes (question, 0 points). */
export function defaultObjectives(teamId: string): PlannedObjective[] {
  return [
    {
      id: 'recon',
      kind: 'question',
      title: { en: 'Which port serves the shop?', ja: 'ショップは何番ポートですか？' },
      points: 50,
      requires: [],
      competencies: ['K1079'],
      hints: [{ id: 'r1', cost: 5, text: 'Scan the DMZ.' }],
      question: { text: 'Port?', answers: ['8080', 'tcp/8080'], caseSensitive: false },
    },
    {
      id: 'sqli',
      kind: 'flag',
      title: { en: 'Log in as admin' },
      description: { en: `The shop of ${teamId} runs at http://shop.example/` },
      points: 200,
      requires: ['recon'],
      competencies: [],
      hints: [
        { id: 'h1', cost: 20, text: 'Try a single quote.' },
        { id: 'h2', cost: 30, text: "' OR 1=1 --" },
      ],
      flag: { exact: teamFlag(teamId, 'sqli') },
    },
    {
      id: 'token',
      kind: 'flag',
      title: 'Find the token',
      points: 100,
      requires: [],
      competencies: [],
      hints: [],
      flag: { regex: '^CYROP\\{tok-[0-9]+\\}$', caseSensitive: true },
    },
    {
      id: 'patch',
      kind: 'check',
      title: 'Fix the query',
      points: 300,
      requires: ['recon'],
      competencies: ['S0544'],
      hints: [{ id: 'p1', cost: 0, text: 'Prepared statements.' }],
      check: {
        host: 'web',
        forgeable: false,
        run: ['/bin/sh', '-c', '/opt/checks/login-is-parameterised'],
        expect: { exitCode: 0, stdout: 'SAFE' },
        timeoutMs: 10_000,
        everyMs: 30_000,
      },
    },
    {
      id: 'notes',
      kind: 'question',
      title: 'Unscored warm-up',
      points: 0,
      requires: [],
      competencies: [],
      hints: [],
      question: { answers: ['ok'], caseSensitive: false },
    },
  ];
}

export interface TestPlanOptions {
  exerciseId?: string;
  teams: number | readonly string[];
  objectives?: (teamId: string) => PlannedObjective[];
  scoring?: Partial<PlannedScoring>;
  wrongSubmissionsPerMinute?: number;
  teamName?: (teamId: string) => string;
}

export function testPlans(options: TestPlanOptions): EnvironmentPlan[] {
  const teamIds =
    typeof options.teams === 'number'
      ? Array.from({ length: options.teams }, (_, i) => `team-${String(i + 1).padStart(4, '0')}`)
      : options.teams;
  const scoring: PlannedScoring = { model: 'static', firstBloodBonusPercent: 0, ...options.scoring };
  return teamIds.map((id, index) => ({
    apiVersion: 'cyrop.io/plan/v1',
    hash: `hash-${id}`,
    exercise: { id: options.exerciseId ?? 'ex-1' },
    team: { id, name: options.teamName?.(id) ?? `Team ${id}`, index },
    scenario: { id: 'web-sqli-basics', version: '1.0.0', sourceHash: 'source' },
    labels: {},
    networks: [],
    hosts: [],
    objectives: (options.objectives ?? defaultObjectives)(id),
    scoring,
    settings: { recordKeystrokes: false, wrongSubmissionsPerMinute: options.wrongSubmissionsPerMinute ?? 5 },
  }));
}

export function testExercise(options: TestPlanOptions): ScoringExercise {
  return scoringExerciseFromPlans(testPlans(options));
}

/** mulberry32: small, fast, good enough to drive tests; the same seed gives the same sequence. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

/**
 * A test server: numbers drafts (seq gaps allowed, like an autoincrement after rollbacks) and
 * applies them to its projection, keeping the log.
 */
export class TestLog {
  readonly events: ScoringEvent[] = [];
  readonly projection: ScoreboardProjection;
  private seq = 0;

  constructor(
    readonly exercise: ScoringExercise,
    private readonly gaps?: SeededRandom,
  ) {
    this.projection = new ScoreboardProjection(exercise);
  }

  /** Numbers, logs and applies the drafts; returns the projection's deltas. */
  append(drafts: readonly ScoringEventDraft[]): ProjectionDelta[] {
    return drafts.map((draft) => {
      this.seq += 1 + (this.gaps && this.gaps.next() < 0.1 ? this.gaps.int(3) : 0);
      const event: ScoringEvent = { ...draft, seq: this.seq };
      this.events.push(event);
      return this.projection.apply(event);
    });
  }
}

/**
 * A seeded exercise run through the real decisions: submissions (right, wrong, other teams' flags,
 * bursts that hit the rate limit, locked objectives), check results, hints, awards, freezes,
 * start and end. Returns the log; `onEvent` sees every event with its delta-producing projection.
 */
export function simulateExercise(
  exercise: ScoringExercise,
  options: { seed: number; steps: number; startAt?: number },
): TestLog {
  const random = new SeededRandom(options.seed);
  const log = new TestLog(exercise, random);
  let now = options.startAt ?? Date.UTC(2026, 3, 1, 9, 0, 0);
  const teams = exercise.teams.map((t) => t.id);
  const answerable = exercise.objectives.filter((o) => o.kind !== 'check');
  const checks = exercise.objectives.filter((o) => o.kind === 'check');
  const hinted = exercise.objectives.filter((o) => o.hints.length > 0);
  const projection = log.projection;
  log.append([{ type: 'exercise-started', at: now, endsAt: now + 3_600_000 }]);
  for (let step = 0; step < options.steps; step++) {
    now += random.next() < 0.3 ? random.int(40) : random.int(4000); // bursts and pauses
    const teamId = random.pick(teams);
    const roll = random.next();
    if (roll < 0.7) {
      const objective = random.pick(answerable);
      const planned = exercise.answers.objective(teamId, objective.id);
      let text: string;
      const kind = random.next();
      if (kind < 0.25) text = correctAnswer(planned, random);
      else if (kind < 0.32)
        text = correctAnswer(exercise.answers.objective(random.pick(teams), objective.id), random);
      else if (kind < 0.34) text = 'x'.repeat(1100);
      else text = `guess-${random.int(50)}`;
      const repeats = random.next() < 0.05 ? 4 : 1; // a frustrated team hammering the same objective
      for (let r = 0; r < repeats; r++) {
        const input = { teamId, objectiveId: objective.id, text, userId: 'u1' };
        log.append(decideSubmission(projection, input, now + r).events);
      }
    } else if (roll < 0.8 && checks.length > 0) {
      const objective = random.pick(checks);
      const pass = random.next() < 0.4;
      const run = { exitCode: pass ? 0 : 1, stdout: pass ? 'SAFE\n' : 'still injectable\n' };
      log.append(
        decideCheckResult(projection, { teamId, objectiveId: objective.id, run, durationMs: 120 }, now)
          .events,
      );
    } else if (roll < 0.88 && hinted.length > 0) {
      const objective = random.pick(hinted);
      const hint = random.pick(objective.hints);
      log.append(
        decideHintUnlock(projection, { teamId, objectiveId: objective.id, hintId: hint.id }, now).events,
      );
    } else if (roll < 0.93) {
      const points = (random.int(21) - 10) * 5;
      log.append([
        {
          type: 'award',
          at: now,
          teamId,
          points,
          reason: points < 0 ? 'penalty: =cmd|' : 'bonus, "well done"',
        },
      ]);
    } else if (roll < 0.96) {
      log.append([{ type: projection.frozen ? 'unfreeze' : 'freeze', at: now }]);
    } else if (roll < 0.965) {
      log.append([
        { type: projection.status === 'running' ? 'exercise-ended' : 'exercise-started', at: now },
      ]);
    }
  }
  return log;
}

function correctAnswer(objective: PlannedObjective | undefined, random: SeededRandom): string {
  if (objective?.flag && 'exact' in objective.flag) return `  ${objective.flag.exact}\n`;
  if (objective?.flag) return `CYROP{tok-${random.int(1000)}}`;
  const answers = objective?.question?.answers ?? ['?'];
  const answer = random.pick(answers);
  return random.next() < 0.5 ? answer.normalize('NFKC').toUpperCase() : toFullWidth(answer);
}

/** ASCII → full-width forms, as a Japanese IME types them. */
export function toFullWidth(text: string): string {
  return text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}

/**
 * A large plausible log without going through the decisions (for benchmarks): 40 % of team ×
 * objective pairs solved, the rest of the volume wrong submissions, some hints and awards.
 */
export function syntheticEventStream(
  exercise: ScoringExercise,
  options: { seed: number; events: number; solveDensity?: number; startAt?: number },
): ScoringEvent[] {
  const random = new SeededRandom(options.seed);
  const teams = exercise.teams.map((t) => t.id);
  const objectives = exercise.objectives;
  const density = options.solveDensity ?? 0.4;
  const totalSolves = Math.floor(teams.length * objectives.length * density);
  const solved = new Set<string>();
  const hinted = new Set<string>();
  const events: ScoringEvent[] = [];
  let at = options.startAt ?? Date.UTC(2026, 3, 1, 9, 0, 0);
  let seq = 0;
  events.push({ type: 'exercise-started', seq: ++seq, at });
  let solves = 0;
  while (events.length < options.events) {
    at += random.int(8);
    const teamId = random.pick(teams);
    const objective = random.pick(objectives);
    const key = `${teamId}\n${objective.id}`;
    const roll = random.next();
    const remaining = options.events - events.length;
    if (solves < totalSolves && !solved.has(key) && roll < (totalSolves - solves) / remaining) {
      solved.add(key);
      solves++;
      const via = objective.kind;
      events.push({ type: 'solve', seq: ++seq, at, teamId, objectiveId: objective.id, via });
    } else if (roll > 0.9997 && objective.hints.length > 0 && !hinted.has(key)) {
      hinted.add(key);
      const hint = random.pick(objective.hints);
      events.push({
        type: 'hint-unlock',
        seq: ++seq,
        at,
        teamId,
        objectiveId: objective.id,
        hintId: hint.id,
        cost: hint.cost,
      });
    } else if (roll > 0.9995) {
      events.push({
        type: 'award',
        seq: ++seq,
        at,
        teamId,
        points: random.int(50) - 20,
        reason: 'instructor',
      });
    } else {
      events.push({
        type: 'submission',
        seq: ++seq,
        at,
        teamId,
        objectiveId: objective.id,
        outcome: 'wrong',
        reason: 'no-match',
        textSha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        textExcerpt: 'guess',
      });
    }
  }
  return events;
}

/** `count` objectives (flags with per-team values, some questions and checks), for large exercises. */
export function manyObjectives(count: number): (teamId: string) => PlannedObjective[] {
  return (teamId) =>
    Array.from({ length: count }, (_, i): PlannedObjective => {
      const id = `o${String(i + 1).padStart(3, '0')}`;
      const common = {
        id,
        title: `Objective ${i + 1}`,
        points: 100 + (i % 5) * 50,
        requires: i % 10 === 9 ? [`o${String(i).padStart(3, '0')}`] : [],
        competencies: [],
        hints: [{ id: 'h1', cost: 10, text: 'hint' }],
      };
      if (i % 7 === 3)
        return {
          ...common,
          kind: 'check',
          check: { host: 'web', forgeable: false, run: ['true'], expect: { exitCode: 0 }, timeoutMs: 5000 },
        };
      if (i % 3 === 1)
        return { ...common, kind: 'question', question: { answers: [`answer-${i}`], caseSensitive: false } };
      return { ...common, kind: 'flag', flag: { exact: teamFlag(teamId, id) } };
    });
}
