import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import { isCyropError } from '../errors.ts';
import type { ExecOptions, ExecResult, HostRef, RuntimeDriver } from '../runtime/runtime-driver.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import { ScoreboardProjection } from '../scoring/scoreboard-projection.ts';
import { scoringExerciseFromPlans } from '../scoring/scoring-exercise.ts';
import { syntheticEventStream, teamFlag, testPlans } from '../scoring/scoring-test-data.ts';
import { CHECK_REASON_CHARS, checkReason, ScoringService, type ScoringChange } from './scoring-service.ts';
import { ScoringStore } from './scoring-store.ts';

/** An in-memory engine: `exec` answers what the test says, and counts concurrency. */
class FakeDriver {
  readonly engine = 'docker' as const;
  calls: { host: HostRef; cmd: readonly string[]; options: ExecOptions }[] = [];
  running = 0;
  maxRunning = 0;
  answer: (host: HostRef) => Partial<ExecResult> | Error = () => ({
    exitCode: 0,
    stdout: Buffer.from('SAFE\n'),
  });
  delayMs = 0;
  async exec(host: HostRef, cmd: readonly string[], options: ExecOptions): Promise<ExecResult> {
    this.calls.push({ host, cmd, options });
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      await new Promise((r) => setTimeout(r, this.delayMs));
      const a = this.answer(host);
      if (a instanceof Error) throw a;
      return {
        exitCode: 0,
        stdout: Buffer.alloc(0),
        stderr: Buffer.alloc(0),
        timedOut: false,
        truncated: false,
        durationMs: 3,
        ...a,
      };
    } finally {
      this.running--;
    }
  }
}

describe('ScoringService', () => {
  let dir: string;
  let database: OpenedDatabase;
  let plans: EnvironmentPlan[];
  let now: number;
  let driver: FakeDriver;
  let service: ScoringService;
  let changes: ScoringChange[];
  const ex = 'ex-1';

  const make = (store = new ScoringStore(database.sqlite), options: { checkConcurrency?: number } = {}) => {
    const s = new ScoringService({
      store,
      plans: () => Promise.resolve(plans),
      driver: driver as unknown as RuntimeDriver,
      clock: () => now,
      checkCooldownMs: 10_000,
      ...options,
    });
    s.subscribe((c) => changes.push(c));
    return s;
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-scoring-'));
    database = await openDatabase(dir);
    plans = testPlans({ teams: ['a', 'b', 'c'], exerciseId: ex, scoring: { freezeBeforeEndMs: 60_000 } });
    now = 1_000_000;
    driver = new FakeDriver();
    changes = [];
    service = make();
    await service.start(ex, { endsAt: now + 3_600_000 });
  });
  afterEach(async () => {
    await service.stopTimers();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const snapshotOf = async (s: ScoringService) => (await s.load(ex)).snapshot();

  it('records a correct answer durably before acknowledging it, and pushes its delta', async () => {
    const result = await service.submit(ex, 'a', 'recon', '８０８０'); // full-width digits
    expect(result.outcome).to.equal('correct');
    expect(result.points).to.equal(50);
    expect(new ScoringStore(database.sqlite).solves(ex)).to.have.length(1);
    const delta = changes.find((c) => c.event.type === 'solve')!.delta;
    expect(delta.board.public.find((r) => r.teamId === 'a')!.points).to.equal(50);
    const rebuilt = await service.rebuildFromLog(ex);
    expect(rebuilt.snapshot()).to.deep.equal(await snapshotOf(service));
  });

  it('counts one solve for 20 concurrent identical correct submissions', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => service.submit(ex, 'b', 'token', 'CYROP{tok-42}')),
    );
    expect(results.filter((r) => r.outcome === 'correct')).to.have.length(1);
    expect(results.filter((r) => r.outcome === 'already-solved')).to.have.length(19);
    expect(new ScoringStore(database.sqlite).solves(ex)).to.have.length(1);
  });

  it('rate-limits wrong answers per team and objective, race-free', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => service.submit(ex, 'a', 'token', `nope-${i}`)),
    );
    expect(results.filter((r) => r.outcome === 'wrong')).to.have.length(5);
    const limited = results.filter((r) => r.outcome === 'rate-limited');
    expect(limited).to.have.length(3);
    expect(limited[0]!.retryAfterMs).to.equal(60_000);
    now += 60_001;
    expect((await service.submit(ex, 'a', 'token', 'CYROP{tok-1}')).outcome).to.equal('correct');
  });

  it("reports another team's flag as wrong to the team and as sharing to instructors", async () => {
    await service.submit(ex, 'a', 'recon', '8080');
    const result = await service.submit(ex, 'a', 'sqli', teamFlag('b', 'sqli'));
    expect(result.outcome).to.equal('wrong');
    expect(result.classified).to.equal('other-team');
    const projection = await service.load(ex);
    expect(projection.sharingReports().map((r) => [r.teamId, r.ownerTeamIds])).to.deep.equal([['a', ['b']]]);
  });

  it('charges hints once and records awards', async () => {
    await service.submit(ex, 'c', 'recon', '8080');
    const first = await service.unlockHint(ex, 'c', 'sqli', 'h1');
    expect(first).to.deep.include({ outcome: 'unlocked', cost: 20, text: 'Try a single quote.' });
    expect((await service.unlockHint(ex, 'c', 'sqli', 'h1')).outcome).to.equal('already-unlocked');
    await service.award(ex, { teamId: 'c', points: -5, reason: 'noise', by: 'u1' });
    const row = (await service.load(ex)).row('c', 'live');
    expect(row.points).to.equal(50 - 20 - 5);
    const refused = await service
      .award(ex, { teamId: 'zz', points: 1, reason: 'x' })
      .catch((e: unknown) => e);
    expect(isCyropError(refused) && refused.code).to.equal('NOT_FOUND');
  });

  it('rebuilds the same state after a restart on the same data directory', async () => {
    await service.submit(ex, 'a', 'recon', '8080');
    await service.submit(ex, 'b', 'token', 'wrong');
    await service.unlockHint(ex, 'a', 'sqli', 'h1');
    const before = await snapshotOf(service);
    await database.close();
    database = await openDatabase(dir);
    const again = make();
    expect(await snapshotOf(again)).to.deep.equal(before);
  });

  it('answers nobody and rebuilds the projection when a commit fails', async () => {
    const store = new ScoringStore(database.sqlite);
    let failAt = -1;
    const original = store.append.bind(store);
    store.append = (exerciseId, draft) => {
      if (failAt-- === 0) throw new Error('disk full');
      return original(exerciseId, draft);
    };
    const flaky = make(store);
    const before = await snapshotOf(flaky);
    failAt = 2; // the third append of the batch fails: the whole batch is rolled back
    const results = await Promise.allSettled([
      flaky.submit(ex, 'a', 'recon', '8080'),
      flaky.submit(ex, 'b', 'recon', '8080'),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
    expect(await snapshotOf(flaky)).to.deep.equal(before);
    expect(store.solves(ex)).to.have.length(0);
    expect((await flaky.submit(ex, 'a', 'recon', '8080')).outcome).to.equal('correct');
  });

  describe('checks', () => {
    it('runs a check on request through the driver, solving when it passes', async () => {
      await service.submit(ex, 'a', 'recon', '8080');
      const result = await service.runCheck(ex, 'a', 'patch');
      expect(result).to.deep.include({ passed: true, solved: true, exitCode: 0 });
      const call = driver.calls[0]!;
      expect(call.host).to.deep.equal({ exercise: ex, team: 'a', host: 'web' });
      expect(call.options.timeoutMs).to.equal(10_000);
      expect(call.options.maxOutputBytes).to.equal(16 * 1024);
      expect((await service.load(ex)).solveOf('a', 'patch')?.via).to.equal('check');
    });

    it('runs the command on check.from when the scenario names one', async () => {
      for (const plan of plans)
        for (const o of plan.objectives) if (o.check) o.check = { ...o.check, from: 'probe' };
      service = make();
      await service.submit(ex, 'a', 'recon', '8080');
      await service.runCheck(ex, 'a', 'patch');
      expect(driver.calls[0]!.host).to.deep.equal({ exercise: ex, team: 'a', host: 'probe' });
    });

    it('refuses a second on-request check within the cooldown', async () => {
      driver.answer = () => ({ exitCode: 1, stdout: Buffer.from('UNSAFE') });
      expect((await service.runCheck(ex, 'b', 'patch')).passed).to.equal(false);
      const error = await service.runCheck(ex, 'b', 'patch').catch((e: unknown) => e);
      expect(isCyropError(error) && error.code).to.equal('RATE_LIMITED');
      now += 10_000;
      expect((await service.runCheck(ex, 'b', 'patch')).passed).to.equal(false);
    });

    it("gives the trainee the check's one-line reason: its first printed line, never the engine's error", async () => {
      driver.answer = (host) =>
        host.team === 'a'
          ? {
              exitCode: 1,
              stdout: Buffer.from(
                '\n  sshd still accepts passwords \u001b[31m(PasswordAuthentication yes)\n2nd line\n',
              ),
            }
          : host.team === 'b'
            ? { exitCode: 1, stderr: Buffer.from('sh: 1: /opt/checks/x: not found\n') }
            : new Error('engine went away: docker.sock refused');
      const [a, b, c] = await Promise.all([
        service.runCheck(ex, 'a', 'patch'),
        service.runCheck(ex, 'b', 'patch'),
        service.runCheck(ex, 'c', 'patch'),
      ]);
      expect(a.reason).to.equal('sshd still accepts passwords  [31m(PasswordAuthentication yes)');
      expect(b.reason, 'stderr is not a reason').to.equal('');
      expect(c.reason, 'an engine failure is not shown to trainees').to.equal('');
      driver.answer = () => ({ exitCode: 0, stdout: Buffer.from(`SAFE ${'é'.repeat(300)}\n`) });
      now += 10_000;
      const long = await service.runCheck(ex, 'b', 'patch');
      expect(long.passed).to.equal(true);
      expect(Array.from(new Intl.Segmenter().segment(long.reason))).to.have.length(CHECK_REASON_CHARS);
      expect(long.reason).to.match(/^SAFE é+…$/);
    });

    it('checkReason keeps one line of printable text', () => {
      expect(checkReason('')).to.equal('');
      expect(checkReason('\r\n\t\r\nok: done\r\nmore')).to.equal('ok: done');
      expect(checkReason('a\u0000b\u0007c')).to.equal('a b c');
    });

    it('records timeouts and engine failures as failed checks', async () => {
      driver.answer = (host) =>
        host.team === 'a' ? { exitCode: null, timedOut: true } : new Error('engine went away');
      const [timedOut, failed] = await Promise.all([
        service.runCheck(ex, 'a', 'patch'),
        service.runCheck(ex, 'b', 'patch'),
      ]);
      expect(timedOut).to.deep.include({ passed: false, timedOut: true, exitCode: null });
      expect(failed).to.deep.include({ passed: false, exitCode: null });
      const events = changes.map((c) => c.event).filter((e) => e.type === 'check-result');
      expect(events.map((e) => ('outputExcerpt' in e ? e.outputExcerpt : ''))).to.include(
        'engine error: engine went away',
      );
    });

    it('runs due periodic checks on tick, at most `checkConcurrency` at once', async () => {
      plans = testPlans({ teams: 12, exerciseId: ex });
      const s = make(new ScoringStore(database.sqlite), { checkConcurrency: 3 });
      await s.start(ex);
      for (const p of plans) await s.submit(ex, p.team.id, 'recon', '8080');
      driver.delayMs = 5;
      driver.answer = (host) => ({
        exitCode: 0,
        stdout: Buffer.from(host.team.endsWith('1') ? 'SAFE' : 'no'),
      });
      await s.tick();
      expect(driver.calls).to.have.length(12);
      expect(driver.maxRunning).to.equal(3);
      await s.tick(); // not due yet
      expect(driver.calls).to.have.length(12);
      now += 30_000;
      await s.tick(); // due again, except for the solved ones
      const solved = plans.filter((p) => p.team.id.endsWith('1')).length;
      expect(driver.calls).to.have.length(24 - solved);
    });
  });

  it('freezes the public board when the scheduled freeze is due', async () => {
    await service.submit(ex, 'a', 'recon', '8080');
    now += 3_600_000 - 60_000;
    await service.tick();
    const projection = await service.load(ex);
    expect(projection.frozen).to.not.equal(null);
    await service.submit(ex, 'b', 'recon', '8080');
    expect(projection.board('public').find((r) => r.teamId === 'b')!.points).to.equal(0);
    expect(projection.board('live').find((r) => r.teamId === 'b')!.points).to.equal(50);
    await service.tick(); // not twice
    expect(changes.filter((c) => c.event.type === 'freeze')).to.have.length(1);
  });

  it('reads the log in batches on the fast path exactly as the fully checked read does', () => {
    const store = new ScoringStore(database.sqlite);
    plans = testPlans({ teams: 12, exerciseId: 'ex-log' });
    const exercise = scoringExerciseFromPlans(plans);
    const drafts = syntheticEventStream(exercise, { seed: 3, events: 9000 }).map(({ seq: _seq, ...d }) => d);
    store.appendAll('ex-log', drafts);
    store.appendAll(ex, drafts.slice(0, 10)); // another exercise's rows interleave nothing
    const full = [...store.events('ex-log')];
    const fast = [...store.events('ex-log', { trusted: true })];
    expect(fast).to.have.length(9000);
    expect(fast).to.deep.equal(full);
    expect(ScoreboardProjection.rebuild(exercise, fast).snapshot()).to.deep.equal(
      ScoreboardProjection.rebuild(exercise, full).snapshot(),
    );
    expect([...store.events('nothing', { trusted: true })]).to.deep.equal([]);
    database.sqlite
      .prepare('update scoring_events set payload = \'{"type":"solve","at":1}\' where seq = ?')
      .run(fast[5000]!.seq);
    expect(() => [...store.events('ex-log', { trusted: true })]).to.throw(/must be/);
  });
});
