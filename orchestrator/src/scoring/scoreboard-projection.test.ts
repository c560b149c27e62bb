import { expect } from 'chai';
import { isCyropError } from '../errors.ts';
import { ScoreboardProjection, type BoardView, type ProjectionDelta } from './scoreboard-projection.ts';
import {
  decideCheckResult,
  decideHintUnlock,
  decideSubmission,
  type HintDecision,
  type SubmissionDecision,
} from './scoring-decisions.ts';
import { parseScoringEvent, storedScoringEvent, type ScoringEvent } from './scoring-events.ts';
import type { ScoringExercise } from './scoring-exercise.ts';
import { compareStandings } from './scoring-rules.ts';
import {
  simulateExercise,
  teamFlag,
  testExercise,
  TestLog,
  type TestPlanOptions,
} from './scoring-test-data.ts';

/** A small exercise driven through the real decisions, like the server would. */
class Run {
  readonly log: TestLog;

  constructor(options: Partial<TestPlanOptions> = {}) {
    this.log = new TestLog(testExercise({ teams: ['team-a', 'team-b', 'team-c'], ...options }));
  }

  get p(): ScoreboardProjection {
    return this.log.projection;
  }

  start(at = 0): this {
    this.log.append([{ type: 'exercise-started', at }]);
    return this;
  }

  submit(
    teamId: string,
    objectiveId: string,
    text: string,
    at: number,
  ): SubmissionDecision & { deltas: ProjectionDelta[] } {
    const decision = decideSubmission(this.p, { teamId, objectiveId, text }, at);
    return { ...decision, deltas: this.log.append(decision.events) };
  }

  hint(
    teamId: string,
    objectiveId: string,
    hintId: string,
    at: number,
  ): HintDecision & { deltas: ProjectionDelta[] } {
    const decision = decideHintUnlock(this.p, { teamId, objectiveId, hintId }, at);
    return { ...decision, deltas: this.log.append(decision.events) };
  }

  event(draft: Parameters<TestLog['append']>[0][number]): ProjectionDelta {
    const [delta] = this.log.append([draft]);
    return delta!;
  }

  points(view: BoardView = 'live'): Record<string, number> {
    return Object.fromEntries(this.p.board(view).map((r) => [r.teamId, r.points]));
  }

  order(view: BoardView = 'live'): string[] {
    return this.p.board(view).map((r) => r.teamId);
  }
}

const TOKEN = 'CYROP{tok-1}';

function expectError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(isCyropError(error) ? error.code : error).to.equal(code);
    return;
  }
  expect.fail(`expected a ${code} error`);
}

describe('scoreboard-projection', () => {
  it('gives the first-blood bonus once, to the first solver only', () => {
    const run = new Run({ scoring: { firstBloodBonusPercent: 10 } }).start();
    expect(run.submit('team-b', 'token', TOKEN, 100).outcome).to.equal('correct');
    run.submit('team-a', 'token', 'CYROP{tok-2}', 200);
    run.submit('team-c', 'token', 'CYROP{tok-3}', 300);
    expect(run.points()).to.deep.equal({ 'team-b': 110, 'team-a': 100, 'team-c': 100 });
    expect(run.order()).to.deep.equal(['team-b', 'team-a', 'team-c']);
    const token = run.p.objectiveStats('live').find((s) => s.objectiveId === 'token');
    expect(token).to.deep.equal({
      objectiveId: 'token',
      solves: 3,
      value: 100,
      firstBlood: { teamId: 'team-b', at: 100 },
    });
  });

  it('re-values every solver retroactively under dynamic scoring (parabolic 500→100 over 20)', () => {
    const run = new Run({
      scoring: {
        model: 'dynamic',
        dynamic: { initial: 500, minimum: 100, decay: 20, function: 'parabolic' },
        firstBloodBonusPercent: 10,
      },
    }).start();
    run.submit('team-a', 'token', TOKEN, 100);
    expect(run.points()).to.deep.equal({ 'team-a': 550, 'team-b': 0, 'team-c': 0 }); // V(1)=500 + ⌊50⌋
    run.submit('team-b', 'token', TOKEN, 200);
    expect(run.points()).to.deep.equal({ 'team-a': 548, 'team-b': 499, 'team-c': 0 }); // V(2)=499, bonus ⌊49.9⌋=49
    const { deltas } = run.submit('team-c', 'token', TOKEN, 300);
    expect(run.points()).to.deep.equal({ 'team-a': 545, 'team-b': 496, 'team-c': 496 }); // V(3)=496, bonus 49
    expect(run.order()).to.deep.equal(['team-a', 'team-b', 'team-c']); // b reached 496 first
    // the solve's delta carries every row whose points moved, and the new objective value
    const solveDelta = deltas[1]!;
    expect(solveDelta.board.live.map((r) => [r.teamId, r.points])).to.have.deep.members([
      ['team-a', 545],
      ['team-b', 496],
      ['team-c', 496],
    ]);
    expect(solveDelta.objectives.live).to.deep.equal([
      { objectiveId: 'token', solves: 3, value: 496, firstBlood: { teamId: 'team-a', at: 100 } },
    ]);
    // a zero-point objective counts as a solve but scores nothing and does not move the tie-break
    run.submit('team-c', 'notes', 'OK', 400);
    const c = run.p.row('team-c', 'live');
    expect([c.points, c.solves, c.lastScoringAt]).to.deep.equal([496, 2, 300]);
  });

  it('freezes the public board (points, solves, values) while the instructors’ board moves on', () => {
    const run = new Run({
      scoring: {
        model: 'dynamic',
        dynamic: { initial: 500, minimum: 100, decay: 20, function: 'parabolic' },
        firstBloodBonusPercent: 0,
      },
    }).start();
    run.submit('team-a', 'token', TOKEN, 100);
    run.event({ type: 'freeze', at: 200 });
    const publicBefore = JSON.stringify([run.p.board('public'), run.p.objectiveStats('public')]);
    const versionBefore = run.p.version('public');

    const { deltas } = run.submit('team-b', 'token', TOKEN, 300);
    run.submit('team-c', 'token', TOKEN, 310);
    run.submit('team-c', 'recon', '8080', 320);
    run.event({ type: 'award', at: 330, teamId: 'team-b', points: 25, reason: 'report' });

    expect(deltas[1]!.board.public).to.deep.equal([]);
    expect(deltas[1]!.board.live).to.not.deep.equal([]);
    expect(JSON.stringify([run.p.board('public'), run.p.objectiveStats('public')])).to.equal(publicBefore);
    expect(run.p.version('public')).to.equal(versionBefore);
    expect(run.points('public')).to.deep.equal({ 'team-a': 500, 'team-b': 0, 'team-c': 0 });
    // recon is dynamic too: c's first solve of it is worth V(1) = 500
    expect(run.points('live')).to.deep.equal({ 'team-a': 496, 'team-b': 521, 'team-c': 996 });
    // a team still sees its own solve, but the public value and count of the freeze moment
    const token = run.p.visibleObjectives('team-b').find((o) => o.id === 'token')!;
    expect([token.solved, token.value, token.solves]).to.deep.equal([true, 500, 1]);

    const unfreeze = run.event({ type: 'unfreeze', at: 400 });
    expect(unfreeze.board.public.map((r) => r.teamId)).to.have.members(['team-a', 'team-b', 'team-c']);
    expect(unfreeze.objectives.public.map((s) => s.objectiveId)).to.have.members(['token', 'recon']);
    expect(run.p.board('public')).to.deep.equal(run.p.board('live'));
    expect(run.p.version('public')).to.equal(unfreeze.seq);
  });

  it('hides locked objectives and refuses their submissions as locked, not as wrong attempts', () => {
    const run = new Run({ wrongSubmissionsPerMinute: 1 }).start();
    expect(run.p.visibleObjectives('team-a').map((o) => o.id)).to.deep.equal(['recon', 'token', 'notes']);
    for (const at of [10, 20, 30]) {
      const locked = run.submit('team-a', 'sqli', teamFlag('team-a', 'sqli'), at);
      expect(locked.outcome).to.equal('locked');
      expect(locked.events).to.have.length(1);
    }
    expect(run.hint('team-a', 'sqli', 'h1', 35)).to.include({ outcome: 'locked', cost: 0 });
    const check = decideCheckResult(
      run.p,
      { teamId: 'team-a', objectiveId: 'patch', run: { exitCode: 0, stdout: 'SAFE' }, durationMs: 5 },
      36,
    );
    expect([check.passed, check.solved, check.events.length]).to.deep.equal([true, false, 1]);
    expect(run.p.isSolved('team-a', 'sqli')).to.equal(false);
    expect(run.p.attempts('team-a')[0]).to.deep.include({ objectiveId: 'sqli', total: 3 });
    expect(run.p.attempts('team-a')[0]!.outcomes).to.deep.include({ locked: 3, wrong: 0 });
    expect(run.p.rateLimiterState('team-a', 'sqli').wrongAt).to.deep.equal([]);

    const recon = run.submit('team-a', 'recon', '８０８０', 40);
    expect(recon.outcome).to.equal('correct');
    expect(recon.deltas[1]!.unlocked).to.deep.equal(['sqli', 'patch']);
    const visible = run.p.visibleObjectives('team-a');
    expect(visible.map((o) => o.id)).to.deep.equal(['recon', 'sqli', 'token', 'patch', 'notes']);
    const sqli = visible.find((o) => o.id === 'sqli')!;
    expect(sqli.description).to.deep.equal({ en: 'The shop of team-a runs at http://shop.example/' });
    expect(sqli.hints).to.deep.equal([
      { id: 'h1', cost: 20, unlocked: false },
      { id: 'h2', cost: 30, unlocked: false },
    ]);
    const text = JSON.stringify(visible);
    for (const secret of [teamFlag('team-a', 'sqli'), 'tcp/8080', 'tok-[0-9]', 'login-is-parameterised'])
      expect(text).to.not.include(secret);
    // still locked for the others
    expect(run.p.visibleObjectives('team-b').map((o) => o.id)).to.deep.equal(['recon', 'token', 'notes']);
    expect(run.submit('team-a', 'sqli', teamFlag('team-a', 'sqli'), 50).outcome).to.equal('correct');
  });

  it('rate-limits N wrong submissions per team and objective, unchecked, then allows again', () => {
    const run = new Run({ wrongSubmissionsPerMinute: 3 }).start();
    for (const at of [1_000, 2_000, 3_000])
      expect(run.submit('team-a', 'token', 'nope', at).outcome).to.equal('wrong');
    const refused = run.submit('team-a', 'token', TOKEN, 4_000); // correct, but not even checked
    expect(refused).to.include({ outcome: 'rate-limited', retryAfterMs: 57_000 });
    expect(run.p.isSolved('team-a', 'token')).to.equal(false);
    expect(run.submit('team-a', 'token', TOKEN, 60_999).outcome).to.equal('rate-limited');
    expect(run.submit('team-a', 'recon', '8080', 5_000).outcome).to.equal('correct'); // other objective
    expect(run.submit('team-b', 'token', 'nope', 5_000).outcome).to.equal('wrong'); // other team
    expect(run.submit('team-a', 'token', TOKEN, 61_000).outcome).to.equal('correct');
    const counts = run.p.attempts('team-a').find((a) => a.objectiveId === 'token')!;
    expect(counts.outcomes).to.deep.include({ wrong: 3, 'rate-limited': 2, correct: 1 });
  });

  it('treats a second correct submission as a no-op already-solved', () => {
    const run = new Run({ scoring: { firstBloodBonusPercent: 10 } }).start();
    run.submit('team-a', 'token', TOKEN, 100);
    const again = run.submit('team-a', 'token', 'CYROP{tok-9}', 200);
    expect(again.outcome).to.equal('already-solved');
    expect(again.events.map((e) => e.type)).to.deep.equal(['submission']);
    expect(again.deltas[0]!.board.live).to.deep.equal([]);
    expect(run.points()['team-a']).to.equal(110);
    expect(run.p.row('team-a', 'live')).to.include({ solves: 1, lastScoringAt: 100 });
    // a duplicate solve in the log is a broken invariant, not a second score
    expectError(
      () => run.event({ type: 'solve', at: 300, teamId: 'team-a', objectiveId: 'token', via: 'flag' }),
      'CONFLICT',
    );
  });

  it('reports another team’s flag as suspected sharing without accepting it', () => {
    const run = new Run().start();
    run.submit('team-a', 'recon', '8080', 10);
    const shared = run.submit('team-a', 'sqli', teamFlag('team-b', 'sqli'), 20);
    expect(shared).to.include({ outcome: 'other-team', reply: 'wrong' });
    expect(shared.ownerTeamIds).to.deep.equal(['team-b']);
    expect(shared.deltas[0]!.sharing).to.include({ teamId: 'team-a', objectiveId: 'sqli' });
    expect(run.p.sharingReports()).to.deep.equal([
      { seq: shared.deltas[0]!.seq, at: 20, teamId: 'team-a', objectiveId: 'sqli', ownerTeamIds: ['team-b'] },
    ]);
    expect(run.p.isSolved('team-a', 'sqli')).to.equal(false);
    expect(run.points()['team-a']).to.equal(50);
    expect(run.p.rateLimiterState('team-a', 'sqli').wrongAt).to.deep.equal([20]);
    const forTeam = run.p.timeline('team-a', 'team').at(-1)!;
    expect(forTeam).to.include({ type: 'submission', outcome: 'wrong' });
    expect(forTeam).to.not.have.property('ownerTeamIds');
    expect(run.p.timeline('team-a', 'instructor').at(-1)).to.include({ outcome: 'other-team' });
    // the log keeps the flag's hash, never the flag
    expect(JSON.stringify(run.log.events)).to.not.include(teamFlag('team-b', 'sqli'));
  });

  it('charges hints when unlocked, solved or not; shows hint texts once unlocked or solved', () => {
    const run = new Run().start();
    run.submit('team-a', 'recon', '8080', 10);
    expect(run.hint('team-a', 'sqli', 'h1', 20)).to.include({ outcome: 'unlocked', cost: 20 });
    expect(run.points()['team-a']).to.equal(30);
    expect(run.hint('team-a', 'sqli', 'h1', 21)).to.include({ outcome: 'already-unlocked', cost: 0 });
    expect(run.points()['team-a']).to.equal(30);
    let sqli = run.p.visibleObjectives('team-a').find((o) => o.id === 'sqli')!;
    expect(sqli.hints).to.deep.equal([
      { id: 'h1', cost: 20, unlocked: true, text: 'Try a single quote.' },
      { id: 'h2', cost: 30, unlocked: false },
    ]);
    // a free hint changes nothing on the board
    const free = run.hint('team-a', 'patch', 'p1', 25);
    expect(free.deltas[0]!.board.live).to.deep.equal([]);
    expect(run.p.row('team-a', 'live').lastScoringAt).to.equal(20);
    run.submit('team-a', 'sqli', teamFlag('team-a', 'sqli'), 30);
    expect(run.hint('team-a', 'sqli', 'h2', 40)).to.include({ outcome: 'already-solved', cost: 0 });
    expect(run.points()['team-a']).to.equal(230);
    sqli = run.p.visibleObjectives('team-a').find((o) => o.id === 'sqli')!;
    expect(sqli.hints[1]).to.deep.equal({ id: 'h2', cost: 30, unlocked: false, text: "' OR 1=1 --" });
    expectError(() => run.hint('team-a', 'sqli', 'nope', 50), 'NOT_FOUND');
  });

  it('breaks ties by the earlier last scoring event, then team id', () => {
    const run = new Run().start();
    run.submit('team-c', 'token', TOKEN, 100);
    run.submit('team-a', 'token', TOKEN, 200);
    run.submit('team-b', 'token', TOKEN, 200);
    expect(run.order()).to.deep.equal(['team-c', 'team-a', 'team-b']);
    run.event({ type: 'award', at: 300, teamId: 'team-c', points: -10, reason: 'noise' });
    run.event({ type: 'award', at: 310, teamId: 'team-c', points: 10, reason: 'noise forgiven' });
    expect(run.order()).to.deep.equal(['team-a', 'team-b', 'team-c']); // c reached 100 again at 310
    expect(run.p.board('live').map((r) => r.rank)).to.deep.equal([1, 2, 3]);
  });

  it('accepts submissions only while the exercise runs', () => {
    const run = new Run();
    expect(run.submit('team-a', 'token', TOKEN, 1).outcome).to.equal('closed');
    run.start(10);
    expect(run.submit('team-a', 'token', TOKEN, 20).outcome).to.equal('correct');
    run.event({ type: 'exercise-ended', at: 30 });
    expect(run.submit('team-b', 'token', TOKEN, 40).outcome).to.equal('closed');
    expect(run.p.status).to.equal('ended');
    expect(run.p.timeline('team-b').map((e) => e.type)).to.deep.equal([
      'exercise-started',
      'exercise-ended',
      'submission',
    ]);
    expect(run.p.timeline('team-a').map((e) => e.type)).to.deep.equal([
      'submission',
      'exercise-started',
      'submission',
      'solve',
      'exercise-ended',
    ]);
  });

  it('solves check objectives from passing check results', () => {
    const run = new Run().start();
    run.submit('team-a', 'recon', '8080', 10);
    const input = { teamId: 'team-a', objectiveId: 'patch', durationMs: 80.4, output: 'é'.repeat(3000) };
    const failed = decideCheckResult(run.p, { ...input, run: { exitCode: 0, stdout: 'nope' } }, 20);
    run.log.append(failed.events);
    const passed = decideCheckResult(run.p, { ...input, run: { exitCode: 0, stdout: 'SAFE' } }, 30);
    run.log.append(passed.events);
    expect([failed.solved, passed.solved]).to.deep.equal([false, true]);
    const result = passed.events[0]!;
    expect(result.type === 'check-result' && Buffer.byteLength(result.outputExcerpt)).to.equal(2048);
    expect(result).to.include({ durationMs: 80, exitCode: 0, passed: true });
    expect(run.p.solveOf('team-a', 'patch')).to.deep.include({ at: 30, via: 'check' });
    expect(run.points()['team-a']).to.equal(350);
    const again = decideCheckResult(run.p, { ...input, run: { exitCode: 0, stdout: 'SAFE' } }, 40);
    expect([again.solved, again.events.length]).to.deep.equal([false, 1]);
    expectError(
      () => decideSubmission(run.p, { teamId: 'team-a', objectiveId: 'patch', text: 'x' }, 50),
      'BAD_REQUEST',
    );
  });

  it('leaves the board alone on wrong submissions', () => {
    const run = new Run().start();
    run.submit('team-a', 'token', TOKEN, 10);
    const version = run.p.version('live');
    const board = run.p.board('live');
    const wrong = run.submit('team-b', 'token', 'nope', 20);
    expect(wrong.deltas[0]!.board).to.deep.equal({ live: [], public: [] });
    expect(run.p.version('live')).to.equal(version);
    expect(run.p.board('live')).to.equal(board); // the same materialised rows
  });

  it('applies the log in order, once', () => {
    const run = new Run().start(5);
    expectError(() => run.p.apply({ type: 'freeze', seq: 1, at: 6 }), 'CONFLICT');
    expectError(
      () => run.p.apply({ type: 'award', seq: 99, at: 6, teamId: 'nobody', points: 1, reason: '' }),
      'NOT_FOUND',
    );
  });
});

// ── property: incremental application equals a rebuild ──────────────────────────────────────

/** Independent oracle: points from the formulas, recomputed from scratch (floating point, Math.ceil). */
function naivePoints(exercise: ScoringExercise, events: readonly ScoringEvent[]): Map<string, number> {
  const points = new Map(exercise.teams.map((t) => [t.id, 0]));
  const solvers = new Map<string, string[]>();
  const add = (team: string, n: number): void => {
    points.set(team, (points.get(team) ?? 0) + n);
  };
  for (const e of events) {
    if (e.type === 'solve') solvers.set(e.objectiveId, [...(solvers.get(e.objectiveId) ?? []), e.teamId]);
    if (e.type === 'hint-unlock') add(e.teamId, -e.cost);
    if (e.type === 'award') add(e.teamId, e.points);
  }
  const { scoring } = exercise;
  for (const objective of exercise.objectives) {
    const list = solvers.get(objective.id) ?? [];
    let value = objective.points;
    if (objective.points > 0 && scoring.model === 'dynamic' && scoring.dynamic) {
      const { initial: I, minimum: m, decay: d } = scoring.dynamic;
      const k = Math.max(list.length - 1, 0);
      const lost = scoring.dynamic.function === 'linear' ? ((I - m) * k) / d : ((I - m) * k * k) / (d * d);
      value = Math.max(m, Math.ceil(I - lost));
    }
    list.forEach((team, i) => {
      add(team, value + (i === 0 ? Math.floor((value * scoring.firstBloodBonusPercent) / 100) : 0));
    });
  }
  return points;
}

/** The public board's events: everything before the freeze in force, if any. */
function publicEvents(events: readonly ScoringEvent[]): readonly ScoringEvent[] {
  let freezeAt = -1;
  events.forEach((e, i) => {
    if (e.type === 'freeze' && freezeAt < 0) freezeAt = i;
    if (e.type === 'unfreeze') freezeAt = -1;
  });
  return freezeAt < 0 ? events : events.slice(0, freezeAt);
}

const CASES: { name: string; seed: number; steps: number; options: TestPlanOptions }[] = [
  {
    name: 'dynamic parabolic, first blood 10 %',
    seed: 0xc0ffee,
    steps: 4000,
    options: {
      teams: 9,
      wrongSubmissionsPerMinute: 2,
      scoring: {
        model: 'dynamic',
        dynamic: { initial: 500, minimum: 100, decay: 4, function: 'parabolic' },
        firstBloodBonusPercent: 10,
      },
    },
  },
  {
    name: 'dynamic linear, first blood 25 %',
    seed: 42,
    steps: 3000,
    options: {
      teams: 6,
      wrongSubmissionsPerMinute: 2,
      scoring: {
        model: 'dynamic',
        dynamic: { initial: 300, minimum: 50, decay: 3, function: 'linear' },
        firstBloodBonusPercent: 25,
      },
    },
  },
  {
    name: 'static',
    seed: 7,
    steps: 3000,
    options: { teams: 12, wrongSubmissionsPerMinute: 3, scoring: { firstBloodBonusPercent: 5 } },
  },
];

describe('scoreboard-projection: rebuild equals incremental (seeded streams)', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.steps} steps, seed ${c.seed}`, () => {
      const exercise = testExercise(c.options);
      const { events } = simulateExercise(exercise, { seed: c.seed, steps: c.steps });
      const outcomes = new Set(events.flatMap((e) => (e.type === 'submission' ? [e.outcome] : [])));
      // the stream exercises every path
      expect([...outcomes]).to.include.members([
        'correct',
        'wrong',
        'other-team',
        'rate-limited',
        'locked',
        'already-solved',
      ]);
      expect(events.some((e) => e.type === 'freeze') && events.some((e) => e.type === 'unfreeze')).to.equal(
        true,
      );
      expect(events.length).to.be.greaterThan(2000);

      const incremental = new ScoreboardProjection(exercise);
      const client: Record<BoardView, Map<string, unknown>> = { live: new Map(), public: new Map() };
      for (const view of ['live', 'public'] as const)
        for (const row of incremental.board(view)) client[view].set(row.teamId, row);
      let cuts = 0;
      events.forEach((event, i) => {
        const delta = incremental.apply(event);
        for (const view of ['live', 'public'] as const)
          for (const row of delta.board[view]) client[view].set(row.teamId, row);
        const k = i + 1;
        if (k % 53 !== 0 && k !== events.length) return;
        cuts++;
        const prefix = events.slice(0, k);
        const rebuilt = ScoreboardProjection.rebuild(exercise, prefix);
        expect(rebuilt.snapshot(), `state after ${k} events`).to.deep.equal(incremental.snapshot());
        for (const view of ['live', 'public'] as const) {
          const board = incremental.board(view);
          // a client that only ever applied deltas holds the same board
          expect([...client[view].values()], `${view} deltas after ${k}`).to.have.deep.members([...board]);
          // sorted, ranked 1..N
          board.forEach((row, r) => {
            expect(row.rank).to.equal(r + 1);
            if (r > 0) expect(compareStandings(board[r - 1]!, row)).to.be.lessThan(0);
          });
          // points agree with the formulas recomputed from scratch
          const oracle = naivePoints(exercise, view === 'live' ? prefix : publicEvents(prefix));
          for (const row of board)
            expect(row.points, `${view} ${row.teamId} after ${k}`).to.equal(oracle.get(row.teamId));
        }
      });
      expect(cuts).to.be.greaterThan(40);
      // the instance method resets and replays to the same state too
      const again = new ScoreboardProjection(exercise);
      again.apply(events[0]!);
      again.rebuild(events);
      expect(again.snapshot()).to.deep.equal(incremental.snapshot());
    });
  }

  it('reads every event back from its stored JSON unchanged', () => {
    const exercise = testExercise({ teams: 4 });
    const { events } = simulateExercise(exercise, { seed: 99, steps: 800 });
    for (const e of events) expect(parseScoringEvent(JSON.parse(JSON.stringify(e)))).to.deep.equal(e);
    expectError(
      () => parseScoringEvent({ type: 'solve', seq: 1, at: 0, teamId: 't', objectiveId: 'o', via: 'magic' }),
      'BAD_REQUEST',
    );
    expectError(
      () => parseScoringEvent({ type: 'award', seq: 1.5, at: 0, teamId: 't', points: 1, reason: '' }),
      'BAD_REQUEST',
    );
  });

  it("reads the service's own stored events through the fast path, and checks anything unusual in full", () => {
    const exercise = testExercise({ teams: 4 });
    const { events } = simulateExercise(exercise, { seed: 98, steps: 800 });
    for (const { seq, ...draft } of events)
      expect(
        storedScoringEvent(JSON.parse(JSON.stringify(draft)) as Record<string, unknown>, seq),
      ).to.deep.equal(parseScoringEvent({ ...draft, seq }));
    expectError(
      () => storedScoringEvent({ type: 'solve', at: 0, teamId: 't', objectiveId: 'o', via: 'magic' }, 1),
      'BAD_REQUEST',
    );
    expectError(
      () =>
        storedScoringEvent({ type: 'submission', at: 0, teamId: 't', objectiveId: 'o', textSha256: 'x' }, 1),
      'BAD_REQUEST',
    );
    expectError(() => storedScoringEvent({ type: 'nope', at: 0 }, 1), 'BAD_REQUEST');
    // a long excerpt is cut by the full parse, as before
    const long = storedScoringEvent(
      {
        type: 'check-result',
        at: 0,
        teamId: 't',
        objectiveId: 'o',
        passed: false,
        exitCode: 1,
        outputExcerpt: 'x'.repeat(5000),
        durationMs: 1,
      },
      2,
    );
    expect(long.type === 'check-result' && long.outputExcerpt.length).to.equal(2048);
  });
});
