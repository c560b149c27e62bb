import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import { formatSize } from '../compiler/durations.ts';
import { CyropError } from '../errors.ts';
import type { Db } from '../store/database.ts';
import type { ExerciseState, OrgQuotasTable } from '../store/schema.ts';

/** What one organisation's live exercises may hold at once, and how long an exercise may live. */
export interface QuotaLimits {
  /** Live exercises (created, launching, running or tearing down). */
  exercises: number;
  /** Teams over the live exercises. */
  teams: number;
  /** Hosts over the live exercises (teams × hosts). */
  hosts: number;
  /** CPUs the hosts of the live exercises may reserve together (sum of `resources.cpu`). */
  cpu: number;
  memoryBytes: number;
  diskBytes: number;
  /** The lifetime of an exercise launched without one. */
  defaultTtlMs: number;
  /** The longest an exercise may live from its creation, extensions included. */
  maxTtlMs: number;
}

/** An organisation's row: a null limit is the platform default. */
export type QuotaOverrides = { [K in keyof QuotaLimits]: number | null };

/** What counts against the quotas (the same units as the limits, without the lifetimes). */
export type QuotaUsage = Pick<
  QuotaLimits,
  'exercises' | 'teams' | 'hosts' | 'cpu' | 'memoryBytes' | 'diskBytes'
>;

const COUNTED: (keyof QuotaUsage)[] = ['exercises', 'teams', 'hosts', 'cpu', 'memoryBytes', 'diskBytes'];

const LABELS: Record<keyof QuotaLimits, string> = {
  exercises: 'live exercises',
  teams: 'teams',
  hosts: 'hosts',
  cpu: 'CPUs',
  memoryBytes: 'memory',
  diskBytes: 'disk',
  defaultTtlMs: 'default lifetime',
  maxTtlMs: 'maximum lifetime',
};

const COLUMNS: Record<keyof QuotaLimits, keyof Omit<OrgQuotasTable, 'org_id' | 'updated_at'>> = {
  exercises: 'max_exercises',
  teams: 'max_teams',
  hosts: 'max_hosts',
  cpu: 'max_cpu',
  memoryBytes: 'max_memory_bytes',
  diskBytes: 'max_disk_bytes',
  defaultTtlMs: 'default_ttl_ms',
  maxTtlMs: 'max_ttl_ms',
};

/** The states whose environments exist or are about to: they count against the quotas. */
const LIVE: ExerciseState[] = ['created', 'launching', 'running', 'tearing-down'];

export const ZERO_USAGE: QuotaUsage = {
  exercises: 0,
  teams: 0,
  hosts: 0,
  cpu: 0,
  memoryBytes: 0,
  diskBytes: 0,
};

/** What team plans reserve: one exercise per distinct exercise id, their teams, hosts and host resources. */
export function usageOfPlans(plans: readonly EnvironmentPlan[]): QuotaUsage {
  const usage = { ...ZERO_USAGE, exercises: new Set(plans.map((p) => p.exercise.id)).size };
  for (const plan of plans) {
    usage.teams += 1;
    for (const host of plan.hosts) {
      usage.hosts += 1;
      usage.cpu += host.resources.cpu;
      usage.memoryBytes += host.resources.memoryBytes;
      usage.diskBytes += host.resources.diskBytes;
    }
  }
  return usage;
}

/** A figure as people read it: sizes in binary units, CPUs with at most two decimals. */
export function formatQuota(key: keyof QuotaLimits, value: number): string {
  if (key === 'memoryBytes' || key === 'diskBytes') return formatSize(value);
  if (key === 'defaultTtlMs' || key === 'maxTtlMs') return formatLifetime(value);
  return String(Math.round(value * 100) / 100);
}

/** Milliseconds as the duration syntax of the API (`7d`, `4h30m`, `90s`). */
export function formatLifetime(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  let rest = Math.max(0, Math.round(ms));
  let text = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  if (rest > 0 || text === '') text += `${rest}ms`;
  return text;
}

/**
 * Every quota that `adding` on top of `inUse` would exceed, as human sentences naming the quota,
 * its limit, what is in use and what was asked; empty when it fits.
 */
export function quotaProblems(limits: QuotaLimits, inUse: QuotaUsage, adding: Partial<QuotaUsage>): string[] {
  const problems: string[] = [];
  for (const key of COUNTED) {
    const asked = adding[key] ?? 0;
    if (asked <= 0) continue;
    // Fractional CPUs add up with rounding errors: compare in thousandths.
    const over =
      key === 'cpu'
        ? Math.round((inUse.cpu + asked) * 1000) > Math.round(limits.cpu * 1000)
        : inUse[key] + asked > limits[key];
    if (over)
      problems.push(
        `${LABELS[key]}: the limit is ${formatQuota(key, limits[key])}, ${formatQuota(key, inUse[key])} in use, this needs ${formatQuota(key, asked)} more`,
      );
  }
  return problems;
}

/** Throws QUOTA_EXCEEDED naming every quota the addition would exceed. */
export function mustFitQuota(
  orgLabel: string,
  limits: QuotaLimits,
  inUse: QuotaUsage,
  adding: Partial<QuotaUsage>,
): void {
  const problems = quotaProblems(limits, inUse, adding);
  if (problems.length === 0) return;
  throw new CyropError(
    'QUOTA_EXCEEDED',
    `${orgLabel} has reached its quota (${problems.join('; ')}); end an exercise or ask the operator for a higher quota`,
    { details: problems },
  );
}

/** The lifetime a new exercise gets: the one asked for, else the default; never past the maximum. */
export function lifetimeFor(limits: QuotaLimits, requestedMs: number | undefined): number {
  const ttl = requestedMs ?? Math.min(limits.defaultTtlMs, limits.maxTtlMs);
  if (ttl > limits.maxTtlMs)
    throw new CyropError(
      'QUOTA_EXCEEDED',
      `ttl ${formatLifetime(ttl)} is longer than the maximum lifetime of an exercise, ${formatLifetime(limits.maxTtlMs)}`,
    );
  return ttl;
}

/**
 * The new expiry after extending by `byMs`: from the later of now and the current expiry, and no
 * later than `createdAt` plus the maximum lifetime (extensions cannot make an exercise live forever).
 */
export function extendedExpiry(
  limits: QuotaLimits,
  exercise: { createdAt: number; expiresAt: number | null },
  byMs: number,
  now: number,
): number {
  const expiry = Math.max(exercise.expiresAt ?? now, now) + byMs;
  const latest = exercise.createdAt + limits.maxTtlMs;
  if (expiry > latest)
    throw new CyropError(
      'QUOTA_EXCEEDED',
      `an exercise lives at most ${formatLifetime(limits.maxTtlMs)} from its creation: it can be extended by at most ${formatLifetime(Math.max(0, latest - Math.max(exercise.expiresAt ?? now, now)))} more`,
    );
  return expiry;
}

/**
 * The quotas of organisations (table `org_quotas`, one row per organisation the operator set; null
 * columns and missing rows: the platform defaults from configuration) and their live usage.
 * Exercises without an organisation (launched from the CLI) share the platform defaults.
 */
export class QuotaBook {
  constructor(
    private readonly db: Db,
    readonly defaults: QuotaLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The organisation's row as set (nulls: the defaults). */
  async overrides(orgId: string | null, db: Db = this.db): Promise<QuotaOverrides> {
    const row =
      orgId === null
        ? undefined
        : await db.selectFrom('org_quotas').selectAll().where('org_id', '=', orgId).executeTakeFirst();
    const out = {} as QuotaOverrides;
    for (const key of Object.keys(COLUMNS) as (keyof QuotaLimits)[]) out[key] = row?.[COLUMNS[key]] ?? null;
    return out;
  }

  /** The limits in force for an organisation. */
  async limitsFor(orgId: string | null, db: Db = this.db): Promise<QuotaLimits> {
    const overrides = await this.overrides(orgId, db);
    const limits = { ...this.defaults };
    for (const key of Object.keys(COLUMNS) as (keyof QuotaLimits)[]) {
      const value = overrides[key];
      if (value !== null) limits[key] = value;
    }
    return limits;
  }

  /** Set (replace) an organisation's row; a null or absent limit returns to the platform default. */
  async set(orgId: string, overrides: Partial<QuotaOverrides>): Promise<void> {
    const values = { org_id: orgId, updated_at: this.clock() } as OrgQuotasTable;
    for (const key of Object.keys(COLUMNS) as (keyof QuotaLimits)[])
      (values as unknown as Record<string, number | null>)[COLUMNS[key]] = overrides[key] ?? null;
    await this.db
      .insertInto('org_quotas')
      .values(values)
      .onConflict((oc) => oc.column('org_id').doUpdateSet(values))
      .execute();
  }

  /** What the organisation's live exercises reserve now (pass the transaction to check and insert atomically). */
  async usage(orgId: string | null, db: Db = this.db): Promise<QuotaUsage> {
    let query = db
      .selectFrom('exercise_teams')
      .innerJoin('exercises', 'exercises.id', 'exercise_teams.exercise_id')
      .select(['exercise_teams.plan'])
      .where('exercises.state', 'in', LIVE)
      .where('exercise_teams.state', '!=', 'destroyed');
    query =
      orgId === null
        ? query.where('exercises.org_id', 'is', null)
        : query.where('exercises.org_id', '=', orgId);
    const rows = await query.execute();
    const usage = usageOfPlans(rows.map((r) => JSON.parse(r.plan) as EnvironmentPlan));
    // An exercise whose teams are all gone still counts until it has ended.
    let exercises = db.selectFrom('exercises').select((eb) => eb.fn.countAll<number>().as('n'));
    exercises = exercises.where('state', 'in', LIVE);
    exercises =
      orgId === null ? exercises.where('org_id', 'is', null) : exercises.where('org_id', '=', orgId);
    usage.exercises = (await exercises.executeTakeFirstOrThrow()).n;
    return usage;
  }
}
