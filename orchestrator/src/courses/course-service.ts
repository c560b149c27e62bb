import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { mayManageCourse, mayReadRun } from '../access/course-access.ts';
import type { Principal } from '../access/principal.ts';
import { CyropError } from '../errors.ts';
import type { CreateExercise, ExerciseActor, ExerciseSummary } from '../exercises/exercise-service.ts';
import type { Db } from '../store/database.ts';
import type { CourseRunsTable, CoursesTable } from '../store/schema.ts';
export type { ScenarioPin, CourseSchedule, Course, CourseRun } from '../../../contract/business.ts';
import type { ScenarioPin, CourseSchedule, Course, CourseRun } from '../../../contract/business.ts';

/** Text in both languages of the console. */
export type Bilingual = Record<'ja' | 'en', string>;

export interface CourseInput {
  title: Bilingual;
  description?: Bilingual;
  scenarios: ScenarioPin[];
  /** Integer yen per seat, tax excluded. */
  pricePerSeat: number;
  capacity: number;
  schedule: { days: number; hoursPerDay: number; note?: Bilingual };
}

export interface RunInput {
  customerOrgId: string;
  /** Epoch ms. */
  startsAt: number;
  endsAt: number;
  /** Trainees per team when its exercises are launched (default 1: everyone plays alone). */
  teamSize?: number;
}

export interface Enrolment {
  userId: string;
  name: string;
  email: string;
  enrolledAt: number;
}

export interface RunExercise {
  position: number;
  exerciseId: string;
  scenario: ScenarioPin;
  state: string;
  createdAt: number;
}

/** A trainee's course and how far they got: objectives solved by their team, per scenario. */
export interface MyCourse {
  runId: string;
  courseId: string;
  title: Bilingual;
  startsAt: number;
  endsAt: number;
  scenarios: {
    position: number;
    scenario: ScenarioPin;
    /** The latest exercise the run launched for this scenario; null before launch. */
    exerciseId: string | null;
    state: string | null;
    teamId: string | null;
    solved: number;
    objectives: number;
  }[];
  solved: number;
  objectives: number;
}

/** Where the scenarios of a course come from: a version the company may use, and the file to plan it from. */
export interface CourseScenarioSource {
  /** The file of `id@version` when the organisation may use it and it is not archived; else what is wrong. */
  resolve(orgId: string, id: string, version: string): { file: string } | { problem: string };
}

export type CourseAudit = (
  actor: Principal,
  action: string,
  target: string,
  details: Record<string, unknown>,
  context: { orgId: string | null; ip?: string | undefined },
) => Promise<void>;

export interface CourseServiceOptions {
  db: Db;
  scenarios: CourseScenarioSource;
  /** The exercise service's `create` and `launch` (absent: no engine here, runs cannot launch). */
  exercises?: {
    create(request: CreateExercise): Promise<ExerciseSummary>;
    launch(id: string): Promise<ExerciseSummary>;
  };
  audit: CourseAudit;
  clock?: () => number;
  /** Told when a launch started in the background fails (the exercise is kept; reconcile retries it). */
  onLaunchError?: (exerciseId: string, error: unknown) => void;
}

export interface By {
  actor: Principal;
  ip?: string | undefined;
}

type Problem = { pointer: string; message: string };

const MAX_SCENARIOS = 50;
const MAX_PRICE = 100_000_000;
const MAX_CAPACITY = 10_000;

/**
 * Courses of training companies (ordered scenarios pinned to versions the company may use, price per
 * seat in integer yen, capacity, schedule), their runs for customer organisations, enrolment of the
 * customer's trainees (capacity enforced in the enrolling transaction and by the database), launching
 * a run's exercises through the exercise service, and a trainee's "my courses" with progress.
 * Every change is audited here, so the API and the CLI are audited alike.
 */
export class CourseService {
  private readonly db: Db;
  private readonly clock: () => number;

  constructor(private readonly options: CourseServiceOptions) {
    this.db = options.db;
    this.clock = options.clock ?? Date.now;
  }

  // ── courses ──────────────────────────────────────────────────────────────────────────────────

  /** A new course of `orgId` (a training company; the caller's own organisation unless operator). */
  async createCourse(by: By, orgId: string, input: CourseInput): Promise<Course> {
    const org = await this.db
      .selectFrom('organisations')
      .select(['id', 'kind'])
      .where('id', '=', orgId)
      .executeTakeFirst();
    if (!org || !mayManageCourse(by.actor, { orgId }))
      throw new CyropError('NOT_FOUND', `no organisation '${orgId}'`);
    if (org.kind !== 'training-company')
      throw fieldErrors([
        { pointer: '/orgId', message: `'${orgId}' is a ${org.kind}, not a training company` },
      ]);
    const clean = this.checkCourse(orgId, input, true) as Required<CheckedCourse>;
    const now = this.clock();
    const id = `course-${randomBytes(5).toString('hex')}`;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('courses')
        .values({
          id,
          org_id: orgId,
          title_ja: clean.title.ja,
          title_en: clean.title.en,
          description_ja: clean.description.ja,
          description_en: clean.description.en,
          price_per_seat: clean.pricePerSeat,
          capacity: clean.capacity,
          schedule: JSON.stringify(clean.schedule),
          created_by: actorName(by.actor),
          created_at: now,
          updated_at: now,
          archived_at: null,
        })
        .execute();
      if (clean.scenarios.length > 0)
        await trx
          .insertInto('course_scenarios')
          .values(
            clean.scenarios.map((s, i) => ({
              course_id: id,
              position: i + 1,
              scenario_id: s.id,
              scenario_version: s.version,
            })),
          )
          .execute();
    });
    await this.options.audit(by.actor, 'course.created', `course:${id}`, summaryOf(clean), {
      orgId,
      ip: by.ip,
    });
    return this.mustGetCourse(id);
  }

  /**
   * Change a course. Its price and capacity apply to runs made afterwards (a run keeps the ones it
   * was made with); its scenarios can change only while it has no run.
   */
  async updateCourse(
    by: By,
    id: string,
    input: Partial<CourseInput> & { archived?: boolean },
  ): Promise<Course> {
    const course = await this.manageableCourse(by.actor, id);
    const clean = this.checkCourse(course.orgId, input, false);
    if (clean.scenarios !== undefined) {
      const runs = await this.db
        .selectFrom('course_runs')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('course_id', '=', id)
        .executeTakeFirstOrThrow();
      if (Number(runs.n) > 0)
        throw new CyropError(
          'CONFLICT',
          `scenarios: course '${id}' has ${runs.n} run(s), which were sold with its scenarios: make a new course instead`,
          { details: [{ pointer: '/scenarios', message: 'cannot change once the course has runs' }] },
        );
    }
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('courses')
        .set({
          ...(clean.title ? { title_ja: clean.title.ja, title_en: clean.title.en } : {}),
          ...(clean.description
            ? { description_ja: clean.description.ja, description_en: clean.description.en }
            : {}),
          ...(clean.pricePerSeat !== undefined ? { price_per_seat: clean.pricePerSeat } : {}),
          ...(clean.capacity !== undefined ? { capacity: clean.capacity } : {}),
          ...(clean.schedule ? { schedule: JSON.stringify(clean.schedule) } : {}),
          ...(input.archived !== undefined ? { archived_at: input.archived ? now : null } : {}),
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
      if (clean.scenarios !== undefined) {
        await trx.deleteFrom('course_scenarios').where('course_id', '=', id).execute();
        if (clean.scenarios.length > 0)
          await trx
            .insertInto('course_scenarios')
            .values(
              clean.scenarios.map((s, i) => ({
                course_id: id,
                position: i + 1,
                scenario_id: s.id,
                scenario_version: s.version,
              })),
            )
            .execute();
      }
    });
    await this.options.audit(
      by.actor,
      'course.updated',
      `course:${id}`,
      { ...summaryOf(clean), ...(input.archived !== undefined ? { archived: input.archived } : {}) },
      { orgId: course.orgId, ip: by.ip },
    );
    return this.mustGetCourse(id);
  }

  /** The courses the caller may manage (a company's own; the operator: all, or one organisation's). */
  async listCourses(principal: Principal | undefined, orgId?: string): Promise<Course[]> {
    if (principal?.kind !== 'user') return [];
    let query = this.db.selectFrom('courses').selectAll().orderBy('created_at');
    if (principal.role !== 'operator') query = query.where('org_id', '=', principal.orgId);
    if (orgId !== undefined) query = query.where('org_id', '=', orgId);
    const rows = (await query.execute()).filter((r) => mayManageCourse(principal, { orgId: r.org_id }));
    return Promise.all(rows.map((r) => this.toCourse(r)));
  }

  /** One course; NOT_FOUND unless the caller may manage it. */
  async getCourse(principal: Principal | undefined, id: string): Promise<Course> {
    return this.manageableCourse(principal, id);
  }

  // ── runs ─────────────────────────────────────────────────────────────────────────────────────

  async createRun(by: By, courseId: string, input: RunInput): Promise<CourseRun> {
    const course = await this.manageableCourse(by.actor, courseId);
    const problems: Problem[] = [];
    if (course.archived) problems.push({ pointer: '/courseId', message: `course '${courseId}' is archived` });
    const customer = await this.db
      .selectFrom('organisations')
      .select(['id', 'kind', 'disabled_at'])
      .where('id', '=', input.customerOrgId)
      .executeTakeFirst();
    if (!customer || customer.kind === 'operator')
      problems.push({
        pointer: '/customerOrgId',
        message: `no customer organisation '${input.customerOrgId}'`,
      });
    else if (customer.disabled_at !== null)
      problems.push({
        pointer: '/customerOrgId',
        message: `organisation '${input.customerOrgId}' is disabled`,
      });
    if (!Number.isSafeInteger(input.startsAt))
      problems.push({ pointer: '/startsAt', message: 'must be a date' });
    if (!Number.isSafeInteger(input.endsAt)) problems.push({ pointer: '/endsAt', message: 'must be a date' });
    else if (input.endsAt <= input.startsAt)
      problems.push({ pointer: '/endsAt', message: 'must be after startsAt' });
    const teamSize = input.teamSize ?? 1;
    if (!Number.isInteger(teamSize) || teamSize < 1 || teamSize > 100)
      problems.push({ pointer: '/teamSize', message: 'must be a whole number from 1 to 100' });
    if (problems.length > 0) throw fieldErrors(problems);
    const id = `run-${randomBytes(5).toString('hex')}`;
    const now = this.clock();
    await this.db
      .insertInto('course_runs')
      .values({
        id,
        course_id: courseId,
        customer_org_id: input.customerOrgId,
        starts_at: input.startsAt,
        ends_at: input.endsAt,
        capacity: course.capacity,
        price_per_seat: course.pricePerSeat,
        team_size: teamSize,
        created_by: actorName(by.actor),
        created_at: now,
        cancelled_at: null,
      })
      .execute();
    await this.options.audit(
      by.actor,
      'course-run.created',
      `course-run:${id}`,
      {
        course: courseId,
        customer: input.customerOrgId,
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        capacity: course.capacity,
        pricePerSeat: course.pricePerSeat,
      },
      { orgId: course.orgId, ip: by.ip },
    );
    return this.readableRun(by.actor, id);
  }

  /** Runs the caller may read: of one course, or all of them (a customer's org-admin: those for them). */
  async listRuns(principal: Principal | undefined, courseId?: string): Promise<CourseRun[]> {
    if (principal?.kind !== 'user') return [];
    if (courseId !== undefined) await this.manageableCourse(principal, courseId);
    let query = this.runQuery();
    if (courseId !== undefined) query = query.where('course_runs.course_id', '=', courseId);
    else if (principal.role !== 'operator')
      query = query.where((eb) =>
        eb.or([
          eb('courses.org_id', '=', principal.orgId),
          eb('course_runs.customer_org_id', '=', principal.orgId),
        ]),
      );
    const rows = await query.orderBy('course_runs.starts_at').execute();
    return rows
      .map(toRun)
      .filter((r) => mayReadRun(principal, { companyOrgId: r.companyOrgId, customerOrgId: r.customerOrgId }));
  }

  async getRun(principal: Principal | undefined, id: string): Promise<CourseRun> {
    return this.readableRun(principal, id);
  }

  /** Cancel a run: no more enrolments or launches (its exercises are not touched). */
  async cancelRun(by: By, id: string): Promise<CourseRun> {
    const run = await this.manageableRun(by.actor, id);
    if (!run.cancelled) {
      await this.db
        .updateTable('course_runs')
        .set({ cancelled_at: this.clock() })
        .where('id', '=', id)
        .execute();
      await this.options.audit(
        by.actor,
        'course-run.cancelled',
        `course-run:${id}`,
        {},
        {
          orgId: run.companyOrgId,
          ip: by.ip,
        },
      );
    }
    return this.readableRun(by.actor, id);
  }

  async enrolments(principal: Principal | undefined, runId: string): Promise<Enrolment[]> {
    await this.readableRun(principal, runId);
    return this.currentEnrolments(runId);
  }

  /**
   * Enrol trainees of the run's customer (by account id or e-mail, e.g. a roster's e-mail column), all
   * or nothing: every unknown account, account of another organisation, non-trainee or disabled
   * account is reported with its pointer (`/userIds/2`, `/emails/0`), and a run that would exceed its
   * capacity refuses the whole list. Someone enrolled already is skipped (`already`).
   */
  async enrol(
    by: By,
    runId: string,
    who: { userIds?: readonly string[]; emails?: readonly string[] },
  ): Promise<{ enrolled: string[]; already: string[]; enrolments: Enrolment[] }> {
    const run = await this.manageableRun(by.actor, runId);
    if (run.cancelled) throw new CyropError('CONFLICT', `course run '${runId}' is cancelled`);
    const problems: Problem[] = [];
    const wanted: string[] = [];
    const check = async (pointer: string, field: 'id' | 'email', value: string) => {
      const user = await this.db
        .selectFrom('users')
        .select(['id', 'org_id', 'role', 'disabled'])
        .where(field, '=', field === 'email' ? value.trim().toLowerCase() : value)
        .executeTakeFirst();
      // An account of another organisation is "no trainee of the customer", like an unknown one.
      if (!user || user.org_id !== run.customerOrgId)
        problems.push({ pointer, message: `no trainee '${value}' in the run's customer organisation` });
      else if (user.role !== 'trainee')
        problems.push({ pointer, message: `'${value}' is a ${user.role}, not a trainee` });
      else if (user.disabled) problems.push({ pointer, message: `'${value}' is disabled` });
      else if (!wanted.includes(user.id)) wanted.push(user.id);
    };
    for (const [i, id] of (who.userIds ?? []).entries()) await check(`/userIds/${i}`, 'id', id);
    for (const [i, email] of (who.emails ?? []).entries()) await check(`/emails/${i}`, 'email', email);
    if (wanted.length === 0 && problems.length === 0)
      problems.push({ pointer: '/userIds', message: 'name at least one trainee (userIds or emails)' });
    if (problems.length > 0) throw fieldErrors(problems, 'nobody was enrolled');
    const now = this.clock();
    const result = await this.db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('course_enrolments')
        .select('user_id')
        .where('run_id', '=', runId)
        .where('withdrawn_at', 'is', null)
        .execute();
      const have = new Set(current.map((r) => r.user_id));
      const fresh = wanted.filter((u) => !have.has(u));
      if (current.length + fresh.length > run.capacity)
        throw new CyropError(
          'CONFLICT',
          `course run '${runId}' holds ${run.capacity} trainees: ${current.length} enrolled, ${fresh.length} more would exceed it; nobody was enrolled`,
          { details: [{ pointer: '/userIds', message: `capacity ${run.capacity} exceeded` }] },
        );
      for (const userId of fresh)
        await trx
          .insertInto('course_enrolments')
          .values({
            run_id: runId,
            user_id: userId,
            enrolled_at: now,
            enrolled_by: actorName(by.actor),
            withdrawn_at: null,
          })
          .execute();
      return { enrolled: fresh, already: wanted.filter((u) => have.has(u)) };
    });
    if (result.enrolled.length > 0)
      await this.options.audit(
        by.actor,
        'course-run.enrolled',
        `course-run:${runId}`,
        { users: result.enrolled },
        { orgId: run.companyOrgId, ip: by.ip },
      );
    return { ...result, enrolments: await this.currentEnrolments(runId) };
  }

  /** Withdraw a trainee from a run (the seat frees up; exercises they were put on keep them). */
  async withdraw(by: By, runId: string, userId: string): Promise<Enrolment[]> {
    const run = await this.manageableRun(by.actor, runId);
    const done = await this.db
      .updateTable('course_enrolments')
      .set({ withdrawn_at: this.clock() })
      .where('run_id', '=', runId)
      .where('user_id', '=', userId)
      .where('withdrawn_at', 'is', null)
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0)
      throw new CyropError('NOT_FOUND', `'${userId}' is not enrolled in course run '${runId}'`);
    await this.options.audit(
      by.actor,
      'course-run.withdrawn',
      `course-run:${runId}`,
      { user: userId },
      {
        orgId: run.companyOrgId,
        ip: by.ip,
      },
    );
    return this.currentEnrolments(runId);
  }

  /** The exercises a run launched, by position in the course (several when a scenario was launched again). */
  async runExercises(principal: Principal | undefined, runId: string): Promise<RunExercise[]> {
    await this.readableRun(principal, runId);
    const rows = await this.db
      .selectFrom('course_run_exercises')
      .innerJoin('exercises', 'exercises.id', 'course_run_exercises.exercise_id')
      .select([
        'course_run_exercises.position as position',
        'course_run_exercises.exercise_id as exerciseId',
        'exercises.scenario_id as scenarioId',
        'exercises.scenario_version as version',
        'exercises.state as state',
        'exercises.created_at as createdAt',
      ])
      .where('course_run_exercises.run_id', '=', runId)
      .orderBy('course_run_exercises.position')
      .orderBy('exercises.created_at')
      .execute();
    return rows.map((r) => ({
      position: r.position,
      exerciseId: r.exerciseId,
      scenario: { id: r.scenarioId, version: r.version },
      state: r.state,
      createdAt: r.createdAt,
    }));
  }

  /**
   * Launch the exercise of one scenario of the run (`position`, 1-based), or of every scenario that has
   * no live exercise yet: the enrolled trainees, in enrolment order, are put in teams of the run's
   * team size (a one-person team is named after its trainee) and become the team's members, so they
   * enter from "my exercises" without a code. The exercise belongs to the course's company. The link
   * is written before the exercise, so a crash in between leaves a link to nothing, never an
   * exercise of the run that the run does not know.
   */
  async launch(
    by: By,
    runId: string,
    options: { position?: number; ttlMs?: number } = {},
  ): Promise<RunExercise[]> {
    const exercises = this.options.exercises;
    if (!exercises)
      throw new CyropError('ENGINE_UNAVAILABLE', 'this platform runs no engine: runs cannot launch');
    const run = await this.manageableRun(by.actor, runId);
    if (run.cancelled) throw new CyropError('CONFLICT', `course run '${runId}' is cancelled`);
    const course = await this.mustGetCourse(run.courseId);
    if (
      options.position !== undefined &&
      (options.position < 1 || options.position > course.scenarios.length)
    )
      throw fieldErrors([
        { pointer: '/position', message: `the course has scenarios 1 to ${course.scenarios.length}` },
      ]);
    const trainees = await this.currentEnrolments(runId);
    if (trainees.length === 0)
      throw new CyropError('CONFLICT', `course run '${runId}' has nobody enrolled: enrol trainees first`);
    const live = new Set(
      (await this.runExercises(by.actor, runId))
        .filter((e) => e.state !== 'ended' && e.state !== 'tearing-down')
        .map((e) => e.position),
    );
    const positions =
      options.position !== undefined
        ? [options.position]
        : course.scenarios.map((_, i) => i + 1).filter((p) => !live.has(p));
    if (positions.length === 0)
      throw new CyropError('CONFLICT', `every scenario of course run '${runId}' is running already`);
    // Every scenario is checked before anything is created.
    const files = positions.map((position) => {
      const pin = course.scenarios[position - 1] as ScenarioPin;
      const found = this.options.scenarios.resolve(course.orgId, pin.id, pin.version);
      if ('problem' in found)
        throw new CyropError(
          'CONFLICT',
          `scenario ${position} (${pin.id}@${pin.version}) cannot be launched: ${found.problem}`,
        );
      return { position, pin, file: found.file };
    });
    const teams: { id: string; name: string; members: Enrolment[] }[] = [];
    for (let i = 0; i < trainees.length; i += run.teamSize) {
      const members = trainees.slice(i, i + run.teamSize);
      const index = teams.length + 1;
      const name = run.teamSize === 1 ? (members[0] as Enrolment).name : `Team ${index}`;
      teams.push({ id: `team-${index}`, name: uniqueName(name, teams), members });
    }
    const actor: ExerciseActor = { actor: by.actor, ip: by.ip };
    const launched: string[] = [];
    for (const { position, pin, file } of files) {
      const id = `${pin.id.slice(0, 20).replace(/-+$/, '')}-${randomBytes(3).toString('hex')}`;
      const now = this.clock();
      await this.db
        .insertInto('course_run_exercises')
        .values({ exercise_id: id, run_id: runId, position, created_at: now })
        .execute();
      let created: ExerciseSummary;
      try {
        created = await exercises.create({
          id,
          scenarioPath: file,
          teams: teams.map((t) => ({ id: t.id, name: t.name })),
          maxMembersPerTeam: run.teamSize,
          orgId: course.orgId,
          launching: true,
          ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}),
          by: actor,
        });
      } catch (error) {
        await this.db.deleteFrom('course_run_exercises').where('exercise_id', '=', id).execute();
        throw error;
      }
      await this.db.transaction().execute(async (trx) => {
        for (const team of teams)
          for (const m of team.members)
            await trx
              .insertInto('exercise_members')
              .values({
                id: randomBytes(16).toString('hex'),
                exercise_id: created.id,
                team_id: team.id,
                display_name: m.name,
                email: m.email,
                user_id: m.userId,
                source: 'roster',
                created_at: now,
              })
              .execute();
      });
      await this.options.audit(
        by.actor,
        'course-run.launched',
        `course-run:${runId}`,
        { exercise: created.id, position, scenario: `${pin.id}@${pin.version}`, teams: teams.length },
        { orgId: course.orgId, ip: by.ip },
      );
      launched.push(created.id);
      exercises.launch(created.id).catch((error: unknown) => this.options.onLaunchError?.(created.id, error));
    }
    return (await this.runExercises(by.actor, runId)).filter((e) => launched.includes(e.exerciseId));
  }

  /** A trainee's current enrolments with progress: objectives their team solved, per scenario of the course. */
  async myCourses(principal: Principal | undefined): Promise<MyCourse[]> {
    if (principal?.kind !== 'user') throw new CyropError('UNAUTHENTICATED', 'sign in first');
    const runs = await this.runQuery()
      .innerJoin('course_enrolments', 'course_enrolments.run_id', 'course_runs.id')
      .where('course_enrolments.user_id', '=', principal.userId)
      .where('course_enrolments.withdrawn_at', 'is', null)
      .where('course_runs.cancelled_at', 'is', null)
      .orderBy('course_runs.starts_at')
      .execute();
    const out: MyCourse[] = [];
    for (const row of runs) {
      const course = await this.mustGetCourse(row.course_id);
      const links = await this.db
        .selectFrom('course_run_exercises')
        .innerJoin('exercises', 'exercises.id', 'course_run_exercises.exercise_id')
        .select(['course_run_exercises.position', 'exercises.id', 'exercises.state'])
        .where('course_run_exercises.run_id', '=', row.id)
        .orderBy('exercises.created_at', 'desc')
        .execute();
      const scenarios: MyCourse['scenarios'] = [];
      for (const [i, pin] of course.scenarios.entries()) {
        const link = links.find((l) => l.position === i + 1);
        let teamId: string | null = null;
        let solved = 0;
        let objectives = 0;
        if (link) {
          const member = await this.db
            .selectFrom('exercise_members')
            .select('team_id')
            .where('exercise_id', '=', link.id)
            .where('user_id', '=', principal.userId)
            .executeTakeFirst();
          teamId = member?.team_id ?? null;
          if (teamId !== null) {
            const team = await this.db
              .selectFrom('exercise_teams')
              .select('plan')
              .where('exercise_id', '=', link.id)
              .where('team_id', '=', teamId)
              .executeTakeFirst();
            objectives = team ? objectiveCount(team.plan) : 0;
            const solves = await this.db
              .selectFrom('solves')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('exercise_id', '=', link.id)
              .where('team_id', '=', teamId)
              .executeTakeFirstOrThrow();
            solved = Number(solves.n);
          }
        }
        scenarios.push({
          position: i + 1,
          scenario: pin,
          exerciseId: link?.id ?? null,
          state: link?.state ?? null,
          teamId,
          solved,
          objectives,
        });
      }
      out.push({
        runId: row.id,
        courseId: course.id,
        title: course.title,
        startsAt: row.starts_at,
        endsAt: row.ends_at,
        scenarios,
        solved: scenarios.reduce((a, s) => a + s.solved, 0),
        objectives: scenarios.reduce((a, s) => a + s.objectives, 0),
      });
    }
    return out;
  }

  // ── helpers ──────────────────────────────────────────────────────────────────────────────────

  private runQuery() {
    return this.db
      .selectFrom('course_runs')
      .innerJoin('courses', 'courses.id', 'course_runs.course_id')
      .selectAll('course_runs')
      .select('courses.org_id as company_org_id')
      .select((eb) =>
        eb
          .selectFrom('course_enrolments')
          .select((e) => e.fn.countAll().as('n'))
          .whereRef('course_enrolments.run_id', '=', 'course_runs.id')
          .where('course_enrolments.withdrawn_at', 'is', null)
          .as('enrolled'),
      );
  }

  private async readableRun(principal: Principal | undefined, id: string): Promise<CourseRun> {
    const row = await this.runQuery().where('course_runs.id', '=', id).executeTakeFirst();
    const run = row && toRun(row);
    if (!run || !mayReadRun(principal, { companyOrgId: run.companyOrgId, customerOrgId: run.customerOrgId }))
      throw new CyropError('NOT_FOUND', `no course run '${id}'`);
    return run;
  }

  private async manageableRun(principal: Principal | undefined, id: string): Promise<CourseRun> {
    const run = await this.readableRun(principal, id).catch(() => undefined);
    // A customer's org-admin reads but does not manage: the same 404 as a stranger would get.
    if (!run || !mayManageCourse(principal, { orgId: run.companyOrgId }))
      throw new CyropError('NOT_FOUND', `no course run '${id}'`);
    return run;
  }

  private async manageableCourse(principal: Principal | undefined, id: string): Promise<Course> {
    const row = await this.db.selectFrom('courses').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !mayManageCourse(principal, { orgId: row.org_id }))
      throw new CyropError('NOT_FOUND', `no course '${id}'`);
    return this.toCourse(row);
  }

  private async mustGetCourse(id: string): Promise<Course> {
    const row = await this.db.selectFrom('courses').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new CyropError('NOT_FOUND', `no course '${id}'`);
    return this.toCourse(row);
  }

  private async toCourse(row: CoursesTable): Promise<Course> {
    const scenarios = await this.db
      .selectFrom('course_scenarios')
      .select(['scenario_id', 'scenario_version'])
      .where('course_id', '=', row.id)
      .orderBy('position')
      .execute();
    return {
      id: row.id,
      orgId: row.org_id,
      title: { ja: row.title_ja, en: row.title_en },
      description: { ja: row.description_ja, en: row.description_en },
      scenarios: scenarios.map((s) => ({ id: s.scenario_id, version: s.scenario_version })),
      pricePerSeat: row.price_per_seat,
      capacity: row.capacity,
      schedule: JSON.parse(row.schedule) as CourseSchedule,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      archived: row.archived_at !== null,
    };
  }

  private async currentEnrolments(runId: string): Promise<Enrolment[]> {
    return this.db
      .selectFrom('course_enrolments')
      .innerJoin('users', 'users.id', 'course_enrolments.user_id')
      .select([
        'users.id as userId',
        'users.name as name',
        'users.email as email',
        'course_enrolments.enrolled_at as enrolledAt',
      ])
      .where('course_enrolments.run_id', '=', runId)
      .where('course_enrolments.withdrawn_at', 'is', null)
      .orderBy('course_enrolments.enrolled_at')
      .orderBy(sql`course_enrolments.rowid`)
      .execute();
  }

  /** Every field checked; every problem listed with its pointer. `full`: a new course (all fields required). */
  private checkCourse(orgId: string, input: Partial<CourseInput>, full: boolean): CheckedCourse {
    const problems: Problem[] = [];
    const out: CheckedCourse = {};
    const text = (pointer: string, value: unknown, min: number, max: number): string | undefined => {
      if (typeof value !== 'string') {
        problems.push({ pointer, message: 'is required' });
        return undefined;
      }
      const clean = value.trim();
      const controls = /[\p{Cc}]/u.test(clean.replace(/\r?\n/g, ' '));
      if (clean.length < min || clean.length > max || controls) {
        problems.push({ pointer, message: `must be ${min}–${max} printable characters` });
        return undefined;
      }
      return clean;
    };
    const bilingual = (field: string, value: Bilingual | undefined, min: number, max: number) => {
      if (value === undefined) {
        if (full && min > 0) problems.push({ pointer: `/${field}`, message: 'is required (ja and en)' });
        return full ? { ja: '', en: '' } : undefined;
      }
      const ja = text(`/${field}/ja`, value.ja, min, max);
      const en = text(`/${field}/en`, value.en, min, max);
      return ja !== undefined && en !== undefined ? { ja, en } : undefined;
    };
    const title = bilingual('title', input.title, 1, 200);
    if (title) out.title = title;
    const description = bilingual('description', input.description, 0, 10_000);
    if (description) out.description = description;
    const integer = (field: string, value: unknown, min: number, max: number): number | undefined => {
      if (value === undefined) {
        if (full) problems.push({ pointer: `/${field}`, message: 'is required' });
        return undefined;
      }
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
        problems.push({ pointer: `/${field}`, message: `must be a whole number from ${min} to ${max}` });
        return undefined;
      }
      return value;
    };
    const price = integer('pricePerSeat', input.pricePerSeat, 0, MAX_PRICE);
    if (price !== undefined) out.pricePerSeat = price;
    const capacity = integer('capacity', input.capacity, 1, MAX_CAPACITY);
    if (capacity !== undefined) out.capacity = capacity;
    if (input.schedule !== undefined) {
      const days = integer('schedule/days', input.schedule.days, 1, 365);
      const hours = integer('schedule/hoursPerDay', input.schedule.hoursPerDay, 1, 24);
      const note =
        input.schedule.note === undefined
          ? { ja: '', en: '' }
          : bilingual('schedule/note', input.schedule.note, 0, 1000);
      if (days !== undefined && hours !== undefined && note)
        out.schedule = { days, hoursPerDay: hours, note };
    } else if (full) problems.push({ pointer: '/schedule', message: 'is required (days, hoursPerDay)' });
    if (input.scenarios !== undefined) {
      if (!Array.isArray(input.scenarios) || input.scenarios.length > MAX_SCENARIOS)
        problems.push({
          pointer: '/scenarios',
          message: `must be a list of at most ${MAX_SCENARIOS} scenarios`,
        });
      else {
        const pins: ScenarioPin[] = [];
        for (const [i, given] of input.scenarios.entries()) {
          // the CLI and other callers may pass anything: checked field by field
          const pin = (given as Partial<ScenarioPin> | null) ?? {};
          if (typeof pin.id !== 'string' || pin.id === '') {
            problems.push({ pointer: `/scenarios/${i}/id`, message: 'is required' });
            continue;
          }
          if (typeof pin.version !== 'string' || pin.version === '') {
            problems.push({
              pointer: `/scenarios/${i}/version`,
              message: 'is required: a course pins each scenario to one version',
            });
            continue;
          }
          const found = this.options.scenarios.resolve(orgId, pin.id, pin.version);
          if ('problem' in found)
            problems.push({ pointer: `/scenarios/${i}/version`, message: found.problem });
          else pins.push({ id: pin.id, version: pin.version });
        }
        out.scenarios = pins;
      }
    } else if (full) problems.push({ pointer: '/scenarios', message: 'is required (at least one scenario)' });
    if (full && input.scenarios?.length === 0)
      problems.push({ pointer: '/scenarios', message: 'needs at least one scenario' });
    if (problems.length > 0) throw fieldErrors(problems);
    return out;
  }
}

interface CheckedCourse {
  title?: Bilingual;
  description?: Bilingual;
  scenarios?: ScenarioPin[];
  pricePerSeat?: number;
  capacity?: number;
  schedule?: CourseSchedule;
}

function summaryOf(c: CheckedCourse): Record<string, unknown> {
  return {
    ...(c.title ? { title: c.title.en } : {}),
    ...(c.scenarios ? { scenarios: c.scenarios.map((s) => `${s.id}@${s.version}`) } : {}),
    ...(c.pricePerSeat !== undefined ? { pricePerSeat: c.pricePerSeat } : {}),
    ...(c.capacity !== undefined ? { capacity: c.capacity } : {}),
  };
}

function toRun(
  row: CourseRunsTable & { company_org_id: string; enrolled: string | number | bigint | null },
): CourseRun {
  return {
    id: row.id,
    courseId: row.course_id,
    companyOrgId: row.company_org_id,
    customerOrgId: row.customer_org_id,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    capacity: row.capacity,
    pricePerSeat: row.price_per_seat,
    teamSize: row.team_size,
    cancelled: row.cancelled_at !== null,
    createdAt: row.created_at,
    enrolled: Number(row.enrolled ?? 0),
  };
}

/** A BAD_REQUEST listing every problem, each naming its field (`details[].pointer`), as the account service does. */
function fieldErrors(problems: Problem[], tail?: string): CyropError {
  return new CyropError(
    'BAD_REQUEST',
    problems.map((p) => `${p.pointer.slice(1)}: ${p.message}`).join('; ') + (tail ? `; ${tail}` : ''),
    { details: problems },
  );
}

function actorName(actor: Principal): string {
  return actor.kind === 'user' ? actor.userId : `participant:${actor.exerciseId}/${actor.teamId}`;
}

function objectiveCount(plan: string): number {
  try {
    const parsed = JSON.parse(plan) as { objectives?: unknown[] };
    return Array.isArray(parsed.objectives) ? parsed.objectives.length : 0;
  } catch {
    return 0;
  }
}

function uniqueName(name: string, teams: readonly { name: string }[]): string {
  let candidate = name;
  for (let n = 2; teams.some((t) => t.name === candidate); n++) candidate = `${name} (${n})`;
  return candidate;
}
