import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CompetencyCatalogue, ScenarioLimits } from '../compiler/check-scenario.ts';
import { formatDiagnostic, hasErrors } from '../compiler/diagnostic.ts';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import { LABEL, planExercise } from '../compiler/plan-exercise.ts';
import type { FrameworkId } from '../compiler/scenario.ts';
import { CyropError } from '../errors.ts';
import type {
  EnvironmentRef,
  EnvironmentStatus,
  ProvisionEvent,
  RuntimeDriver,
} from '../runtime/runtime-driver.ts';
import { compileScenarioFile, resolveScenarioFile } from '../scenarios/scenario-folder.ts';
import type { Db } from '../store/database.ts';
import type { ExerciseState, TeamState } from '../store/schema.ts';

export interface ExerciseServiceOptions {
  db: Db;
  driver: RuntimeDriver;
  clock?: () => number;
  logger?: Logger;
  subnetPool: string;
  catalogueFor?: (framework: FrameworkId) => CompetencyCatalogue | undefined;
  /** The operator's limits on scenarios (the largest `resources.disk`). */
  limits?: ScenarioLimits;
  /** Waits between provisioning attempts of a team (the last one is used for any further attempt). */
  retryDelaysMs?: readonly number[];
}

export interface CreateExercise {
  scenarioPath: string;
  teams: number;
  secret?: string;
  id?: string;
  ttlMs?: number;
  /**
   * Store the exercise as launching, not just created: the caller launches it next, and a crash
   * in between leaves an exercise that reconcile provisions, not one silently never launched.
   */
  launching?: boolean;
  /** Terminal recordings of this exercise also capture keystrokes (default: only output). */
  recordInput?: boolean;
}

export type LaunchEvent =
  | {
      exercise: string;
      team: string;
      kind: 'team';
      state: 'provisioning' | 'ready' | 'failed' | 'retrying';
      attempt: number;
      detail?: string;
    }
  | ({ exercise: string; team: string } & ProvisionEvent);

export interface LaunchOptions {
  concurrency?: number;
  attempts?: number;
  onEvent?: (event: LaunchEvent) => void;
  signal?: AbortSignal;
}

export interface TeamSummary {
  id: string;
  name: string;
  index: number;
  state: TeamState;
  attempts: number;
  lastError: string | null;
  hosts: string[];
}

export interface ExerciseSummary {
  id: string;
  scenario: { id: string; version: string; path: string };
  state: ExerciseState;
  engine: string;
  createdAt: number;
  expiresAt: number | null;
  /** Terminal recordings capture keystrokes too: set at creation, or by the scenario (`exercise.recordKeystrokes`). */
  recordInput: boolean;
  teams: TeamSummary[];
}

/** Told before environments change under running shells (terminals end theirs). */
export interface EnvironmentEnding {
  exercise: string;
  /** Every team when absent. */
  team?: string;
  /** Every host of the team when absent. */
  host?: string;
  reason: 'teardown' | 'reset';
}

export interface ExerciseStatus extends ExerciseSummary {
  environments: (EnvironmentStatus & { team: string })[];
}

export interface ReconcileReport {
  converged: EnvironmentRef[];
  failed: { ref: EnvironmentRef; error: string }[];
  removedOrphans: EnvironmentRef[];
  expired: string[];
}

const ACTIVE: ExerciseState[] = ['created', 'launching', 'running', 'tearing-down'];

/**
 * Exercises: one scenario version, N teams, one secret, one environment per team. The store holds
 * the desired state (each team's plan) before the engine is touched, so that after a crash at any
 * point `reconcile()` converges what exists to what is wanted, with no duplicate and no leftover.
 */
export class ExerciseService {
  private readonly db: Db;
  private readonly driver: RuntimeDriver;
  private readonly clock: () => number;
  private readonly retryDelaysMs: readonly number[];
  private readonly endingListeners = new Set<(event: EnvironmentEnding) => void>();

  constructor(private readonly options: ExerciseServiceOptions) {
    this.db = options.db;
    this.driver = options.driver;
    this.clock = options.clock ?? Date.now;
    this.retryDelaysMs = options.retryDelaysMs ?? [1_000, 3_000, 10_000];
  }

  /** Compile the scenario, plan every team (subnets clear of every active exercise) and store it all. */
  async create(request: CreateExercise): Promise<ExerciseSummary> {
    const file = resolveScenarioFile(request.scenarioPath);
    const result = compileScenarioFile(file, this.options.catalogueFor, this.options.limits);
    if (!result.compiled || hasErrors(result.diagnostics)) {
      throw new CyropError(
        'SCENARIO_INVALID',
        `${file} is not valid:\n  ${result.diagnostics
          .filter((d) => d.severity === 'error')
          .map(formatDiagnostic)
          .join('\n  ')}`,
        { details: result.diagnostics },
      );
    }
    const scenario = result.compiled.scenario;
    const id =
      request.id ??
      `${scenario.metadata.id.slice(0, 22).replace(/-+$/, '')}-${randomBytes(3).toString('hex')}`;
    if (await this.db.selectFrom('exercises').select('id').where('id', '=', id).executeTakeFirst()) {
      throw new CyropError('CONFLICT', `an exercise '${id}' already exists`);
    }
    const secret = request.secret ?? randomBytes(24).toString('base64url');
    const reserved = (await this.activePlans()).flatMap((p) =>
      p.networks.filter((n) => !n.fixed).map((n) => n.subnet),
    );
    const plans = planExercise(result.compiled, {
      labels: { [LABEL.installation]: await this.installation() },
      exerciseId: id,
      teams: request.teams,
      secret,
      subnetPool: this.options.subnetPool,
      reservedSubnets: reserved,
      ...(this.options.limits?.diskMaxBytes ? { diskMaxBytes: this.options.limits.diskMaxBytes } : {}),
    });
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('exercises')
        .values({
          id,
          scenario_id: scenario.metadata.id,
          scenario_version: scenario.metadata.version,
          scenario_hash: result.compiled?.sourceHash ?? '',
          scenario_path: file,
          secret,
          state: request.launching ? 'launching' : 'created',
          engine: this.driver.engine,
          created_at: now,
          updated_at: now,
          expires_at: request.ttlMs ? now + request.ttlMs : null,
          record_input: request.recordInput ? 1 : 0,
        })
        .execute();
      await trx
        .insertInto('exercise_teams')
        .values(
          plans.map((p) => ({
            exercise_id: id,
            team_id: p.team.id,
            team_name: p.team.name,
            team_index: p.team.index,
            plan: JSON.stringify(p),
            plan_hash: p.hash,
            state: 'pending' as const,
            last_error: null,
            updated_at: now,
          })),
        )
        .execute();
    });
    this.options.logger?.info(
      { exercise: id, scenario: scenario.metadata.id, teams: plans.length },
      'exercise created',
    );
    return this.get(id);
  }

  async get(id: string): Promise<ExerciseSummary> {
    const row = await this.db.selectFrom('exercises').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new CyropError('NOT_FOUND', `no exercise '${id}'`);
    const teams = await this.db
      .selectFrom('exercise_teams')
      .selectAll()
      .where('exercise_id', '=', id)
      .orderBy('team_index')
      .execute();
    const plans = teams.map((t) => JSON.parse(t.plan) as EnvironmentPlan);
    return {
      id: row.id,
      scenario: { id: row.scenario_id, version: row.scenario_version, path: row.scenario_path },
      state: row.state,
      engine: row.engine,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      recordInput: row.record_input === 1 || plans.some((p) => p.settings.recordKeystrokes),
      teams: teams.map((t, i) => ({
        id: t.team_id,
        name: t.team_name,
        index: t.team_index,
        state: t.state,
        attempts: t.attempts,
        lastError: t.last_error,
        hosts: (plans[i] as EnvironmentPlan).hosts.map((h) => h.name),
      })),
    };
  }

  async list(): Promise<ExerciseSummary[]> {
    const rows = await this.db.selectFrom('exercises').select('id').orderBy('created_at', 'desc').execute();
    return Promise.all(rows.map((r) => this.get(r.id)));
  }

  /** The stored plan of one team (the desired state). */
  async plan(id: string, team: string): Promise<EnvironmentPlan> {
    const row = await this.db
      .selectFrom('exercise_teams')
      .select('plan')
      .where('exercise_id', '=', id)
      .where('team_id', '=', team)
      .executeTakeFirst();
    if (!row) throw new CyropError('NOT_FOUND', `no team '${team}' in exercise '${id}'`);
    return JSON.parse(row.plan) as EnvironmentPlan;
  }

  /**
   * Provision every team in parallel (at most `concurrency` at once), each with retries and backoff.
   * One team's failure neither blocks nor rolls back the others; the exercise runs once any team is ready.
   */
  async launch(id: string, options: LaunchOptions = {}): Promise<ExerciseSummary> {
    const exercise = await this.get(id);
    if (exercise.state === 'ended' || exercise.state === 'tearing-down')
      throw new CyropError('CONFLICT', `exercise '${id}' is ${exercise.state}`);
    await this.setExerciseState(id, 'launching');
    const teams = exercise.teams.filter((t) => t.state !== 'ready' && t.state !== 'destroyed');
    await runLimited(teams, options.concurrency ?? 4, (t) => this.provisionTeam(id, t.id, options));
    const after = await this.get(id);
    await this.setExerciseState(id, after.teams.some((t) => t.state === 'ready') ? 'running' : 'launching');
    return this.get(id);
  }

  async status(id: string): Promise<ExerciseStatus> {
    const exercise = await this.get(id);
    const environments = await Promise.all(
      exercise.teams.map(async (t) => ({
        ...(await this.driver.status({ exercise: id, team: t.id })),
        team: t.id,
      })),
    );
    return { ...exercise, environments };
  }

  /** Recreate one host (fresh filesystem) or, without host, the team's whole environment. */
  async reset(
    id: string,
    team: string,
    host?: string,
    options: LaunchOptions = {},
  ): Promise<ExerciseSummary> {
    const plan = await this.plan(id, team);
    this.announceEnding({ exercise: id, team, ...(host ? { host } : {}), reason: 'reset' });
    await this.setTeamState(id, team, 'resetting');
    try {
      if (host) await this.driver.resetHost(plan, host, this.provisionOptions(id, team, options));
      else {
        await this.driver.destroy({ exercise: id, team });
        await this.driver.provision(plan, this.provisionOptions(id, team, options));
      }
      await this.setTeamState(id, team, 'ready');
    } catch (error) {
      await this.setTeamState(id, team, 'failed', (error as Error).message);
      throw error;
    }
    return this.get(id);
  }

  async extend(id: string, ms: number): Promise<ExerciseSummary> {
    const exercise = await this.get(id);
    const base = Math.max(exercise.expiresAt ?? this.clock(), this.clock());
    await this.db
      .updateTable('exercises')
      .set({ expires_at: base + ms, updated_at: this.clock() })
      .where('id', '=', id)
      .execute();
    return this.get(id);
  }

  async teardown(id: string): Promise<ExerciseSummary> {
    const exercise = await this.get(id);
    this.announceEnding({ exercise: id, reason: 'teardown' });
    await this.setExerciseState(id, 'tearing-down');
    await Promise.all(
      exercise.teams.map(async (t) => {
        await this.driver.destroy({ exercise: id, team: t.id });
        await this.setTeamState(id, t.id, 'destroyed');
      }),
    );
    await this.setExerciseState(id, 'ended');
    this.options.logger?.info({ exercise: id }, 'exercise torn down');
    return this.get(id);
  }

  /** Be told before a teardown (also on expiry) or a reset changes environments; returns the unsubscribe. */
  onEnvironmentEnding(listener: (event: EnvironmentEnding) => void): () => void {
    this.endingListeners.add(listener);
    return () => this.endingListeners.delete(listener);
  }

  private announceEnding(event: EnvironmentEnding): void {
    for (const listener of this.endingListeners) {
      try {
        listener(event);
      } catch (error) {
        this.options.logger?.warn({ err: error, exercise: event.exercise }, 'environment listener failed');
      }
    }
  }

  /**
   * Make the engine match the store: converge every team of every live exercise (create what is
   * missing, recreate what drifted, adopt the rest), finish interrupted teardowns, tear down expired
   * exercises, and remove environments that belong to no live exercise.
   */
  async reconcile(options: LaunchOptions = {}): Promise<ReconcileReport> {
    const report: ReconcileReport = { converged: [], failed: [], removedOrphans: [], expired: [] };
    const now = this.clock();
    const exercises = await this.db
      .selectFrom('exercises')
      .selectAll()
      .where('state', 'in', ACTIVE)
      .execute();
    for (const e of exercises) {
      if (e.state === 'tearing-down' || (e.expires_at !== null && e.expires_at <= now)) {
        await this.teardown(e.id);
        if (e.state !== 'tearing-down') report.expired.push(e.id);
      }
    }
    const live = await this.db
      .selectFrom('exercises')
      .select(['id', 'state'])
      .where('state', 'in', ['launching', 'running'])
      .execute();
    for (const e of live) {
      const teams = await this.db
        .selectFrom('exercise_teams')
        .select(['team_id', 'state'])
        .where('exercise_id', '=', e.id)
        .where('state', '!=', 'destroyed')
        .execute();
      await runLimited(teams, options.concurrency ?? 4, async (t) => {
        const ref = { exercise: e.id, team: t.team_id };
        try {
          await this.provisionTeam(e.id, t.team_id, { ...options, attempts: options.attempts ?? 2 });
          report.converged.push(ref);
        } catch (error) {
          report.failed.push({ ref, error: (error as Error).message });
        }
      });
      await this.setExerciseState(e.id, 'running');
    }
    const wanted = new Set(
      (
        await this.db
          .selectFrom('exercise_teams')
          .innerJoin('exercises', 'exercises.id', 'exercise_teams.exercise_id')
          .select(['exercise_id', 'team_id'])
          .where('exercises.state', 'in', ['created', 'launching', 'running'])
          .execute()
      ).map((r) => `${r.exercise_id}/${r.team_id}`),
    );
    for (const ref of await this.driver.list({ [LABEL.installation]: await this.installation() })) {
      if (wanted.has(`${ref.exercise}/${ref.team}`)) continue;
      await this.driver.destroy(ref);
      report.removedOrphans.push(ref);
    }
    return report;
  }

  /**
   * Remove what the engine holds for exercises of this installation that ended or that the store does
   * not know; with `anyInstallation`, also what other (e.g. deleted) installations left behind.
   */
  async gc(options: { anyInstallation?: boolean } = {}): Promise<EnvironmentRef[]> {
    const alive = new Set(
      (await this.db.selectFrom('exercises').select('id').where('state', 'in', ACTIVE).execute()).map(
        (r) => r.id,
      ),
    );
    const removed: EnvironmentRef[] = [];
    const selector: Record<string, string> = options.anyInstallation
      ? {}
      : { [LABEL.installation]: await this.installation() };
    for (const ref of await this.driver.list(selector)) {
      if (alive.has(ref.exercise)) continue;
      await this.driver.destroy(ref);
      removed.push(ref);
    }
    return removed;
  }

  /** This store's installation id: engine objects carry it, and reconcile and gc touch no others. */
  async installation(): Promise<string> {
    this.installationId ??= (
      await this.db
        .selectFrom('meta')
        .select('value')
        .where('key', '=', 'installation')
        .executeTakeFirstOrThrow()
    ).value;
    return this.installationId;
  }

  private installationId: string | undefined;

  // --- internals

  private async provisionTeam(id: string, team: string, options: LaunchOptions): Promise<void> {
    const plan = await this.plan(id, team);
    const attempts = options.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted();
      await this.setTeamState(id, team, 'provisioning', null, true);
      options.onEvent?.({ exercise: id, team, kind: 'team', state: 'provisioning', attempt });
      try {
        await this.driver.provision(plan, this.provisionOptions(id, team, options));
        await this.setTeamState(id, team, 'ready');
        options.onEvent?.({ exercise: id, team, kind: 'team', state: 'ready', attempt });
        return;
      } catch (error) {
        const message = (error as Error).message;
        this.options.logger?.warn({ exercise: id, team, attempt, err: message }, 'provisioning failed');
        if (attempt >= attempts || (error instanceof CyropError && error.code === 'ENGINE_IMAGE_MISSING')) {
          await this.setTeamState(id, team, 'failed', message);
          options.onEvent?.({ exercise: id, team, kind: 'team', state: 'failed', attempt, detail: message });
          return;
        }
        options.onEvent?.({ exercise: id, team, kind: 'team', state: 'retrying', attempt, detail: message });
        const delay = this.retryDelaysMs[Math.min(attempt - 1, this.retryDelaysMs.length - 1)] ?? 1_000;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private provisionOptions(id: string, team: string, options: LaunchOptions) {
    return {
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (event: ProvisionEvent) => options.onEvent?.({ exercise: id, team, ...event }),
    };
  }

  private async activePlans(): Promise<EnvironmentPlan[]> {
    const rows = await this.db
      .selectFrom('exercise_teams')
      .innerJoin('exercises', 'exercises.id', 'exercise_teams.exercise_id')
      .select('plan')
      .where('exercises.state', 'in', ACTIVE)
      .execute();
    return rows.map((r) => JSON.parse(r.plan) as EnvironmentPlan);
  }

  private async setExerciseState(id: string, state: ExerciseState): Promise<void> {
    await this.db
      .updateTable('exercises')
      .set({ state, updated_at: this.clock() })
      .where('id', '=', id)
      .execute();
  }

  private async setTeamState(
    id: string,
    team: string,
    state: TeamState,
    error: string | null = null,
    attempt = false,
  ): Promise<void> {
    await this.db
      .updateTable('exercise_teams')
      .set((eb) => ({
        state,
        last_error: error,
        updated_at: this.clock(),
        ...(attempt ? { attempts: eb('attempts', '+', 1) } : {}),
      }))
      .where('exercise_id', '=', id)
      .where('team_id', '=', team)
      .execute();
  }
}

/** Run `fn` over items with at most `limit` running at once; resolves when all have settled. */
export async function runLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
