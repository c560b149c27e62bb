import { randomBytes, randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { CompetencyCatalogue, ScenarioLimits } from '../compiler/check-scenario.ts';
import { formatDiagnostic, hasErrors } from '../compiler/diagnostic.ts';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import { bindAddresses, type BoundAddresses } from '../compiler/plan-addresses.ts';
import { LABEL, planExercise, planTeamAgain, type TeamSpec } from '../compiler/plan-exercise.ts';
import type { ReservedBlock } from '../compiler/subnet-allocator.ts';
import type { FrameworkId } from '../compiler/scenario.ts';
import type { Principal } from '../access/principal.ts';
import { CyropError } from '../errors.ts';
import type {
  EnvironmentRef,
  EnvironmentStatus,
  ProvisionEvent,
  RuntimeDriver,
} from '../runtime/runtime-driver.ts';
import { compileScenarioFile, resolveScenarioFile } from '../scenarios/scenario-folder.ts';
import type { ScenarioCompiler } from '../scenarios/scenario-compiler.ts';
import type { Db } from '../store/database.ts';
import type { ExerciseState, TeamState } from '../store/schema.ts';
import { engineCannotHonour, engineFitError, plansCannotBeHonoured } from './engine-fit.ts';
import { extendedExpiry, lifetimeFor, mustFitQuota, usageOfPlans, type QuotaBook } from './quotas.ts';

export interface ExerciseServiceOptions {
  db: Db;
  driver: RuntimeDriver;
  clock?: () => number;
  logger?: Logger;
  subnetPool: string;
  /**
   * Where scenarios may fix their own subnets (`networks[].subnet`); default none: a scenario with a
   * fixed subnet is refused at launch (with the file:line of the field).
   */
  fixedSubnetPools?: readonly string[];
  catalogueFor?: (framework: FrameworkId) => CompetencyCatalogue | undefined;
  /** Compiles scenario files off the event loop, time- and memory-bounded (uploaded scenarios are untrusted). */
  compiler?: ScenarioCompiler;
  /** The operator's limits on scenarios (the largest `resources.disk`); the compiler has its own copy. */
  limits?: ScenarioLimits;
  /**
   * Teams provisioned at once by a launch or a reconcile, and torn down at once by a teardown, unless
   * the call says otherwise (`CYROP_LAUNCH_CONCURRENCY`; default 4). Also what bounds the platform's
   * memory during a launch: each team in flight holds its manifests and a watch.
   */
  concurrency?: number;
  /** Waits between provisioning attempts of a team (the last one is used for any further attempt). */
  retryDelaysMs?: readonly number[];
  /**
   * Per-organisation quotas and lifetimes: every exercise gets an expiry (the default, at most the
   * maximum) and a launch past a quota is refused with QUOTA_EXCEEDED before anything is created.
   * Absent: no quotas, and an exercise without a ttl never expires (tests, benches).
   */
  quotas?: QuotaBook;
  /**
   * Where the service records what was done to exercises and by whom (`exercise.create`, `.reset`,
   * `.extend`, `.teardown`, `.expired`): the platform's audit log. Written by the service once an
   * action is accepted, so every edge (REST, CLI, the janitor) is audited alike.
   */
  audit?: (entry: ExerciseAuditEntry) => Promise<void>;
  /**
   * `off` (`CYROP_DISK_LIMITS=off`): scenarios with disk limits run on an engine that cannot enforce
   * them; default `enforce`: they are refused before anything is created (see engine-fit.ts).
   */
  diskLimits?: 'enforce' | 'off';
}

/** Who asks for a change of an exercise: a principal (with its address), or the platform itself. */
export interface ExerciseActor {
  actor: Principal | 'system';
  ip?: string | undefined;
}

export interface ExerciseAuditEntry {
  by: ExerciseActor;
  action: 'exercise.create' | 'exercise.reset' | 'exercise.extend' | 'exercise.teardown' | 'exercise.expired';
  /** `<exercise>` or `<exercise>/<team>`. */
  target: string;
  details: Record<string, unknown>;
  /** The exercise's organisation (null: the operator's), whose audit trail the entry joins. */
  orgId: string | null;
}

const SYSTEM: ExerciseActor = { actor: 'system' };

export interface CreateExercise {
  scenarioPath: string;
  /** A number of teams (team-1 … team-N, named "Team N"), or the teams with their names. */
  teams: number | readonly TeamSpec[];
  /** At most this many members per team (roster entries and joins); absent: no cap. */
  maxMembersPerTeam?: number;
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
  /** The owning organisation, written with the exercise (null or absent: the operator's). */
  orgId?: string | null;
  /** Who creates it, for the audit log (default: the platform). */
  by?: ExerciseActor;
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
  /**
   * How many of its hosts are ready now: all of them when the team is ready; while it is provisioned
   * or reset, those the engine has reported ready so far (known to this process; 0 after a restart
   * until the next report); none when pending or destroyed.
   */
  readyHosts: number;
}

/** A team's provisioning moved (its state, or one of its hosts came up or went away). */
export interface TeamChange {
  exercise: string;
  team: string;
  state: TeamState;
  lastError: string | null;
  /** The hosts reported ready so far (as `TeamSummary.readyHosts`, except that a `ready` team has them all). */
  readyHosts: number;
}

export interface ExerciseSummary {
  id: string;
  /** The exact scenario version and content hash (sha256 of its source files) the teams were planned from. */
  scenario: { id: string; version: string; hash: string; path: string };
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
/** How many times one provisioning of a team plans it again after its subnets turned out taken. */
const MAX_REPLANS = 5;

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
  private readonly concurrency: number;
  private readonly endingListeners = new Set<(event: EnvironmentEnding) => void>();
  private readonly changeListeners = new Set<(exerciseId: string) => void>();
  private readonly teamListeners = new Set<(change: TeamChange) => void>();
  /** Per `exercise/team`: the hosts the engine reported ready since the team's provisioning or reset began. */
  private readonly hostsUp = new Map<string, Set<string>>();
  /** Per `exercise/team`: the state and error last written by this process (for pushes between writes). */
  private readonly lastTeamState = new Map<string, { state: TeamState; error: string | null }>();

  constructor(private readonly options: ExerciseServiceOptions) {
    this.db = options.db;
    this.driver = options.driver;
    this.clock = options.clock ?? Date.now;
    this.retryDelaysMs = options.retryDelaysMs ?? [1_000, 3_000, 10_000];
    this.concurrency = Math.max(1, options.concurrency ?? 4);
  }

  /** Compile the scenario, plan every team (subnets clear of every active exercise) and store it all. */
  async create(request: CreateExercise): Promise<ExerciseSummary> {
    const quotas = this.options.quotas;
    const orgId = request.orgId ?? null;
    const orgLabel = orgId === null ? 'the platform' : `organisation '${orgId}'`;
    let ttlMs = request.ttlMs;
    if (quotas) {
      // Refused early on what is known before compiling (lifetime, exercises, teams); checked again in full below.
      const limits = await quotas.limitsFor(orgId);
      ttlMs = lifetimeFor(limits, ttlMs);
      const teamCount = typeof request.teams === 'number' ? request.teams : request.teams.length;
      mustFitQuota(orgLabel, limits, await quotas.usage(orgId), { exercises: 1, teams: teamCount });
    }
    const file = resolveScenarioFile(request.scenarioPath);
    const result = this.options.compiler
      ? await this.options.compiler.compileFile(file)
      : compileScenarioFile(file, this.options.catalogueFor, this.options.limits);
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
    const unfit = engineCannotHonour(result.compiled, this.driver.engine, this.driver.capabilities, {
      ...(this.options.diskLimits ? { diskLimits: this.options.diskLimits } : {}),
    });
    if (unfit.length) throw engineFitError(this.driver.engine, file, unfit);
    const scenario = result.compiled.scenario;
    const id =
      request.id ??
      `${scenario.metadata.id.slice(0, 22).replace(/-+$/, '')}-${randomBytes(3).toString('hex')}`;
    if (await this.db.selectFrom('exercises').select('id').where('id', '=', id).executeTakeFirst()) {
      // The same answer whoever holds the id: a taken id says nothing of its owner or its content.
      throw new CyropError(
        'CONFLICT',
        `the exercise id '${id}' is taken: choose another, or leave it out for a generated one`,
      );
    }
    const secret = request.secret ?? randomBytes(24).toString('base64url');
    const planOptions = {
      labels: { [LABEL.installation]: await this.installation() },
      exerciseId: id,
      teams: request.teams,
      secret,
      ...(await this.addressOptions()),
      ...(this.options.limits?.diskMaxBytes ? { diskMaxBytes: this.options.limits.diskMaxBytes } : {}),
    };
    // Per-team template rendering of an (untrusted) scenario runs in a bounded worker too.
    const plans = this.options.compiler
      ? await this.options.compiler.planFile(file, planOptions)
      : planExercise(result.compiled, planOptions);
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      // Check and insert in one transaction (one connection): two parallel launches cannot both pass.
      if (quotas)
        mustFitQuota(
          orgLabel,
          await quotas.limitsFor(orgId, trx),
          await quotas.usage(orgId, trx),
          usageOfPlans(plans),
        );
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
          expires_at: ttlMs ? now + ttlMs : null,
          record_input: request.recordInput ? 1 : 0,
          org_id: request.orgId ?? null,
          max_members_per_team: request.maxMembersPerTeam ?? null,
          created_by:
            request.by && request.by.actor !== 'system' && request.by.actor.kind === 'user'
              ? request.by.actor.userId
              : null,
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
            addresses: null,
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
    await this.audit(request.by, 'exercise.create', id, {
      scenario: `${scenario.metadata.id}@${scenario.metadata.version}`,
      contentHash: result.compiled.sourceHash,
      teams: plans.length,
      ...(request.recordInput ? { recordInput: true } : {}),
    });
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
      scenario: {
        id: row.scenario_id,
        version: row.scenario_version,
        hash: row.scenario_hash,
        path: row.scenario_path,
      },
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
        readyHosts: this.readyHostCount(id, t.team_id, t.state, (plans[i] as EnvironmentPlan).hosts.length),
      })),
    };
  }

  async list(): Promise<ExerciseSummary[]> {
    const rows = await this.db.selectFrom('exercises').select('id').orderBy('created_at', 'desc').execute();
    return Promise.all(rows.map((r) => this.get(r.id)));
  }

  /**
   * The plan of one team as trainees see it and are judged against: the stored one, with the
   * addresses the engine gave its hosts where the engine assigns them (Kubernetes).
   */
  async plan(id: string, team: string): Promise<EnvironmentPlan> {
    const row = await this.teamRow(id, team);
    const plan = JSON.parse(row.plan) as EnvironmentPlan;
    return row.addresses ? bindAddresses(plan, JSON.parse(row.addresses) as BoundAddresses) : plan;
  }

  /** The stored plan of one team: the desired state the engine is reconciled to. */
  private async desiredPlan(id: string, team: string): Promise<EnvironmentPlan> {
    return JSON.parse((await this.teamRow(id, team)).plan) as EnvironmentPlan;
  }

  private async teamRow(id: string, team: string) {
    const row = await this.db
      .selectFrom('exercise_teams')
      .select(['plan', 'addresses'])
      .where('exercise_id', '=', id)
      .where('team_id', '=', team)
      .executeTakeFirst();
    if (!row) throw new CyropError('NOT_FOUND', `no team '${team}' in exercise '${id}'`);
    return row;
  }

  /** Keep the addresses the engine gave a team's hosts (when it assigns them); tell who caches plans. */
  private async storeAddresses(id: string, team: string, status: EnvironmentStatus): Promise<void> {
    if (!status.addresses) return;
    const addresses = JSON.stringify(status.addresses);
    const { numUpdatedRows } = await this.db
      .updateTable('exercise_teams')
      .set({ addresses })
      .where('exercise_id', '=', id)
      .where('team_id', '=', team)
      .where((eb) => eb.or([eb('addresses', 'is', null), eb('addresses', '!=', addresses)]))
      .executeTakeFirst();
    if (numUpdatedRows > 0n) for (const listener of this.addressListeners) listener(id, team);
  }

  private readonly addressListeners = new Set<(exercise: string, team: string) => void>();

  /**
   * Called when the engine gave a team's hosts new addresses (Kubernetes, at launch and on resets):
   * `plan()` then answers differently, so whoever caches plans (the scoring service) forgets them.
   * Returns the unsubscribe function.
   */
  onAddressesBound(listener: (exercise: string, team: string) => void): () => void {
    this.addressListeners.add(listener);
    return () => this.addressListeners.delete(listener);
  }

  /**
   * Provision every team in parallel (at most `concurrency` at once), each with retries and backoff.
   * One team's failure neither blocks nor rolls back the others; the exercise runs once any team is ready.
   */
  async launch(id: string, options: LaunchOptions = {}): Promise<ExerciseSummary> {
    const exercise = await this.get(id);
    if (exercise.state === 'ended' || exercise.state === 'tearing-down')
      throw new CyropError('CONFLICT', `exercise '${id}' is ${exercise.state}`);
    const teams = exercise.teams.filter((t) => t.state !== 'ready' && t.state !== 'destroyed');
    // Created on another engine (the configuration changed since): refused before anything is created.
    const unfit = plansCannotBeHonoured(
      await Promise.all(teams.map((t) => this.desiredPlan(id, t.id))),
      this.driver.capabilities,
      this.options.diskLimits ? { diskLimits: this.options.diskLimits } : {},
    );
    if (unfit.length)
      throw new CyropError(
        'SCENARIO_INVALID',
        `the ${this.driver.engine} engine cannot run exercise '${id}' (${exercise.scenario.path}) as planned (nothing was created):\n  ${unfit.join('\n  ')}`,
        { details: unfit },
      );
    await this.setExerciseState(id, 'launching');
    await runLimited(teams, options.concurrency ?? this.concurrency, (t) =>
      this.provisionTeam(id, t.id, options),
    );
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
    options: LaunchOptions & { by?: ExerciseActor } = {},
  ): Promise<ExerciseSummary> {
    await this.mustBeLive(id, host ? `reset host '${host}'` : 'reset a team');
    const plan = await this.desiredPlan(id, team);
    await this.audit(options.by, 'exercise.reset', id, host ? { host } : {}, team);
    this.announceEnding({ exercise: id, team, ...(host ? { host } : {}), reason: 'reset' });
    // one host: the others stay up; the whole team: every host comes up again
    const up = this.hostsUpOf(id, team);
    up.clear();
    if (host) for (const h of plan.hosts) if (h.name !== host) up.add(h.name);
    await this.setTeamState(id, team, 'resetting');
    try {
      const status = host
        ? await this.driver.resetHost(plan, host, this.provisionOptions(id, team, options))
        : await this.driver
            .destroy({ exercise: id, team })
            .then(() => this.driver.provision(plan, this.provisionOptions(id, team, options)));
      await this.storeAddresses(id, team, status);
      await this.setTeamState(id, team, 'ready');
    } catch (error) {
      await this.setTeamState(id, team, 'failed', (error as Error).message);
      throw error;
    }
    return this.get(id);
  }

  async extend(id: string, ms: number, by?: ExerciseActor): Promise<ExerciseSummary> {
    const exercise = await this.mustBeLive(id, 'extend it');
    const base = Math.max(exercise.expiresAt ?? this.clock(), this.clock());
    let expiresAt = base + ms;
    if (this.options.quotas) {
      const row = await this.db
        .selectFrom('exercises')
        .select('org_id')
        .where('id', '=', id)
        .executeTakeFirst();
      const limits = await this.options.quotas.limitsFor(row?.org_id ?? null);
      expiresAt = extendedExpiry(limits, exercise, ms, this.clock());
    }
    await this.db
      .updateTable('exercises')
      .set({ expires_at: expiresAt, updated_at: this.clock() })
      .where('id', '=', id)
      .execute();
    await this.audit(by, 'exercise.extend', id, {
      byMs: ms,
      expiresAt: new Date(expiresAt).toISOString(),
    });
    this.announceChange(id);
    return this.get(id);
  }

  /**
   * End an exercise and remove its environments. `expired`: the janitor ends it at its expiry;
   * `resumed`: it finishes a teardown a restart interrupted (audited when it was asked for).
   */
  async teardown(
    id: string,
    by?: ExerciseActor,
    why: 'asked' | 'expired' | 'resumed' = 'asked',
  ): Promise<ExerciseSummary> {
    const exercise = await this.get(id);
    if (why !== 'resumed')
      await this.audit(by, why === 'asked' ? 'exercise.teardown' : 'exercise.expired', id, {});
    this.announceEnding({ exercise: id, reason: 'teardown' });
    await this.setExerciseState(id, 'tearing-down');
    // Bounded like a launch: a thousand teams do not become a thousand requests in flight at once.
    await runLimited(exercise.teams, this.concurrency, async (t) => {
      await this.driver.destroy({ exercise: id, team: t.id });
      await this.setTeamState(id, t.id, 'destroyed');
    });
    await this.setExerciseState(id, 'ended');
    this.options.logger?.info({ exercise: id }, 'exercise torn down');
    return this.get(id);
  }

  private async audit(
    by: ExerciseActor | undefined,
    action: ExerciseAuditEntry['action'],
    exerciseId: string,
    details: Record<string, unknown>,
    team?: string,
  ): Promise<void> {
    if (!this.options.audit) return;
    const row = await this.db
      .selectFrom('exercises')
      .select('org_id')
      .where('id', '=', exerciseId)
      .executeTakeFirst();
    const target = team ? `${exerciseId}/${team}` : exerciseId;
    await this.options.audit({ by: by ?? SYSTEM, action, target, details, orgId: row?.org_id ?? null });
  }

  /**
   * An exercise whose environments still exist: an ended (or ending) one refuses what would bring its
   * vulnerable hosts back with no lifetime (reset) or prolong nothing (extend).
   */
  private async mustBeLive(id: string, action: string): Promise<ExerciseSummary> {
    const exercise = await this.get(id);
    if (exercise.state === 'ended' || exercise.state === 'tearing-down')
      throw new CyropError(
        'EXERCISE_ENDED',
        `the exercise '${id}' has ended and its environments are gone: you cannot ${action}; launch a new exercise instead`,
      );
    return exercise;
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
   * Be told after an exercise's state or expiry changed (launch, extend, teardown, expiry), with its
   * id (read it with `get`); returns the unsubscribe. Listeners run synchronously and must not throw.
   */
  onExerciseChanged(listener: (exerciseId: string) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /**
   * Be told as a team's provisioning moves: its state (provisioning, ready, failed, resetting,
   * destroyed) and each host the engine reports ready; returns the unsubscribe. Listeners run
   * synchronously and must not throw. A ready team's `readyHosts` counts the hosts seen coming up.
   */
  onTeamChanged(listener: (change: TeamChange) => void): () => void {
    this.teamListeners.add(listener);
    return () => this.teamListeners.delete(listener);
  }

  private announceChange(exerciseId: string): void {
    for (const listener of this.changeListeners) {
      try {
        listener(exerciseId);
      } catch (error) {
        this.options.logger?.warn({ err: error, exercise: exerciseId }, 'exercise change listener failed');
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
      if (this.options.quotas && e.expires_at === null && e.state !== 'tearing-down') {
        // Lifetimes are mandatory: an exercise from before them gets its organisation's default from now.
        const limits = await this.options.quotas.limitsFor(e.org_id);
        const expiresAt = now + Math.min(limits.defaultTtlMs, limits.maxTtlMs);
        await this.db
          .updateTable('exercises')
          .set({ expires_at: expiresAt })
          .where('id', '=', e.id)
          .execute();
        this.announceChange(e.id);
        this.options.logger?.info(
          { exercise: e.id, expiresAt },
          'exercise without expiry given the default lifetime',
        );
      }
      if (e.state === 'tearing-down' || (e.expires_at !== null && e.expires_at <= now)) {
        await this.teardown(e.id, SYSTEM, e.state === 'tearing-down' ? 'resumed' : 'expired');
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
      await runLimited(teams, options.concurrency ?? this.concurrency, async (t) => {
        const ref = { exercise: e.id, team: t.team_id };
        try {
          await this.provisionTeam(e.id, t.team_id, { ...options, attempts: options.attempts ?? 2 });
          // provisionTeam records a team that failed every attempt instead of throwing
          const after = await this.db
            .selectFrom('exercise_teams')
            .select(['state', 'last_error'])
            .where('exercise_id', '=', e.id)
            .where('team_id', '=', t.team_id)
            .executeTakeFirst();
          if (after?.state === 'failed') report.failed.push({ ref, error: after.last_error ?? 'failed' });
          else report.converged.push(ref);
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
    let plan = await this.desiredPlan(id, team);
    const attempts = options.attempts ?? 3;
    let replans = 0;
    // A ready team provisioned again (reconcile) keeps its hosts counted: the engine adopts them, and
    // a host it recreates or that fails is taken off the count by its own report.
    const before = await this.db
      .selectFrom('exercise_teams')
      .select('state')
      .where('exercise_id', '=', id)
      .where('team_id', '=', team)
      .executeTakeFirst();
    const up = this.hostsUpOf(id, team);
    if (before?.state === 'ready') for (const host of plan.hosts) up.add(host.name);
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted();
      await this.setTeamState(id, team, 'provisioning', null, true);
      options.onEvent?.({ exercise: id, team, kind: 'team', state: 'provisioning', attempt });
      try {
        const status = await this.driver.provision(plan, this.provisionOptions(id, team, options));
        await this.storeAddresses(id, team, status);
        await this.setTeamState(id, team, 'ready');
        options.onEvent?.({ exercise: id, team, kind: 'team', state: 'ready', attempt });
        return;
      } catch (error) {
        const message = (error as Error).message;
        this.options.logger?.warn({ exercise: id, team, attempt, err: message }, 'provisioning failed');
        if (error instanceof CyropError && error.code === 'SUBNET_CONFLICT' && replans < MAX_REPLANS) {
          // Another network took a block since the plan was made (e.g. another installation on this
          // engine): plan the team again around everything now in use, store it, and try at once.
          replans++;
          try {
            plan = await this.replanTeam(id, team);
          } catch (replanError) {
            const why = (replanError as Error).message;
            await this.setTeamState(id, team, 'failed', `${message}; planning again failed: ${why}`);
            options.onEvent?.({ exercise: id, team, kind: 'team', state: 'failed', attempt, detail: why });
            return;
          }
          options.onEvent?.({
            exercise: id,
            team,
            kind: 'team',
            state: 'retrying',
            attempt,
            detail: message,
          });
          attempt--; // a new plan is not a failed attempt
          continue;
        }
        if (
          attempt >= attempts ||
          (error instanceof CyropError &&
            (error.code === 'ENGINE_IMAGE_MISSING' || error.code === 'SUBNET_CONFLICT'))
        ) {
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
      onProgress: (event: ProvisionEvent) => {
        if (event.kind === 'host') {
          const up = this.hostsUpOf(id, team);
          const before = up.size;
          // 'adopted' and 'started' leave the count alone: an adopted host stays as it was, a started one
          // was taken off when it was created or recreated
          if (event.state === 'ready') up.add(event.host);
          else if (event.state === 'created' || event.state === 'recreated' || event.state === 'failed')
            up.delete(event.host);
          if (up.size !== before) this.announceTeam(id, team);
        }
        options.onEvent?.({ exercise: id, team, ...event });
      },
    };
  }

  private hostsUpOf(id: string, team: string): Set<string> {
    const key = `${id}/${team}`;
    let up = this.hostsUp.get(key);
    if (!up) this.hostsUp.set(key, (up = new Set()));
    return up;
  }

  private readyHostCount(id: string, team: string, state: TeamState, total: number): number {
    if (state === 'ready') return total;
    if (state === 'pending' || state === 'destroyed') return 0;
    return Math.min(total, this.hostsUp.get(`${id}/${team}`)?.size ?? 0);
  }

  /** Tell the team listeners where a team's provisioning stands (no I/O: from this process's memory). */
  private announceTeam(id: string, team: string): void {
    if (this.teamListeners.size === 0) return;
    const last = this.lastTeamState.get(`${id}/${team}`) ?? { state: 'provisioning' as const, error: null };
    const up = this.hostsUp.get(`${id}/${team}`)?.size ?? 0;
    const change: TeamChange = {
      exercise: id,
      team,
      state: last.state,
      lastError: last.error,
      // the total is not known here: a ready team has every host up (readers know how many)
      readyHosts: last.state === 'pending' || last.state === 'destroyed' ? 0 : up,
    };
    for (const listener of this.teamListeners) {
      try {
        listener(change);
      } catch (error) {
        this.options.logger?.warn({ err: error, exercise: id, team }, 'team change listener failed');
      }
    }
  }

  /**
   * The pool, the fixed-subnet pools and every block in use — by this installation's live exercises
   * (from the store: planned blocks count before the engine has them) and by whatever the engine and
   * the host already use (other installations, other projects, host routes) — but `except` a team's own.
   */
  private async addressOptions(except?: { exercise: string; team: string }) {
    const installation = await this.installation();
    const isOwn = (exercise: string, team: string) => except?.exercise === exercise && except.team === team;
    const planned: ReservedBlock[] = (await this.activePlans())
      .filter((p) => !isOwn(p.exercise.id, p.team.id))
      .flatMap((p) =>
        p.networks.map((n) => ({ block: n.subnet, owner: `exercise ${p.exercise.id} (${p.team.id})` })),
      );
    const engine = ((await this.driver.addressesInUse?.()) ?? []).filter(
      (u) =>
        !(
          u.environment &&
          u.environment.installation === installation &&
          isOwn(u.environment.exercise, u.environment.team)
        ),
    );
    return {
      subnetPool: this.options.subnetPool,
      fixedSubnetPools: this.options.fixedSubnetPools ?? [],
      reservedSubnets: [...planned, ...engine.map((u) => ({ block: u.block, owner: u.owner }))],
    };
  }

  /** Re-plans one at a time, so that two teams planned again at once do not pick the same block. */
  private replanning: Promise<unknown> = Promise.resolve();

  /** Plan one team again around what is in use now, and store the new plan (subnets, addresses, hash). */
  private replanTeam(id: string, team: string): Promise<EnvironmentPlan> {
    const next = this.replanning.then(
      () => this.replanTeamNow(id, team),
      () => this.replanTeamNow(id, team),
    );
    this.replanning = next.catch(() => undefined);
    return next;
  }

  private async replanTeamNow(id: string, team: string): Promise<EnvironmentPlan> {
    const exercise = await this.db
      .selectFrom('exercises')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const row = await this.db
      .selectFrom('exercise_teams')
      .selectAll()
      .where('exercise_id', '=', id)
      .where('team_id', '=', team)
      .executeTakeFirstOrThrow();
    const old = JSON.parse(row.plan) as EnvironmentPlan;
    const result = compileScenarioFile(exercise.scenario_path, this.options.catalogueFor);
    if (!result.compiled || result.compiled.sourceHash !== exercise.scenario_hash) {
      throw new CyropError(
        'CONFLICT',
        `the scenario at ${exercise.scenario_path} is no longer the version this exercise was planned from`,
      );
    }
    const plan = planTeamAgain(
      result.compiled,
      {
        labels: { [LABEL.installation]: await this.installation() },
        exerciseId: id,
        teams: [{ id: row.team_id, name: row.team_name }],
        secret: exercise.secret,
        ...(await this.addressOptions({ exercise: id, team })),
      },
      { id: row.team_id, name: row.team_name },
      row.team_index,
      // Anywhere in the pool: another installation racing for the same blocks plans from the start.
      randomInt(2 ** 32),
    );
    await this.db
      .updateTable('exercise_teams')
      .set({ plan: JSON.stringify(plan), plan_hash: plan.hash, updated_at: this.clock() })
      .where('exercise_id', '=', id)
      .where('team_id', '=', team)
      .execute();
    this.options.logger?.info(
      {
        exercise: id,
        team,
        from: old.networks.map((n) => n.subnet),
        to: plan.networks.map((n) => n.subnet),
      },
      'team planned again on other subnets',
    );
    return plan;
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
    const before = await this.db
      .selectFrom('exercises')
      .select('state')
      .where('id', '=', id)
      .executeTakeFirst();
    await this.db
      .updateTable('exercises')
      .set({ state, updated_at: this.clock() })
      .where('id', '=', id)
      .execute();
    // reconcile sets 'running' again on every round: only a real change is announced
    if (before?.state !== state) this.announceChange(id);
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
    const key = `${id}/${team}`;
    this.lastTeamState.set(key, { state, error });
    if (state === 'destroyed') this.hostsUp.delete(key);
    this.announceTeam(id, team);
    if (state === 'destroyed') this.lastTeamState.delete(key);
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
