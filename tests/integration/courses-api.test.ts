import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { FakeRuntimeDriver } from '../../orchestrator/src/runtime/fake/fake-runtime-driver.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';

const scenario = (id: string, version = '1.0.0') => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: ${id}, version: ${version}, title: ${id}, category: other, difficulty: beginner }
networks: [{ name: lan }]
hosts:
  - { name: box, image: cyrop/attacker:1, networks: [lan], console: true }
objectives:
  - { id: q1, kind: question, title: Q1, points: 1, question: { answers: ["a"] } }
  - { id: q2, kind: question, title: Q2, points: 1, question: { answers: ["b"] } }
`;

type Client = ReturnType<typeof apiClient>;
type Problem = { pointer: string; message: string };

/**
 * Courses through the composed platform (real server, SQLite, the in-memory engine): a training
 * company's course with pinned scenarios (every bad field named), a run for a customer, enrolment
 * within capacity (all or nothing), launch through the exercise service, the trainee's "my courses"
 * with progress from a real submission, the audit trail, metering with its flag, and cross-tenant
 * refusals that answer 404 without leaking existence.
 */
describe('courses, runs, enrolment and metering API (real server, in-memory engine)', function () {
  this.timeout(60_000);
  let dir: string;
  let platform: RunningPlatform;
  let operator: Client;
  const who = {} as Record<'adminA' | 'instrA' | 'adminB' | 'adminC' | 't1' | 't2' | 't3' | 'd1', Client>;
  const ids = {} as Record<string, string>;
  let orgA = '';
  let orgB = '';
  let orgC = '';
  let courseId = '';
  let runId = '';
  let exerciseId = '';

  const call = (c: Client, method: string, url: string, body?: unknown) => c(method, url, body);
  const ok = async (c: Client, method: string, url: string, body?: unknown) => {
    const res = await c(method, url, body);
    expect(res.status, `${method} ${url}: ${res.text}`).to.be.below(300);
    return res.body;
  };
  const pointers = (body: Record<string, unknown>) =>
    ((body.error as { details?: Problem[] }).details ?? []).map((d) => d.pointer);

  const course = {
    title: { ja: 'インシデント対応入門', en: 'Incident response basics' },
    description: { ja: '二日間', en: 'Two days' },
    scenarios: [{ id: 'shipped', version: '1.0.0' }],
    pricePerSeat: 50_000,
    capacity: 2,
    schedule: { days: 2, hoursPerDay: 6, note: { ja: '10時から', en: 'from 10:00' } },
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-courses-api-'));
    mkdirSync(path.join(dir, 'catalogue', 'shipped'), { recursive: true });
    writeFileSync(path.join(dir, 'catalogue', 'shipped', 'scenario.yaml'), scenario('shipped'));
    const database = await openDatabase(path.join(dir, 'data'));
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    platform = await startPlatform(
      loadConfig(
        { CYROP_ENGINE: 'none' },
        { port: 0, dataDir: path.join(dir, 'data'), scenariosDir: path.join(dir, 'catalogue') },
      ),
      pino({ level: 'silent' }),
      { driver: new FakeRuntimeDriver() },
    );
    operator = apiClient(platform.url, { checkResponses: true });
    await ok(operator, 'POST', '/api/auth/login', { email: first.email, password: first.password });
    await ok(operator, 'POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: 'operator secret password 1',
    });
    const org = async (name: string, kind: string) =>
      ((await ok(operator, 'POST', '/api/organisations', { name, kind })) as { id: string }).id;
    orgA = await org('Acme Training', 'training-company');
    orgB = await org('Beta Training', 'training-company');
    orgC = await org('Customer C', 'customer');
    const orgD = await org('Customer D', 'customer'); // d1's: another customer
    for (const [name, orgId, role] of [
      ['adminA', orgA, 'org-admin'],
      ['instrA', orgA, 'instructor'],
      ['adminB', orgB, 'org-admin'],
      ['adminC', orgC, 'org-admin'],
      ['t1', orgC, 'trainee'],
      ['t2', orgC, 'trainee'],
      ['t3', orgC, 'trainee'],
      ['d1', orgD, 'trainee'],
    ] as const) {
      const created = (await ok(operator, 'POST', `/api/organisations/${orgId}/users`, {
        email: `${name.toLowerCase()}@example.com`,
        name: `Person ${name}`,
        role,
        password: `${name} secret password 1`,
      })) as { user: { id: string } };
      ids[name] = created.user.id;
      who[name] = apiClient(platform.url, { checkResponses: true });
      await ok(who[name], 'POST', '/api/auth/login', {
        email: `${name.toLowerCase()}@example.com`,
        password: `${name} secret password 1`,
      });
    }
    // Org A's private scenario (two versions' worth of ids exist only for A).
    await ok(who.instrA, 'POST', '/api/scenarios', { files: { 'scenario.yaml': scenario('aprivate') } });
  });

  after(async () => {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a course with pinned scenarios (its own private one and the catalogue)', async () => {
    const res = await call(who.adminA, 'POST', '/api/courses', {
      ...course,
      scenarios: [...course.scenarios, { id: 'aprivate', version: '1.0.0' }],
    });
    expect(res.status, res.text).to.equal(201);
    courseId = res.body.id as string;
    expect(res.body).to.deep.include({ orgId: orgA, pricePerSeat: 50_000, capacity: 2 });
    expect(res.body.scenarios).to.deep.equal([
      { id: 'shipped', version: '1.0.0' },
      { id: 'aprivate', version: '1.0.0' },
    ]);
    expect(res.body.title).to.deep.equal(course.title);
  });

  it('names every bad field: missing title, negative price, a version that does not exist, another company’s private scenario', async () => {
    const res = await call(who.adminB, 'POST', '/api/courses', {
      ...course,
      title: { ja: '入門', en: '   ' },
      pricePerSeat: 1.5,
      capacity: 0,
      scenarios: [
        { id: 'shipped', version: '9.9.9' },
        { id: 'aprivate', version: '1.0.0' },
      ],
    });
    expect(res.status, res.text).to.equal(400);
    // schema validation reports type errors first; the service's own checks below
    const again = await call(who.adminB, 'POST', '/api/courses', {
      ...course,
      title: { ja: '入門', en: '   ' },
      scenarios: [
        { id: 'shipped', version: '9.9.9' },
        { id: 'aprivate', version: '1.0.0' },
        { id: 'shipped', version: '1.0.0' },
      ],
    });
    expect(again.status, again.text).to.equal(400);
    expect(pointers(again.body)).to.have.members([
      '/title/en',
      '/scenarios/0/version',
      '/scenarios/1/version',
    ]);
    // the refusal of A's private scenario reads like the refusal of a scenario that does not exist
    const message = (pointer: string) =>
      (again.body.error as { details: Problem[] }).details.find((d) => d.pointer === pointer)?.message;
    expect(message('/scenarios/1/version')).to.equal(
      'no scenario aprivate@1.0.0 that this training company may use',
    );
    expect(message('/scenarios/0/version')).to.equal(
      'no scenario shipped@9.9.9 that this training company may use',
    );
    expect(pointers(res.body).length).to.be.greaterThan(0);
  });

  it('shows a company only its own courses; another company gets 404 for A’s course', async () => {
    await ok(who.adminB, 'POST', '/api/courses', course);
    const listA = (await ok(who.instrA, 'GET', '/api/courses')) as {
      courses: { id: string; orgId: string }[];
    };
    expect(listA.courses.map((c) => c.orgId)).to.deep.equal([orgA]);
    const listB = (await ok(who.adminB, 'GET', '/api/courses')) as { courses: { orgId: string }[] };
    expect(listB.courses.map((c) => c.orgId)).to.deep.equal([orgB]);
    const all = (await ok(operator, 'GET', '/api/courses')) as { courses: unknown[] };
    expect(all.courses).to.have.length(2);
    for (const [method, url, body] of [
      ['GET', `/api/courses/${courseId}`, undefined],
      ['PATCH', `/api/courses/${courseId}`, { pricePerSeat: 1 }],
      ['GET', `/api/courses/${courseId}/runs`, undefined],
      [
        'POST',
        `/api/courses/${courseId}/runs`,
        { customerOrgId: orgC, startsAt: '2026-12-01', endsAt: '2026-12-03' },
      ],
    ] as const) {
      const stranger = await call(who.adminB, method, url, body);
      const unknown = await call(who.adminB, method, url.replace(courseId, 'course-nope'), body);
      expect(stranger.status, `${method} ${url}`).to.equal(404);
      expect(unknown.status).to.equal(404);
      // the same answer as for a course that does not exist, apart from the id
      expect(stranger.text.replace(courseId, 'X')).to.equal(unknown.text.replace('course-nope', 'X'));
    }
    // trainees are not staff
    expect((await call(who.t1, 'GET', '/api/courses')).status).to.equal(403);
  });

  it('makes a run for a customer, which its org-admin may read but not change', async () => {
    const bad = await call(who.adminA, 'POST', `/api/courses/${courseId}/runs`, {
      customerOrgId: 'no-such-org',
      startsAt: '2026-12-03',
      endsAt: '2026-12-01',
    });
    expect(bad.status).to.equal(400);
    expect(pointers(bad.body)).to.have.members(['/customerOrgId', '/endsAt']);
    const res = await call(who.instrA, 'POST', `/api/courses/${courseId}/runs`, {
      customerOrgId: orgC,
      startsAt: '2026-12-01',
      endsAt: '2026-12-03',
    });
    expect(res.status, res.text).to.equal(201);
    runId = res.body.id as string;
    // 2026-12-01 00:00 in Japan
    expect(res.body).to.deep.include({
      startsAt: Date.UTC(2026, 10, 30, 15),
      capacity: 2,
      pricePerSeat: 50_000,
      enrolled: 0,
    });
    expect((await call(who.adminC, 'GET', `/api/course-runs/${runId}`)).status).to.equal(200);
    expect((await call(who.adminB, 'GET', `/api/course-runs/${runId}`)).status).to.equal(404);
    const runsB = (await ok(who.adminB, 'GET', '/api/course-runs')) as { runs: unknown[] };
    expect(runsB.runs).to.deep.equal([]);
    const enrolByCustomer = await call(who.adminC, 'POST', `/api/course-runs/${runId}/enrolments`, {
      userIds: [ids.t1],
    });
    expect(enrolByCustomer.status).to.equal(404);
  });

  it('enrols the customer’s trainees within capacity, all or nothing', async () => {
    const mixed = await call(who.adminA, 'POST', `/api/course-runs/${runId}/enrolments`, {
      userIds: [ids.t1],
      emails: ['d1@example.com', 'instra@example.com', 'nobody@example.com'],
    });
    expect(mixed.status, mixed.text).to.equal(400);
    expect(pointers(mixed.body)).to.deep.equal(['/emails/0', '/emails/1', '/emails/2']);
    // d1 (another customer's trainee) is answered like an unknown address
    const details = (mixed.body.error as { details: Problem[] }).details;
    expect(details[0]!.message).to.equal("no trainee 'd1@example.com' in the run's customer organisation");
    expect(
      ((await ok(who.adminA, 'GET', `/api/course-runs/${runId}`)) as { enrolled: number }).enrolled,
    ).to.equal(0);

    const first = (await ok(who.adminA, 'POST', `/api/course-runs/${runId}/enrolments`, {
      emails: ['T1@example.com', 't2@example.com'],
    })) as { enrolled: string[] };
    expect(first.enrolled).to.deep.equal([ids.t1, ids.t2]);
    const full = await call(who.adminA, 'POST', `/api/course-runs/${runId}/enrolments`, {
      userIds: [ids.t3],
    });
    expect(full.status).to.equal(409);
    expect(full.text).to.contain('holds 2 trainees');
    const again = (await ok(who.adminA, 'POST', `/api/course-runs/${runId}/enrolments`, {
      userIds: [ids.t1],
    })) as { enrolled: string[]; already: string[] };
    expect(again).to.deep.include({ enrolled: [], already: [ids.t1] });
    // a withdrawal frees the seat
    await ok(who.adminA, 'DELETE', `/api/course-runs/${runId}/enrolments/${ids.t2}`);
    await ok(who.adminA, 'POST', `/api/course-runs/${runId}/enrolments`, { userIds: [ids.t3] });
    await ok(who.adminA, 'DELETE', `/api/course-runs/${runId}/enrolments/${ids.t3}`);
    await ok(who.adminA, 'POST', `/api/course-runs/${runId}/enrolments`, { userIds: [ids.t2] });
  });

  it('refuses to change the scenarios of a course that has runs; price changes leave the run’s price', async () => {
    const res = await call(who.adminA, 'PATCH', `/api/courses/${courseId}`, { scenarios: course.scenarios });
    expect(res.status).to.equal(409);
    const changed = (await ok(who.adminA, 'PATCH', `/api/courses/${courseId}`, { pricePerSeat: 60_000 })) as {
      pricePerSeat: number;
    };
    expect(changed.pricePerSeat).to.equal(60_000);
    const run = (await ok(who.adminA, 'GET', `/api/course-runs/${runId}`)) as { pricePerSeat: number };
    expect(run.pricePerSeat).to.equal(50_000);
  });

  it('launches the first scenario for the enrolled trainees; a trainee sees their course and progress', async () => {
    const res = await call(who.instrA, 'POST', `/api/course-runs/${runId}/launch`, { position: 1 });
    expect(res.status, res.text).to.equal(202);
    const launched = res.body.exercises as { exerciseId: string; position: number }[];
    expect(launched.map((e) => e.position)).to.deep.equal([1]);
    exerciseId = launched[0]!.exerciseId;
    // the exercise is the company's: its instructors see it, with one team per trainee named after them
    for (let i = 0; i < 200; i++) {
      const e = (await ok(who.instrA, 'GET', `/api/exercises/${exerciseId}`)) as { state: string };
      if (e.state === 'running') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const exercise = (await ok(who.instrA, 'GET', `/api/exercises/${exerciseId}`)) as {
      state: string;
      teams: { id: string; name: string }[];
    };
    expect(exercise.state).to.equal('running');
    expect(exercise.teams.map((t) => t.name)).to.deep.equal(['Person t1', 'Person t2']);
    expect((await call(who.adminB, 'GET', `/api/exercises/${exerciseId}`)).status).to.equal(404);

    // t1 enters without a code and solves one objective
    const mine = (await ok(who.t1, 'GET', '/api/me/exercises')) as { exercises: { exerciseId: string }[] };
    expect(mine.exercises.map((e) => e.exerciseId)).to.deep.equal([exerciseId]);
    await ok(who.instrA, 'POST', `/api/exercises/${exerciseId}/scoring/status`, { action: 'start' });
    const player = apiClient(platform.url, { checkResponses: true });
    await ok(player, 'POST', '/api/auth/login', {
      email: 't1@example.com',
      password: 't1 secret password 1',
    });
    await ok(player, 'POST', `/api/me/exercises/${exerciseId}/enter`);
    const submitted = (await ok(player, 'POST', '/api/play/submissions', {
      objective: 'q1',
      answer: 'a',
    })) as {
      outcome: string;
    };
    expect(submitted.outcome).to.equal('correct');

    const courses = (await ok(who.t1, 'GET', '/api/me/courses')) as {
      courses: {
        runId: string;
        title: { en: string };
        solved: number;
        objectives: number;
        scenarios: {
          position: number;
          exerciseId: string | null;
          solved: number;
          objectives: number;
          teamId: string | null;
        }[];
      }[];
    };
    expect(courses.courses).to.have.length(1);
    const c = courses.courses[0]!;
    expect(c.runId).to.equal(runId);
    expect(c.title.en).to.equal('Incident response basics');
    expect(
      c.scenarios.map((s) => [s.position, s.exerciseId, s.teamId, s.solved, s.objectives]),
    ).to.deep.equal([
      [1, exerciseId, 'team-1', 1, 2],
      [2, null, null, 0, 0],
    ]);
    expect([c.solved, c.objectives]).to.deep.equal([1, 2]);
    // t2 is on another team: nothing solved; t3 withdrew; d1 is a stranger
    const t2 = (await ok(who.t2, 'GET', '/api/me/courses')) as { courses: { solved: number }[] };
    expect(t2.courses.map((x) => x.solved)).to.deep.equal([0]);
    expect(((await ok(who.t3, 'GET', '/api/me/courses')) as { courses: unknown[] }).courses).to.deep.equal(
      [],
    );
    expect(((await ok(who.d1, 'GET', '/api/me/courses')) as { courses: unknown[] }).courses).to.deep.equal(
      [],
    );
    // a trainee may not read the run itself
    expect((await call(who.t1, 'GET', `/api/course-runs/${runId}`)).status).to.equal(403);
  });

  it('launching again starts only what is not running; a stranger cannot launch', async () => {
    expect((await call(who.adminB, 'POST', `/api/course-runs/${runId}/launch`, {})).status).to.equal(404);
    const res = (await ok(who.adminA, 'POST', `/api/course-runs/${runId}/launch`, {})) as {
      exercises: { position: number }[];
    };
    expect(res.exercises.map((e) => e.position)).to.deep.equal([2]);
    const none = await call(who.adminA, 'POST', `/api/course-runs/${runId}/launch`, {});
    expect(none.status).to.equal(409);
    const run = (await ok(who.adminA, 'GET', `/api/course-runs/${runId}`)) as {
      exercises: { position: number }[];
    };
    expect(run.exercises.map((e) => e.position)).to.deep.equal([1, 2]);
  });

  it('audits every change of courses and runs, in the company’s trail', async () => {
    const trail = (await ok(who.adminA, 'GET', '/api/audit?action=course')) as {
      entries: { action: string; target: string }[];
    };
    const actions = trail.entries.map((e) => e.action);
    for (const action of [
      'course.created',
      'course.updated',
      'course-run.created',
      'course-run.enrolled',
      'course-run.withdrawn',
      'course-run.launched',
    ])
      expect(actions, action).to.include(action);
    // B's course is not in A's trail
    expect(
      trail.entries.every((e) => e.target === `course:${courseId}` || e.target === `course-run:${runId}`),
    ).to.equal(true);
  });

  it('meters the company and the customer, and flags the run that has usage but no sale', async () => {
    const period = '?from=2020-01-01&to=2100-01-01';
    const a = await ok(operator, 'GET', `/api/metering/organisations/${orgA}${period}`);
    expect(a).to.deep.include({ courseRuns: 1, exercises: 2, distinctTrainees: 2, flagged: [runId] });
    const c = await ok(who.adminC, 'GET', `/api/metering/organisations/${orgC}${period}`);
    expect(c).to.deep.include({ courseRuns: 1, exercises: 2, distinctTrainees: 2 });
    // once the company records a sale of the run in billing's journal, the run is no longer flagged
    const sale = await call(who.adminA, 'POST', `/api/billing/organisations/${orgA}/sales`, {
      date: '2026-12-01',
      customer: 'Customer C',
      courseRun: runId,
      seats: 2,
      unitPriceYen: 50_000,
      amountYen: 100_000,
    });
    expect(sale.status, sale.text).to.equal(201);
    const sold = (await ok(operator, 'GET', `/api/metering/organisations/${orgA}${period}`)) as {
      flagged: string[];
      runs: { runId: string; sales: number }[];
    };
    expect(sold.flagged).to.deep.equal([]);
    expect(sold.runs.map((r) => [r.runId, r.sales])).to.deep.equal([[runId, 1]]);
    // a period before anything happened: nothing used, nothing flagged
    const before = await ok(
      operator,
      'GET',
      `/api/metering/organisations/${orgA}?from=2020-01-01&to=2020-02-01`,
    );
    expect(before).to.deep.include({ courseRuns: 0, exercises: 0, teamMinutes: 0, flagged: [] });
    // another organisation's usage does not exist for an org-admin; instructors may not read usage
    expect((await call(who.adminB, 'GET', `/api/metering/organisations/${orgA}${period}`)).status).to.equal(
      404,
    );
    expect((await call(who.instrA, 'GET', `/api/metering/organisations/${orgA}${period}`)).status).to.equal(
      403,
    );
    const bad = await call(
      operator,
      'GET',
      `/api/metering/organisations/${orgA}?from=2020-13-01&to=2021-01-01`,
    );
    expect(bad.status).to.equal(400);
    expect(pointers(bad.body)).to.deep.equal(['/from']);
  });
});
