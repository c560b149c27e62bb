import { mayReadUsage } from '../../access/course-access.ts';
import { DURATION_PATTERN, parseDuration } from '../../compiler/durations.ts';
import type { CourseInput, CourseService } from '../../courses/course-service.ts';
import { parsePeriodBound, type UsageMeter } from '../../courses/usage-meter.ts';
import { CyropError } from '../../errors.ts';
import { STAFF, type ApiRegistry, type Principal } from '../api-registry.ts';

export interface CourseRouteDeps {
  courses: CourseService;
  usage: UsageMeter;
  /** The platform's reporting time zone (`CYROP_TIME_ZONE`): `YYYY-MM-DD` bounds are its midnights. */
  timeZone?: string;
}

const ID = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' };
const TEXT = (max: number) => ({ type: 'string', maxLength: max });
const BILINGUAL = (max: number) => ({
  type: 'object',
  additionalProperties: false,
  required: ['ja', 'en'],
  properties: { ja: TEXT(max), en: TEXT(max) },
});
const DATE = {
  type: 'string',
  maxLength: 40,
  description:
    'YYYY-MM-DD (midnight in the platform time zone, CYROP_TIME_ZONE) or an ISO date-time with a zone',
};
const COURSE_FIELDS = {
  title: BILINGUAL(200),
  description: BILINGUAL(10_000),
  scenarios: {
    type: 'array',
    maxItems: 50,
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'version'],
      properties: { id: TEXT(64), version: TEXT(64) },
    },
  },
  pricePerSeat: { type: 'integer', minimum: 0, description: 'yen per seat, tax excluded' },
  capacity: { type: 'integer', minimum: 1 },
  schedule: {
    type: 'object',
    additionalProperties: false,
    required: ['days', 'hoursPerDay'],
    properties: { days: { type: 'integer' }, hoursPerDay: { type: 'integer' }, note: BILINGUAL(1000) },
  },
};
const ANYONE_SIGNED_IN = { roles: ['operator', 'org-admin', 'instructor', 'trainee'] } as const;
const ORG_ADMINS = { roles: ['operator', 'org-admin'] } as const;

/**
 * Courses, course runs, enrolment and launch (`/api/courses…`, `/api/course-runs…`), a trainee's
 * courses (`/api/me/courses`) and an organisation's metered usage (`/api/metering/…`). Who may do
 * what is `access/course-access.ts`, applied by the services: another company's course or run
 * answers 404, as if it did not exist.
 */
export function courseRoutes(api: ApiRegistry, { courses, usage, timeZone }: CourseRouteDeps): void {
  // `Course` and `CourseRun` of contract/business.ts, which the console reads.
  const INT = { type: 'integer' };
  const STRING = { type: 'string' };
  const EPOCH_MS = { type: 'integer', description: 'epoch ms' };
  const courseProperties = {
    id: STRING,
    orgId: STRING,
    ...COURSE_FIELDS,
    // a stored schedule always has its note (empty texts when none was given)
    schedule: { ...COURSE_FIELDS.schedule, required: ['days', 'hoursPerDay', 'note'] },
    createdAt: EPOCH_MS,
    updatedAt: EPOCH_MS,
    archived: { type: 'boolean' },
  };
  const course = api.schema('Course', {
    type: 'object',
    required: Object.keys(courseProperties),
    properties: courseProperties,
  });
  const runProperties = {
    id: STRING,
    courseId: STRING,
    companyOrgId: STRING,
    customerOrgId: STRING,
    startsAt: EPOCH_MS,
    endsAt: EPOCH_MS,
    capacity: INT,
    pricePerSeat: { type: 'integer', description: 'yen per seat, tax excluded' },
    teamSize: INT,
    cancelled: { type: 'boolean' },
    createdAt: EPOCH_MS,
    enrolled: { type: 'integer', description: 'trainees enrolled now' },
  };
  const run = api.schema('CourseRun', {
    type: 'object',
    required: Object.keys(runProperties),
    properties: runProperties,
  });
  // `OrgUsage` of contract/business.ts: whole minutes, and hours for people (2 decimals).
  const FIGURES = {
    exercises: INT,
    teamMinutes: INT,
    teamHours: { type: 'number' },
    traineeMinutes: INT,
    traineeHours: { type: 'number' },
    distinctTrainees: INT,
  };
  const runUsage = {
    ...FIGURES,
    runId: STRING,
    courseId: STRING,
    companyOrgId: STRING,
    customerOrgId: STRING,
    customerKind: { enum: ['operator', 'training-company', 'customer'] },
    sales: { type: 'integer', description: 'sales recorded for the run in the period' },
    flagged: { type: 'boolean', description: 'paying-customer usage and no sale recorded for it' },
  };
  const usageProperties = {
    ...FIGURES,
    orgId: STRING,
    from: EPOCH_MS,
    to: EPOCH_MS,
    courseRuns: INT,
    runs: {
      type: 'array',
      items: { type: 'object', required: Object.keys(runUsage), properties: runUsage },
    },
    flagged: { type: 'array', items: STRING, description: 'the ids of the flagged runs' },
  };
  const orgUsage = api.schema('OrgUsage', {
    type: 'object',
    required: Object.keys(usageProperties),
    properties: usageProperties,
  });
  // `Enrolment` and `RunExercise` of courses/course-service.ts.
  const enrolmentProperties = { userId: STRING, name: STRING, email: STRING, enrolledAt: EPOCH_MS };
  const enrolments = {
    type: 'array',
    items: { type: 'object', required: Object.keys(enrolmentProperties), properties: enrolmentProperties },
  };
  const runExerciseProperties = {
    position: { type: 'integer', description: "the scenario's place in the course, from 1" },
    exerciseId: STRING,
    scenario: { type: 'object', required: ['id', 'version'], properties: { id: STRING, version: STRING } },
    state: STRING,
    createdAt: EPOCH_MS,
  };
  const runExercises = {
    type: 'array',
    items: {
      type: 'object',
      required: Object.keys(runExerciseProperties),
      properties: runExerciseProperties,
    },
  };
  const params = { required: ['id'], properties: { id: ID } };
  const by = (principal: Principal | undefined, ip: string | undefined) => {
    if (!principal) throw new CyropError('UNAUTHENTICATED', 'sign in first');
    return { actor: principal, ip };
  };

  api.add<undefined, Record<string, string>, { orgId?: string }>({
    method: 'get',
    path: '/api/courses',
    operationId: 'listCourses',
    summary: "The courses the caller manages (a company's own; the operator: all, or one organisation's)",
    tags: ['courses'],
    access: STAFF,
    query: { type: 'object', additionalProperties: false, properties: { orgId: ID } },
    response: {
      description: 'courses',
      schema: {
        type: 'object',
        required: ['courses'],
        properties: { courses: { type: 'array', items: course } },
      },
    },
    handler: async ({ principal, query }) => ({ courses: await courses.listCourses(principal, query.orgId) }),
  });

  api.add<CourseInput & { orgId?: string }>({
    method: 'post',
    path: '/api/courses',
    operationId: 'createCourse',
    summary: 'A new course of a training company (the caller’s own; an operator names orgId)',
    tags: ['courses'],
    access: STAFF,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['title', 'scenarios', 'pricePerSeat', 'capacity', 'schedule'],
      properties: { orgId: ID, ...COURSE_FIELDS },
    },
    response: { status: 201, description: 'the course', schema: course },
    handler: async ({ principal, body, req }) => {
      const actor = by(principal, req.ip);
      const { orgId, ...input } = body;
      const owner = orgId ?? (principal?.kind === 'user' ? principal.orgId : '');
      return courses.createCourse(actor, owner, input);
    },
  });

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/courses/{id}',
    operationId: 'getCourse',
    summary: 'One course',
    tags: ['courses'],
    access: STAFF,
    params,
    response: { description: 'the course', schema: course },
    handler: async ({ principal, params: p }) => courses.getCourse(principal, p.id),
  });

  api.add<Partial<CourseInput> & { archived?: boolean }, { id: string }>({
    method: 'patch',
    path: '/api/courses/{id}',
    operationId: 'updateCourse',
    summary:
      'Change a course (price and capacity apply to runs made afterwards; scenarios only while it has no run)',
    tags: ['courses'],
    access: STAFF,
    params,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { ...COURSE_FIELDS, archived: { type: 'boolean' } },
    },
    response: { description: 'the course', schema: course },
    handler: async ({ principal, params: p, body, req }) =>
      courses.updateCourse(by(principal, req.ip), p.id, body),
  });

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/courses/{id}/runs',
    operationId: 'listCourseRunsOfCourse',
    summary: 'The runs of a course',
    tags: ['courses'],
    access: STAFF,
    params,
    response: {
      description: 'runs',
      schema: { type: 'object', required: ['runs'], properties: { runs: { type: 'array', items: run } } },
    },
    handler: async ({ principal, params: p }) => ({ runs: await courses.listRuns(principal, p.id) }),
  });

  api.add<{ customerOrgId: string; startsAt: string; endsAt: string; teamSize?: number }, { id: string }>({
    method: 'post',
    path: '/api/courses/{id}/runs',
    operationId: 'createCourseRun',
    summary: 'A run of the course for a customer organisation (its capacity and price are the course’s now)',
    tags: ['courses'],
    access: STAFF,
    params,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['customerOrgId', 'startsAt', 'endsAt'],
      properties: { customerOrgId: ID, startsAt: DATE, endsAt: DATE, teamSize: { type: 'integer' } },
    },
    response: { status: 201, description: 'the run', schema: run },
    handler: async ({ principal, params: p, body, req }) =>
      courses.createRun(by(principal, req.ip), p.id, {
        customerOrgId: body.customerOrgId,
        startsAt: parsePeriodBound('startsAt', body.startsAt, timeZone),
        endsAt: parsePeriodBound('endsAt', body.endsAt, timeZone),
        ...(body.teamSize !== undefined ? { teamSize: body.teamSize } : {}),
      }),
  });

  api.add<undefined>({
    method: 'get',
    path: '/api/course-runs',
    operationId: 'listCourseRuns',
    summary:
      "Every run the caller may read (a company's; a customer's org-admin: those for their organisation)",
    tags: ['courses'],
    access: STAFF,
    response: {
      description: 'runs',
      schema: { type: 'object', required: ['runs'], properties: { runs: { type: 'array', items: run } } },
    },
    handler: async ({ principal }) => ({ runs: await courses.listRuns(principal) }),
  });

  api.add<undefined, { id: string }>({
    method: 'get',
    path: '/api/course-runs/{id}',
    operationId: 'getCourseRun',
    summary: 'A run with its enrolments and exercises',
    tags: ['courses'],
    access: STAFF,
    params,
    response: {
      description: 'the run',
      schema: api.schema('CourseRunDetail', {
        type: 'object',
        required: [...Object.keys(runProperties), 'enrolments', 'exercises'],
        properties: { ...runProperties, enrolments, exercises: runExercises },
      }),
    },
    handler: async ({ principal, params: p }) => ({
      ...(await courses.getRun(principal, p.id)),
      enrolments: await courses.enrolments(principal, p.id),
      exercises: await courses.runExercises(principal, p.id),
    }),
  });

  api.add<undefined, { id: string }>({
    method: 'post',
    path: '/api/course-runs/{id}/cancel',
    operationId: 'cancelCourseRun',
    summary: 'Cancel a run: no more enrolments or launches (its exercises are not touched)',
    tags: ['courses'],
    access: STAFF,
    params,
    response: { description: 'the run', schema: run },
    handler: async ({ principal, params: p, req }) => courses.cancelRun(by(principal, req.ip), p.id),
  });

  api.add<{ userIds?: string[]; emails?: string[] }, { id: string }>({
    method: 'post',
    path: '/api/course-runs/{id}/enrolments',
    operationId: 'enrolInCourseRun',
    summary: "Enrol trainees of the run's customer (account ids or e-mails), all or nothing, within capacity",
    tags: ['courses'],
    access: STAFF,
    params,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        userIds: { type: 'array', maxItems: 10_000, items: ID },
        emails: { type: 'array', maxItems: 10_000, items: TEXT(254) },
      },
    },
    response: {
      description: 'who was enrolled now, who was already, every current enrolment',
      schema: {
        type: 'object',
        required: ['enrolled', 'already', 'enrolments'],
        properties: {
          enrolled: { type: 'array', items: STRING, description: 'user ids enrolled by this call' },
          already: { type: 'array', items: STRING, description: 'user ids that were enrolled before' },
          enrolments,
        },
      },
    },
    handler: async ({ principal, params: p, body, req }) => courses.enrol(by(principal, req.ip), p.id, body),
  });

  api.add<undefined, { id: string; userId: string }>({
    method: 'delete',
    path: '/api/course-runs/{id}/enrolments/{userId}',
    operationId: 'withdrawFromCourseRun',
    summary: 'Withdraw a trainee (the seat frees up)',
    tags: ['courses'],
    access: STAFF,
    params: { required: ['id', 'userId'], properties: { id: ID, userId: ID } },
    response: {
      description: 'the current enrolments',
      schema: { type: 'object', required: ['enrolments'], properties: { enrolments } },
    },
    handler: async ({ principal, params: p, req }) => ({
      enrolments: await courses.withdraw(by(principal, req.ip), p.id, p.userId),
    }),
  });

  api.add<{ position?: number; ttl?: string }, { id: string }>({
    method: 'post',
    path: '/api/course-runs/{id}/launch',
    operationId: 'launchCourseRun',
    summary:
      'Launch the exercise of one scenario of the run (position), or of every scenario not running yet',
    tags: ['courses'],
    access: STAFF,
    params,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        position: { type: 'integer', minimum: 1 },
        ttl: { type: 'string', pattern: DURATION_PATTERN },
      },
    },
    response: {
      status: 202,
      description: 'the exercises launched (teams are being provisioned)',
      schema: { type: 'object', required: ['exercises'], properties: { exercises: runExercises } },
    },
    handler: async ({ principal, params: p, body, req }) => ({
      exercises: await courses.launch(by(principal, req.ip), p.id, {
        ...(body.position !== undefined ? { position: body.position } : {}),
        ...(body.ttl !== undefined ? { ttlMs: parseDuration(body.ttl) } : {}),
      }),
    }),
  });

  api.add<undefined>({
    method: 'get',
    path: '/api/me/courses',
    operationId: 'myCourses',
    summary: "The caller's course enrolments with progress (objectives solved per scenario)",
    tags: ['courses'],
    access: ANYONE_SIGNED_IN,
    response: {
      description: 'courses',
      schema: {
        type: 'object',
        required: ['courses'],
        properties: {
          courses: {
            type: 'array',
            items: api.schema('MyCourse', {
              type: 'object',
              required: [
                'runId',
                'courseId',
                'title',
                'startsAt',
                'endsAt',
                'scenarios',
                'solved',
                'objectives',
              ],
              properties: {
                runId: { type: 'string' },
                courseId: { type: 'string' },
                title: {
                  type: 'object',
                  required: ['en', 'ja'],
                  properties: { en: { type: 'string' }, ja: { type: 'string' } },
                },
                startsAt: { type: 'integer', description: 'epoch milliseconds' },
                endsAt: { type: 'integer', description: 'epoch milliseconds (exclusive)' },
                scenarios: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: [
                      'position',
                      'scenario',
                      'exerciseId',
                      'state',
                      'teamId',
                      'solved',
                      'objectives',
                    ],
                    properties: {
                      position: { type: 'integer' },
                      scenario: {
                        type: 'object',
                        required: ['id', 'version'],
                        properties: { id: { type: 'string' }, version: { type: 'string' } },
                      },
                      exerciseId: { type: ['string', 'null'] },
                      state: { type: ['string', 'null'] },
                      teamId: { type: ['string', 'null'] },
                      solved: { type: 'integer' },
                      objectives: { type: 'integer' },
                    },
                  },
                },
                solved: { type: 'integer' },
                objectives: { type: 'integer' },
              },
            }),
          },
        },
      },
    },
    handler: async ({ principal }) => ({ courses: await courses.myCourses(principal) }),
  });

  api.add<undefined, { id: string }, { from: string; to: string }>({
    method: 'get',
    path: '/api/metering/organisations/{id}',
    operationId: 'organisationUsage',
    summary:
      'What an organisation used in [from, to): course runs, exercises, team-hours, trainee-hours, distinct trainees, and runs with paying-customer usage but no sales (flagged)',
    tags: ['billing'],
    access: ORG_ADMINS,
    params,
    query: {
      type: 'object',
      additionalProperties: false,
      required: ['from', 'to'],
      properties: { from: DATE, to: DATE },
    },
    response: { description: 'usage', schema: orgUsage },
    handler: async ({ principal, params: p, query }) => {
      if (!mayReadUsage(principal, p.id)) throw new CyropError('NOT_FOUND', `no organisation '${p.id}'`);
      return usage.usage(
        p.id,
        parsePeriodBound('from', query.from, timeZone),
        parsePeriodBound('to', query.to, timeZone),
      );
    },
  });
}
