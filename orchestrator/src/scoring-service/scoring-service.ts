import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import { CyropError } from '../errors.ts';
import type { RuntimeDriver } from '../runtime/runtime-driver.ts';
import { exportResults } from '../scoring/export-results.ts';
import { ScoreboardProjection, type ProjectionDelta } from '../scoring/scoreboard-projection.ts';
import {
  decideCheckResult,
  decideHintUnlock,
  decideSubmission,
  type HintOutcome,
  type TeamReply,
} from '../scoring/scoring-decisions.ts';
import type { ScoringEvent, ScoringEventDraft, SubmissionOutcome } from '../scoring/scoring-events.ts';
import { scoringExerciseFromPlans } from '../scoring/scoring-exercise.ts';
import { firstBloodBonus, freezeDueAt } from '../scoring/scoring-rules.ts';
import { ScoringStore } from './scoring-store.ts';

/** Where the per-team plans of an exercise come from (the exercise service in production). */
export type PlanSource = (exerciseId: string) => Promise<readonly EnvironmentPlan[]>;

/** Plans from the exercise service: `get(id)` lists the teams, `plan(id, team)` gives each plan. */
export function plansFromExercises(exercises: {
  get(id: string): Promise<{ teams: readonly { id: string }[] }>;
  plan(id: string, team: string): Promise<EnvironmentPlan>;
}): PlanSource {
  return async (exerciseId) => {
    const exercise = await exercises.get(exerciseId);
    return Promise.all(exercise.teams.map((t) => exercises.plan(exerciseId, t.id)));
  };
}

export interface ScoringServiceOptions {
  store: ScoringStore;
  plans: PlanSource;
  /** For checks; without one, check objectives cannot be run. */
  driver?: RuntimeDriver;
  /** Epoch milliseconds; injected so tests control time. */
  clock?: () => number;
  /** Checks running at once across the service (default 4). */
  checkConcurrency?: number;
  /** Output kept from a check command (default 16 KiB; the log keeps 2 KiB of it). */
  checkMaxOutputBytes?: number;
  /** Minimum time between two on-request checks of one team's objective (default 10 s). */
  checkCooldownMs?: number;
  /** Most requests decided and committed in one transaction (group commit; default 512). */
  maxBatch?: number;
  /** Called when a background task (periodic check, scheduled freeze) fails. */
  onError?: (error: unknown, context: Record<string, unknown>) => void;
}

/** What one committed write changed, in log order: pushed to sockets after the commit. */
export interface ScoringChange {
  readonly exerciseId: string;
  readonly event: ScoringEvent;
  readonly delta: ProjectionDelta;
}

export type ScoringListener = (change: ScoringChange) => void;

export interface SubmitResult {
  /** What the team is told (another team's flag reads as `wrong`). */
  readonly outcome: TeamReply;
  /** Instructors' classification. */
  readonly classified: SubmissionOutcome;
  /** For `correct`: the points the solve is worth now (value plus any first-blood bonus). */
  readonly points?: number;
  readonly retryAfterMs?: number;
  readonly seq: number;
}

export interface HintResult {
  readonly outcome: HintOutcome;
  readonly cost: number;
  readonly text?: unknown;
}

export interface CheckResult {
  readonly passed: boolean;
  readonly solved: boolean;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly seq: number;
  /**
   * The check's one-line reason for the trainee (the first non-blank line of its standard output, at
   * most CHECK_REASON_CHARS characters); empty when it printed none, timed out or the engine failed.
   */
  readonly reason: string;
}

/** The longest reason a check shows the trainee. */
export const CHECK_REASON_CHARS = 200;

/** The first non-blank line of a check's standard output, trimmed and cut to CHECK_REASON_CHARS. */
export function checkReason(stdout: string): string {
  const line = stdout.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  // control characters (escape sequences) would reach the page as garbage
  const clean = line.replace(/\p{Cc}/gu, ' ').trim();
  // cut between user-perceived characters, never inside one
  const chars = Array.from(new Intl.Segmenter().segment(clean), (s) => s.segment);
  return chars.length > CHECK_REASON_CHARS ? `${chars.slice(0, CHECK_REASON_CHARS - 1).join('')}…` : clean;
}

interface Pending {
  readonly decide: (projection: ScoreboardProjection, now: number) => Decided;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface Decided {
  readonly drafts: readonly ScoringEventDraft[];
  /** Builds the reply once the events are numbered and applied. */
  readonly reply: (events: readonly ScoringEvent[], projection: ScoreboardProjection) => unknown;
}

/** One loaded exercise: its projection and its write queue (the single writer). */
class ExerciseScoring {
  readonly queue: Pending[] = [];
  draining = false;
  readonly lastCheckAt = new Map<string, number>();
  readonly inFlightChecks = new Map<string, Promise<CheckResult>>();
  /** Rate-limited submissions refused since this exercise was loaded, per team (never logged). */
  readonly refused = new Map<string, number>();
  /** From the last `exercise-started`: its planned end, and whether a freeze followed it. */
  endsAt: number | undefined;
  frozeSinceStart = false;
  constructor(
    readonly exerciseId: string,
    readonly projection: ScoreboardProjection,
  ) {}

  observe(event: ScoringEvent): void {
    if (event.type === 'exercise-started') {
      this.endsAt = event.endsAt;
      this.frozeSinceStart = false;
    } else if (event.type === 'freeze') this.frozeSinceStart = true;
  }
}

/**
 * The scoring server side: one projection per exercise rebuilt from the stored log at `load`, and
 * one write queue per exercise. Every write (submission, hint, award, check result, status change)
 * is decided by the pure core against the projection, appended with the rows it implies in one
 * SQLite transaction, applied to the projection, and only then acknowledged and pushed. Requests
 * queued together are decided one after another and committed in one transaction (group commit);
 * deciding, appending and applying a batch is synchronous, so no reader sees an uncommitted state,
 * and a failed commit rebuilds the projection from the log before anyone is answered.
 */
export class ScoringService {
  private readonly store: ScoringStore;
  private readonly plans: PlanSource;
  private readonly driver: RuntimeDriver | undefined;
  private readonly clock: () => number;
  private readonly checkConcurrency: number;
  private readonly checkMaxOutputBytes: number;
  private readonly checkCooldownMs: number;
  private readonly maxBatch: number;
  private readonly onError: (error: unknown, context: Record<string, unknown>) => void;
  private readonly exercises = new Map<string, ExerciseScoring>();
  private readonly loading = new Map<string, Promise<ExerciseScoring>>();
  private readonly listeners = new Set<ScoringListener>();
  private checksRunning = 0;
  private readonly checkWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(options: ScoringServiceOptions) {
    this.store = options.store;
    this.plans = options.plans;
    this.driver = options.driver;
    this.clock = options.clock ?? Date.now;
    this.checkConcurrency = options.checkConcurrency ?? 4;
    this.checkMaxOutputBytes = options.checkMaxOutputBytes ?? 16 * 1024;
    this.checkCooldownMs = options.checkCooldownMs ?? 10_000;
    this.maxBatch = options.maxBatch ?? 512;
    this.onError = options.onError ?? (() => undefined);
  }

  // ── loading and reads ──────────────────────────────────────────────────────────────────────

  /** Loads (once) the exercise's plans and rebuilds its projection from the stored log. */
  async load(exerciseId: string): Promise<ScoreboardProjection> {
    return (await this.loaded(exerciseId)).projection;
  }

  /** The projection if loaded, else undefined (no I/O). */
  projectionOf(exerciseId: string): ScoreboardProjection | undefined {
    return this.exercises.get(exerciseId)?.projection;
  }

  loadedExercises(): string[] {
    return [...this.exercises.keys()];
  }

  /** A fresh projection rebuilt from the log (for audits and tests: it must equal the live one). */
  async rebuildFromLog(exerciseId: string): Promise<ScoreboardProjection> {
    const exercise = scoringExerciseFromPlans(await this.plans(exerciseId));
    return ScoreboardProjection.rebuild(exercise, this.store.events(exerciseId));
  }

  /** Forgets the in-memory state of an exercise (it is rebuilt from the log on next use). */
  unload(exerciseId: string): void {
    this.exercises.delete(exerciseId);
    this.loading.delete(exerciseId);
  }

  /**
   * Rate-limited submissions refused per team since the exercise was loaded in this process. They
   * are not in the log (a trainee looping on a refusal must not cost a row and an fsync each), so
   * the count is lost on restart and does not appear in `attempts`.
   */
  rateLimitedCounts(exerciseId: string): ReadonlyMap<string, number> {
    return new Map(this.exercises.get(exerciseId)?.refused ?? []);
  }

  subscribe(listener: ScoringListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  exportResults(projection: ScoreboardProjection, format: 'csv' | 'json', view: 'live' | 'public'): string {
    return exportResults(projection, { format, view });
  }

  // ── writes ────────────────────────────────────────────────────────────────────────────────

  async submit(
    exerciseId: string,
    teamId: string,
    objectiveId: string,
    text: string,
    userId?: string,
  ): Promise<SubmitResult> {
    const scoring = await this.loaded(exerciseId);
    return this.write(exerciseId, (projection, now) => {
      const decision = decideSubmission(
        projection,
        { teamId, objectiveId, text, ...(userId !== undefined ? { userId } : {}) },
        now,
      );
      // a rate-limited refusal is not logged (no row, no fsync): only counted in memory, per team
      const limited = decision.outcome === 'rate-limited';
      if (limited) scoring.refused.set(teamId, (scoring.refused.get(teamId) ?? 0) + 1);
      return {
        drafts: limited ? [] : decision.events,
        reply: (events, p): SubmitResult => ({
          outcome: decision.reply,
          classified: decision.outcome,
          ...(decision.outcome === 'correct' ? { points: solvePoints(p, teamId, objectiveId) } : {}),
          ...(decision.retryAfterMs !== undefined ? { retryAfterMs: decision.retryAfterMs } : {}),
          seq: events[0]?.seq ?? p.lastSeq,
        }),
      };
    });
  }

  async unlockHint(
    exerciseId: string,
    teamId: string,
    objectiveId: string,
    hintId: string,
    userId?: string,
  ): Promise<HintResult> {
    return this.write(exerciseId, (projection, now) => {
      const decision = decideHintUnlock(
        projection,
        { teamId, objectiveId, hintId, ...(userId !== undefined ? { userId } : {}) },
        now,
      );
      return {
        drafts: decision.events,
        reply: (_events, p): HintResult => {
          const open =
            decision.outcome === 'unlocked' ||
            decision.outcome === 'already-unlocked' ||
            decision.outcome === 'already-solved';
          const text = open
            ? p.exercise.answers.objective(teamId, objectiveId)?.hints.find((h) => h.id === hintId)?.text
            : undefined;
          return { outcome: decision.outcome, cost: decision.cost, ...(text !== undefined ? { text } : {}) };
        },
      };
    });
  }

  async award(
    exerciseId: string,
    award: { teamId: string; points: number; reason: string; by?: string },
  ): Promise<{ seq: number }> {
    return this.write(exerciseId, (projection, now) => {
      if (!projection.exercise.teams.some((t) => t.id === award.teamId))
        throw new CyropError('NOT_FOUND', `no team ${award.teamId} in exercise ${exerciseId}`);
      if (!Number.isSafeInteger(award.points))
        throw new CyropError('BAD_REQUEST', 'award points must be an integer');
      return {
        drafts: [
          {
            type: 'award',
            at: now,
            teamId: award.teamId,
            points: award.points,
            reason: award.reason,
            ...(award.by !== undefined ? { by: award.by } : {}),
          },
        ],
        reply: (events) => ({ seq: events[0]?.seq ?? 0 }),
      };
    });
  }

  /**
   * Starts (or restarts after an end) the exercise's scoring; a no-op when running. A planned end
   * (`endsAt`, epoch ms) must lie in the future and at most a year ahead (BAD_REQUEST naming the field).
   */
  async start(exerciseId: string, options: { endsAt?: number } = {}): Promise<{ seq: number }> {
    if (options.endsAt !== undefined) {
      const now = this.clock();
      if (!Number.isSafeInteger(options.endsAt) || options.endsAt <= now)
        throw new CyropError('BAD_REQUEST', 'endsAt must be a time in the future (epoch milliseconds)', {
          details: { field: 'endsAt' },
        });
      if (options.endsAt > now + MAX_END_AHEAD_MS)
        throw new CyropError('BAD_REQUEST', 'endsAt must be at most a year ahead', {
          details: { field: 'endsAt' },
        });
    }
    return this.status(exerciseId, (p, now) =>
      p.status === 'running'
        ? []
        : [
            {
              type: 'exercise-started',
              at: now,
              ...(options.endsAt !== undefined ? { endsAt: options.endsAt } : {}),
            },
          ],
    );
  }

  async end(exerciseId: string): Promise<{ seq: number }> {
    return this.status(exerciseId, (p, now) =>
      p.status === 'running' ? [{ type: 'exercise-ended', at: now }] : [],
    );
  }

  async freeze(exerciseId: string, by?: string): Promise<{ seq: number }> {
    return this.status(exerciseId, (p, now) =>
      p.frozen ? [] : [{ type: 'freeze', at: now, ...(by !== undefined ? { by } : {}) }],
    );
  }

  async unfreeze(exerciseId: string, by?: string): Promise<{ seq: number }> {
    return this.status(exerciseId, (p, now) =>
      p.frozen ? [{ type: 'unfreeze', at: now, ...(by !== undefined ? { by } : {}) }] : [],
    );
  }

  private status(
    exerciseId: string,
    drafts: (p: ScoreboardProjection, now: number) => ScoringEventDraft[],
  ): Promise<{ seq: number }> {
    return this.write(exerciseId, (p, now) => ({
      drafts: drafts(p, now),
      reply: (_events, after) => ({ seq: after.lastSeq }),
    }));
  }

  // ── checks ────────────────────────────────────────────────────────────────────────────────

  /**
   * Runs an objective's check in the team's environment now (on request): at most one at a time per
   * team and objective, at most one per `checkCooldownMs` (RATE_LIMITED with `details.retryAfterMs`),
   * at most `checkConcurrency` across the service. The result is logged as a `check-result` (and a
   * `solve` when it passes) before it is returned.
   */
  async runCheck(exerciseId: string, teamId: string, objectiveId: string): Promise<CheckResult> {
    const scoring = await this.loaded(exerciseId);
    const key = `${teamId}\u0000${objectiveId}`;
    const inFlight = scoring.inFlightChecks.get(key);
    if (inFlight) return inFlight;
    const now = this.clock();
    const last = scoring.lastCheckAt.get(key);
    if (last !== undefined && now - last < this.checkCooldownMs) {
      const retryAfterMs = this.checkCooldownMs - (now - last);
      throw new CyropError(
        'RATE_LIMITED',
        `checked moments ago; try again in ${Math.ceil(retryAfterMs / 1000)} s`,
        {
          details: { retryAfterMs },
        },
      );
    }
    return this.startCheck(scoring, teamId, objectiveId);
  }

  private startCheck(scoring: ExerciseScoring, teamId: string, objectiveId: string): Promise<CheckResult> {
    const key = `${teamId}\u0000${objectiveId}`;
    const objective = scoring.projection.exercise.answers.objective(teamId, objectiveId);
    if (!objective) throw new CyropError('NOT_FOUND', `no objective ${objectiveId} for team ${teamId}`);
    const check = objective.check;
    if (!check) throw new CyropError('BAD_REQUEST', `objective ${objectiveId} has no check`);
    const driver = this.driver;
    if (!driver) throw new CyropError('ENGINE_UNAVAILABLE', 'no engine to run checks with');
    scoring.lastCheckAt.set(key, this.clock());
    const run = (async (): Promise<CheckResult> => {
      await this.acquireCheckSlot();
      let exec: {
        exitCode: number | null;
        stdout: string;
        output: string;
        timedOut: boolean;
        durationMs: number;
      };
      const started = performance.now();
      try {
        const result = await driver.exec(
          // `from`: a host the trainee does not control, probing `host` over the team network
          { exercise: scoring.exerciseId, team: teamId, host: check.from ?? check.host },
          check.run,
          {
            timeoutMs: check.timeoutMs,
            maxOutputBytes: this.checkMaxOutputBytes,
            ...(check.user !== undefined ? { user: check.user } : {}),
          },
        );
        const stdout = result.stdout.toString('utf8');
        const stderr = result.stderr.toString('utf8');
        exec = {
          exitCode: result.exitCode,
          stdout,
          output: stderr ? `${stdout}${stdout.endsWith('\n') || !stdout ? '' : '\n'}${stderr}` : stdout,
          timedOut: result.timedOut,
          durationMs: result.durationMs,
        };
      } catch (error) {
        // the engine failed, not the trainee: logged as a failed run without an exit code
        exec = {
          exitCode: null,
          stdout: '',
          output: `engine error: ${(error as Error).message}`,
          timedOut: false,
          durationMs: performance.now() - started,
        };
      } finally {
        this.releaseCheckSlot();
      }
      return this.write(scoring.exerciseId, (projection, now) => {
        const decision = decideCheckResult(
          projection,
          {
            teamId,
            objectiveId,
            run: { exitCode: exec.exitCode, stdout: exec.stdout, timedOut: exec.timedOut },
            durationMs: exec.durationMs,
            output: exec.output,
          },
          now,
        );
        return {
          drafts: decision.events,
          reply: (events): CheckResult => ({
            passed: decision.passed,
            solved: decision.solved,
            exitCode: exec.timedOut ? null : exec.exitCode,
            timedOut: exec.timedOut,
            durationMs: Math.round(exec.durationMs),
            seq: events[0]?.seq ?? 0,
            reason: exec.timedOut ? '' : checkReason(exec.stdout),
          }),
        };
      });
    })();
    scoring.inFlightChecks.set(key, run);
    const forget = () => scoring.inFlightChecks.delete(key);
    run.then(forget, forget);
    return run;
  }

  /**
   * One round of background work for every loaded exercise: a due freeze is appended, and every
   * periodic check (`check.everyMs`) that is due for a running exercise is run, for unlocked,
   * unsolved objectives. Resolves when the round's checks are logged (deterministic in tests).
   */
  async tick(): Promise<void> {
    const now = this.clock();
    const work: Promise<unknown>[] = [];
    for (const scoring of this.exercises.values()) {
      const p = scoring.projection;
      if (p.status !== 'running') continue;
      const dueFreeze = freezeDueAt(p.exercise.scoring, scoring.endsAt);
      if (dueFreeze !== undefined && now >= dueFreeze && !p.frozen && !scoring.frozeSinceStart)
        work.push(this.freeze(scoring.exerciseId, 'schedule'));
      if (!this.driver) continue;
      for (const team of p.exercise.teams)
        for (const objective of p.exercise.objectives) {
          if (objective.kind !== 'check') continue;
          const planned = p.exercise.answers.objective(team.id, objective.id);
          const every = planned?.check?.everyMs;
          if (every === undefined) continue;
          const key = `${team.id}\u0000${objective.id}`;
          if (scoring.inFlightChecks.has(key)) continue;
          const last = scoring.lastCheckAt.get(key);
          if (last !== undefined && now - last < every) continue;
          if (!p.isUnlocked(team.id, objective.id) || p.isSolved(team.id, objective.id)) continue;
          work.push(
            this.startCheck(scoring, team.id, objective.id).catch((error: unknown) => {
              this.onError(error, {
                exerciseId: scoring.exerciseId,
                teamId: team.id,
                objectiveId: objective.id,
              });
            }),
          );
        }
    }
    await Promise.all(work);
  }

  /** Runs `tick` every `intervalMs` (default 1 s) until `stop`; one round at a time. */
  startTimers(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.ticking) return;
      this.ticking = this.tick()
        .catch((error: unknown) => {
          this.onError(error, { what: 'tick' });
        })
        .finally(() => {
          this.ticking = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  async stopTimers(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────

  private async loaded(exerciseId: string): Promise<ExerciseScoring> {
    const ready = this.exercises.get(exerciseId);
    if (ready) return ready;
    let loading = this.loading.get(exerciseId);
    if (!loading) {
      loading = (async () => {
        const plans = await this.plans(exerciseId);
        const exercise = scoringExerciseFromPlans(plans);
        if (exercise.exerciseId !== exerciseId)
          throw new CyropError('INTERNAL', `the plans of ${exerciseId} belong to ${exercise.exerciseId}`);
        const projection = new ScoreboardProjection(exercise);
        const scoring = new ExerciseScoring(exerciseId, projection);
        const events = this.store.events(exerciseId, { trusted: true });
        projection.applyAll(
          (function* () {
            for (const event of events) {
              scoring.observe(event);
              yield event;
            }
          })(),
        );
        this.exercises.set(exerciseId, scoring);
        return scoring;
      })();
      this.loading.set(exerciseId, loading);
      loading.catch(() => this.loading.delete(exerciseId));
    }
    return loading;
  }

  private async write<T>(
    exerciseId: string,
    decide: (projection: ScoreboardProjection, now: number) => Decided,
  ): Promise<T> {
    const scoring = await this.loaded(exerciseId);
    return new Promise<T>((resolve, reject) => {
      scoring.queue.push({ decide, resolve: resolve as (value: unknown) => void, reject });
      if (!scoring.draining) {
        scoring.draining = true;
        setImmediate(() => {
          this.drain(scoring);
        });
      }
    });
  }

  /** Decides, appends and applies a batch of queued requests in one transaction, then answers them. */
  private drain(scoring: ExerciseScoring): void {
    const batch = scoring.queue.splice(0, this.maxBatch);
    const answered: { pending: Pending; value: unknown }[] = [];
    const failed: { pending: Pending; error: unknown }[] = [];
    const changes: ScoringChange[] = [];
    const projection = scoring.projection;
    try {
      this.store.transaction(() => {
        for (const pending of batch) {
          let decided: Decided;
          try {
            decided = pending.decide(projection, this.clock());
          } catch (error) {
            failed.push({ pending, error }); // a refused request (unknown objective, …): nothing written
            continue;
          }
          const events: ScoringEvent[] = [];
          for (const draft of decided.drafts) {
            const event = this.store.append(scoring.exerciseId, draft);
            const delta = projection.apply(event);
            scoring.observe(event);
            events.push(event);
            changes.push({ exerciseId: scoring.exerciseId, event, delta });
          }
          answered.push({ pending, value: decided.reply(events, projection) });
        }
      });
    } catch (error) {
      // nothing of the batch is on disk: forget what was applied, answer every request with the error
      scoring.projection.rebuild(this.store.events(scoring.exerciseId, { trusted: true }));
      const refused = new Set(failed.map((f) => f.pending));
      for (const pending of batch) if (!refused.has(pending)) failed.push({ pending, error });
      answered.length = 0;
      changes.length = 0;
      this.onError(error, { exerciseId: scoring.exerciseId, what: 'commit' });
    }
    for (const change of changes)
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch (error) {
          this.onError(error, { exerciseId: change.exerciseId, what: 'listener' });
        }
      }
    for (const { pending, value } of answered) pending.resolve(value);
    for (const { pending, error } of failed) pending.reject(error);
    if (scoring.queue.length > 0)
      setImmediate(() => {
        this.drain(scoring);
      });
    else scoring.draining = false;
  }

  private acquireCheckSlot(): Promise<void> {
    if (this.checksRunning < this.checkConcurrency) {
      this.checksRunning++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.checkWaiters.push(resolve));
  }

  private releaseCheckSlot(): void {
    const next = this.checkWaiters.shift();
    if (next) next();
    else this.checksRunning--;
  }
}

/** The furthest ahead a planned scoring end may lie. */
const MAX_END_AHEAD_MS = 366 * 24 * 60 * 60 * 1000;

/** What a solve is worth to its team now: the objective's live value, plus the bonus if first. */
function solvePoints(p: ScoreboardProjection, teamId: string, objectiveId: string): number {
  const stats = p.objectiveStats('live').find((s) => s.objectiveId === objectiveId);
  if (!stats) return 0;
  const first = stats.firstBlood?.teamId === teamId;
  return stats.value + (first ? firstBloodBonus(stats.value, p.exercise.scoring.firstBloodBonusPercent) : 0);
}
