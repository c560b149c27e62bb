import { CyropError } from '../errors.ts';
import { DEFAULT_TIME_ZONE, startOfDay } from '../time-zone.ts';
import type { Db } from '../store/database.ts';
import type { ExerciseState } from '../store/schema.ts';
export type { UsageFigures, RunUsage, OrgUsage } from '../../../contract/business.ts';
import type { UsageFigures, RunUsage, OrgUsage } from '../../../contract/business.ts';

/**
 * How many sales a training company recorded for course runs in a period. The ledger's sales table
 * (billing) implements it; `InMemorySalesLookup` serves tests and platforms without billing.
 */
export interface SalesLookup {
  /**
   * For each run id: how many sales name that course run (`course_run_id`) with a sale date in
   * [from, to). Runs without sales may be absent from the map or map to 0.
   */
  salesCountForRuns(runIds: readonly string[], from: number, to: number): Promise<Map<string, number>>;
}

/** A SalesLookup over a list held in memory (tests; a platform without billing passes an empty one). */
export class InMemorySalesLookup implements SalesLookup {
  constructor(private readonly sales: readonly { runId: string; at: number }[] = []) {}

  salesCountForRuns(runIds: readonly string[], from: number, to: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const sale of this.sales)
      if (runIds.includes(sale.runId) && sale.at >= from && sale.at < to)
        counts.set(sale.runId, (counts.get(sale.runId) ?? 0) + 1);
    return Promise.resolve(counts);
  }
}

interface ExerciseRow {
  id: string;
  org_id: string | null;
  state: ExerciseState;
  created_at: number;
  updated_at: number;
}

/** The time an exercise's environments were wanted: [created, ended) — see the README for the rule. */
export function exerciseInterval(
  e: Pick<ExerciseRow, 'state' | 'created_at' | 'updated_at'>,
  now: number,
): [number, number] | undefined {
  if (e.state === 'created') return undefined; // never launched: no environment was ever made
  const end = e.state === 'ended' ? e.updated_at : Math.max(now, e.created_at);
  return [e.created_at, end];
}

/** The length of the overlap of [a0, a1) with [b0, b1), in ms (0 when they do not overlap). */
export function overlapMs(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

function figures(exercises: number, teamMs: number, traineeMs: number, trainees: number): UsageFigures {
  const teamMinutes = Math.floor(teamMs / 60_000);
  const traineeMinutes = Math.floor(traineeMs / 60_000);
  return {
    exercises,
    teamMinutes,
    teamHours: Math.round((teamMinutes / 60) * 100) / 100,
    traineeMinutes,
    traineeHours: Math.round((traineeMinutes / 60) * 100) / 100,
    distinctTrainees: trainees,
  };
}

/**
 * Metering: what an organisation used in a period [from, to), computed from the store (exercises,
 * their teams and members, course runs and enrolments), and the course runs with paying-customer
 * usage but no sale recorded in the period. Read only; the clock bounds live exercises.
 */
export class UsageMeter {
  private readonly clock: () => number;

  constructor(private readonly options: { db: Db; sales: SalesLookup; clock?: () => number }) {
    this.clock = options.clock ?? Date.now;
  }

  async usage(orgId: string, from: number, to: number): Promise<OrgUsage> {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to <= from)
      throw new CyropError('BAD_REQUEST', 'to: the period must end after it starts', {
        details: [{ pointer: '/to', message: 'must be after from' }],
      });
    const db = this.options.db;
    const org = await db.selectFrom('organisations').select('id').where('id', '=', orgId).executeTakeFirst();
    if (!org) throw new CyropError('NOT_FOUND', `no organisation '${orgId}'`);
    const now = this.clock();

    // The runs of the organisation, as the course's company or as the customer.
    const runRows = await db
      .selectFrom('course_runs')
      .innerJoin('courses', 'courses.id', 'course_runs.course_id')
      .innerJoin('organisations as customer', 'customer.id', 'course_runs.customer_org_id')
      .select([
        'course_runs.id as id',
        'course_runs.course_id as courseId',
        'courses.org_id as companyOrgId',
        'course_runs.customer_org_id as customerOrgId',
        'customer.kind as customerKind',
        'course_runs.starts_at as startsAt',
        'course_runs.ends_at as endsAt',
      ])
      .where((eb) => eb.or([eb('courses.org_id', '=', orgId), eb('course_runs.customer_org_id', '=', orgId)]))
      .execute();
    const runIds = runRows.map((r) => r.id);
    const links =
      runIds.length === 0
        ? []
        : await db
            .selectFrom('course_run_exercises')
            .select(['exercise_id', 'run_id'])
            .where('run_id', 'in', runIds)
            .execute();
    const runOf = new Map(links.map((l) => [l.exercise_id, l.run_id]));

    // The exercises: the organisation's own, and those of the runs it is the customer of.
    const exerciseRows: ExerciseRow[] = await db
      .selectFrom('exercises')
      .select(['id', 'org_id', 'state', 'created_at', 'updated_at'])
      .where((eb) =>
        links.length === 0
          ? eb('org_id', '=', orgId)
          : eb.or([
              eb('org_id', '=', orgId),
              eb(
                'id',
                'in',
                links.map((l) => l.exercise_id),
              ),
            ]),
      )
      .where('created_at', '<', to)
      .execute();
    const live = exerciseRows
      .map((e) => ({ e, interval: exerciseInterval(e, now) }))
      .filter((x): x is { e: ExerciseRow; interval: [number, number] } => x.interval !== undefined)
      .filter((x) => overlapMs(x.interval[0], x.interval[1], from, to) > 0);
    const ids = live.map((x) => x.e.id);
    const teams =
      ids.length === 0
        ? []
        : await db
            .selectFrom('exercise_teams')
            .select(['exercise_id', 'team_id'])
            .where('exercise_id', 'in', ids)
            .execute();
    const members =
      ids.length === 0
        ? []
        : await db
            .selectFrom('exercise_members')
            .select(['id', 'exercise_id', 'user_id', 'email', 'created_at'])
            .where('exercise_id', 'in', ids)
            .execute();

    type Acc = { exercises: Set<string>; teamMs: number; traineeMs: number; trainees: Set<string> };
    const empty = (): Acc => ({ exercises: new Set(), teamMs: 0, traineeMs: 0, trainees: new Set() });
    const total = empty();
    const perRun = new Map<string, Acc>();
    for (const { e, interval } of live) {
      const accs = [total];
      const run = runOf.get(e.id);
      if (run !== undefined) {
        if (!perRun.has(run)) perRun.set(run, empty());
        accs.push(perRun.get(run) as Acc);
      }
      const [start, end] = interval;
      const teamMs = overlapMs(start, end, from, to) * teams.filter((t) => t.exercise_id === e.id).length;
      let traineeMs = 0;
      const who: string[] = [];
      for (const m of members.filter((x) => x.exercise_id === e.id)) {
        const ms = overlapMs(Math.max(start, m.created_at), end, from, to);
        if (ms <= 0) continue;
        traineeMs += ms;
        who.push(
          m.user_id !== null
            ? `user:${m.user_id}`
            : m.email !== null
              ? `email:${m.email.toLowerCase()}`
              : `member:${m.id}`,
        );
      }
      for (const acc of accs) {
        acc.exercises.add(e.id);
        acc.teamMs += teamMs;
        acc.traineeMs += traineeMs;
        for (const w of who) acc.trainees.add(w);
      }
    }

    const activeRuns = runRows.filter(
      (r) => overlapMs(r.startsAt, r.endsAt, from, to) > 0 || perRun.has(r.id),
    );
    const sales = await this.options.sales.salesCountForRuns(
      activeRuns.map((r) => r.id),
      from,
      to,
    );
    const runs: RunUsage[] = activeRuns.map((r) => {
      const acc = perRun.get(r.id) ?? empty();
      const f = figures(acc.exercises.size, acc.teamMs, acc.traineeMs, acc.trainees.size);
      const count = sales.get(r.id) ?? 0;
      // Paying customer: the run is for another organisation that is a customer (a company running its
      // own course for itself, or for the operator, sells nothing).
      const paying = r.customerKind === 'customer' && r.customerOrgId !== r.companyOrgId;
      return {
        runId: r.id,
        courseId: r.courseId,
        companyOrgId: r.companyOrgId,
        customerOrgId: r.customerOrgId,
        customerKind: r.customerKind,
        ...f,
        sales: count,
        flagged: paying && acc.traineeMs > 0 && count === 0,
      };
    });
    return {
      orgId,
      from,
      to,
      courseRuns: activeRuns.length,
      ...figures(total.exercises.size, total.teamMs, total.traineeMs, total.trainees.size),
      runs,
      flagged: runs.filter((r) => r.flagged).map((r) => r.runId),
    };
  }
}

/**
 * A period bound: `YYYY-MM-DD` is that day's midnight in the platform's time zone (`CYROP_TIME_ZONE`,
 * the billing calendar; Asia/Tokyo unless configured), an ISO date-time with a zone is taken as
 * written. `field` names the argument in the error.
 */
export function parsePeriodBound(field: string, text: string, timeZone = DEFAULT_TIME_ZONE): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const midnight = startOfDay(text, timeZone);
    if (!Number.isNaN(midnight)) return midnight;
  } else if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text)))
    return Date.parse(text);
  throw new CyropError(
    'BAD_REQUEST',
    `${field}: '${text}' is not a date (YYYY-MM-DD, or an ISO date-time with a zone)`,
    {
      details: [{ pointer: `/${field}`, message: 'must be YYYY-MM-DD or an ISO date-time with a zone' }],
    },
  );
}
