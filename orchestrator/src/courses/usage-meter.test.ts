import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isCyropError } from '../errors.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import type { ExerciseState } from '../store/schema.ts';
import { InMemorySalesLookup, parsePeriodBound, UsageMeter } from './usage-meter.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2026-04-01 00:00 in Japan. */
const T0 = Date.UTC(2026, 2, 31, 15);
const FROM = T0;
const TO = T0 + 30 * DAY;
/** The injected clock: two days into the period. */
const NOW = T0 + 2 * DAY;

/**
 * Metering on a real store with hand-made rows and an injected clock; every figure below is worked
 * out by hand in the comments.
 */
describe('UsageMeter (SQLite, injected clock)', () => {
  let dir: string;
  let database: OpenedDatabase;

  const org = (id: string, kind: 'training-company' | 'customer') =>
    database.db.insertInto('organisations').values({ id, name: id, kind, created_at: 0 }).execute();
  const exercise = async (
    id: string,
    orgId: string,
    state: ExerciseState,
    createdAt: number,
    updatedAt: number,
    teams: number,
  ) => {
    await database.db
      .insertInto('exercises')
      .values({
        id,
        scenario_id: 's',
        scenario_version: '1.0.0',
        scenario_hash: 'h',
        scenario_path: 'p',
        secret: 'x',
        state,
        engine: 'docker',
        created_at: createdAt,
        updated_at: updatedAt,
        expires_at: null,
        org_id: orgId,
        max_members_per_team: null,
      })
      .execute();
    for (let i = 1; i <= teams; i++)
      await database.db
        .insertInto('exercise_teams')
        .values({
          exercise_id: id,
          team_id: `team-${i}`,
          team_name: `Team ${i}`,
          team_index: i,
          plan: '{}',
          plan_hash: 'h',
          addresses: null,
          state: state === 'ended' ? 'destroyed' : 'ready',
          last_error: null,
          updated_at: updatedAt,
        })
        .execute();
  };
  const member = (exerciseId: string, team: string, key: { userId?: string; email?: string }, at: number) =>
    database.db
      .insertInto('exercise_members')
      .values({
        id: `${exerciseId}-${team}-${key.userId ?? key.email ?? ''}`,
        exercise_id: exerciseId,
        team_id: team,
        display_name: 'someone',
        email: key.email ?? null,
        user_id: key.userId ?? null,
        source: 'roster',
        created_at: at,
      })
      .execute();
  const run = (id: string, customer: string, startsAt: number, endsAt: number) =>
    database.db
      .insertInto('course_runs')
      .values({
        id,
        course_id: 'course-a',
        customer_org_id: customer,
        starts_at: startsAt,
        ends_at: endsAt,
        capacity: 2,
        price_per_seat: 10_000,
        team_size: 1,
        created_by: 'u',
        created_at: 0,
        cancelled_at: null,
      })
      .execute();
  const link = (exerciseId: string, runId: string) =>
    database.db
      .insertInto('course_run_exercises')
      .values({ exercise_id: exerciseId, run_id: runId, position: 1, created_at: 0 })
      .execute();

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-usage-'));
    database = await openDatabase(dir);
    await org('A', 'training-company');
    await org('B', 'training-company');
    await org('C', 'customer');
    for (const u of ['u1', 'u2'])
      await database.db
        .insertInto('users')
        .values({
          id: u,
          org_id: 'C',
          email: `${u}@c`,
          name: u,
          role: 'trainee',
          password_hash: 'x',
          created_at: 0,
        })
        .execute();
    await database.db
      .insertInto('courses')
      .values({
        id: 'course-a',
        org_id: 'A',
        title_ja: 't',
        title_en: 't',
        description_ja: '',
        description_en: '',
        price_per_seat: 10_000,
        capacity: 2,
        schedule: '{}',
        created_by: 'u',
        created_at: 0,
        updated_at: 0,
        archived_at: null,
      })
      .execute();
    await run('R1', 'C', T0 + DAY, T0 + 3 * DAY); // for the customer
    await run('R2', 'A', T0 + DAY, T0 + 2 * DAY); // the company's own staff training: nobody pays
    await run('R3', 'C', T0 + 40 * DAY, T0 + 41 * DAY); // after the period
    // E1 (R1): 3 h, 2 teams; u1 from the start, u2 joined an hour late.
    await exercise('E1', 'A', 'ended', T0 + DAY, T0 + DAY + 3 * HOUR, 2);
    await member('E1', 'team-1', { userId: 'u1' }, T0 + DAY);
    await member('E1', 'team-2', { userId: 'u2' }, T0 + DAY + HOUR);
    await link('E1', 'R1');
    // E2: began an hour before the period, ended an hour into it; one member known by e-mail only.
    await exercise('E2', 'A', 'ended', T0 - HOUR, T0 + HOUR, 1);
    await member('E2', 'team-1', { email: 'X@example.com' }, T0 - HOUR);
    // E3: never launched.
    await exercise('E3', 'A', 'created', T0 + HOUR, T0 + HOUR, 4);
    // E4 (R2): running since half an hour before the clock's now, one team, no member.
    await exercise('E4', 'A', 'running', NOW - HOUR / 2, NOW - HOUR / 2, 1);
    await link('E4', 'R2');
    // E5: another company's.
    await exercise('E5', 'B', 'ended', T0, T0 + 5 * HOUR, 3);
  });

  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("counts the company's exercises, team-hours, trainee-hours and distinct trainees in the period", async () => {
    const meter = new UsageMeter({ db: database.db, sales: new InMemorySalesLookup(), clock: () => NOW });
    const a = await meter.usage('A', FROM, TO);
    // E1 + E2 + E4 (E3 never launched, E5 is B's)
    expect(a.exercises).to.equal(3);
    // team minutes: E1 2 × 180, E2 1 × 60 (the hour inside the period), E4 1 × 30
    expect(a.teamMinutes).to.equal(360 + 60 + 30);
    expect(a.teamHours).to.equal(7.5);
    // trainee minutes: E1 u1 180 + u2 120, E2 60
    expect(a.traineeMinutes).to.equal(180 + 120 + 60);
    expect(a.traineeHours).to.equal(6);
    // u1, u2, x@example.com
    expect(a.distinctTrainees).to.equal(3);
    // R1 and R2 fall in the period, R3 does not
    expect(a.courseRuns).to.equal(2);
    expect(a.runs.map((r) => [r.runId, r.exercises, r.teamMinutes, r.traineeMinutes])).to.deep.equal([
      ['R1', 1, 360, 300],
      ['R2', 1, 30, 0],
    ]);
  });

  it("counts a customer's usage through the runs it bought", async () => {
    const meter = new UsageMeter({ db: database.db, sales: new InMemorySalesLookup(), clock: () => NOW });
    const c = await meter.usage('C', FROM, TO);
    expect([c.courseRuns, c.exercises, c.teamMinutes, c.traineeMinutes, c.distinctTrainees]).to.deep.equal([
      1, 1, 360, 300, 2,
    ]);
  });

  it('clips to the period: an hour-long window inside E1 holds an hour of each team', async () => {
    const meter = new UsageMeter({ db: database.db, sales: new InMemorySalesLookup(), clock: () => NOW });
    const window = await meter.usage('C', T0 + DAY + HOUR, T0 + DAY + 2 * HOUR);
    // two teams × 60; u1 60 + u2 60 (u2 joined at the window's start)
    expect([window.teamMinutes, window.traineeMinutes]).to.deep.equal([120, 120]);
  });

  it('flags the paying customer’s run with usage and no sale in the period, and only it', async () => {
    const none = new UsageMeter({ db: database.db, sales: new InMemorySalesLookup(), clock: () => NOW });
    // R2 has usage but is the company's own run (no paying customer); R3 has no usage
    expect((await none.usage('A', FROM, TO)).flagged).to.deep.equal(['R1']);
    const soldEarlier = new UsageMeter({
      db: database.db,
      sales: new InMemorySalesLookup([{ runId: 'R1', at: T0 - DAY }]),
      clock: () => NOW,
    });
    expect((await soldEarlier.usage('A', FROM, TO)).flagged, 'a sale outside the period').to.deep.equal([
      'R1',
    ]);
    const sold = new UsageMeter({
      db: database.db,
      sales: new InMemorySalesLookup([{ runId: 'R1', at: T0 + 2 * DAY }]),
      clock: () => NOW,
    });
    const usage = await sold.usage('A', FROM, TO);
    expect(usage.flagged).to.deep.equal([]);
    expect(usage.runs.find((r) => r.runId === 'R1')?.sales).to.equal(1);
    // a period without usage of R1 flags nothing, sale or not
    expect((await none.usage('A', T0 + 10 * DAY, TO)).flagged).to.deep.equal([]);
  });

  it('refuses a period that ends before it starts, and an unknown organisation', async () => {
    const meter = new UsageMeter({ db: database.db, sales: new InMemorySalesLookup(), clock: () => NOW });
    const refused = async (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e,
      );
    const backwards = await refused(meter.usage('A', TO, FROM));
    expect(isCyropError(backwards) && backwards.code).to.equal('BAD_REQUEST');
    const unknown = await refused(meter.usage('nobody', FROM, TO));
    expect(isCyropError(unknown) && unknown.code).to.equal('NOT_FOUND');
  });

  it('reads a date as midnight in Japan, an ISO time as written, and names the bad argument', () => {
    expect(parsePeriodBound('from', '2026-04-01')).to.equal(T0);
    expect(parsePeriodBound('from', '2026-04-01T00:00:00+09:00')).to.equal(T0);
    expect(parsePeriodBound('to', '2026-04-01T00:00:00Z')).to.equal(T0 + 9 * HOUR);
    for (const bad of ['2026-02-30', '2026-4-1', 'tomorrow', '2026-04-01T00:00:00'])
      expect(() => parsePeriodBound('to', bad), bad).to.throw(/^to: /);
  });

  it('reads a date as midnight in the platform time zone it is given', () => {
    expect(parsePeriodBound('from', '2026-04-01', 'UTC')).to.equal(Date.UTC(2026, 3, 1));
    expect(parsePeriodBound('from', '2026-04-01', 'Asia/Tokyo')).to.equal(T0);
    // daylight saving time: New York is UTC−4 in July
    expect(parsePeriodBound('to', '2026-07-01', 'America/New_York')).to.equal(Date.UTC(2026, 6, 1, 4));
    expect(parsePeriodBound('to', '2026-04-01T00:00:00Z', 'UTC')).to.equal(Date.UTC(2026, 3, 1));
    expect(() => parsePeriodBound('to', '2026-02-30', 'UTC')).to.throw(/^to: '2026-02-30'/);
  });

  it('the database refuses an enrolment past the run’s capacity, whoever inserts it', async () => {
    const enrol = (user: string) =>
      database.db
        .insertInto('course_enrolments')
        .values({ run_id: 'R3', user_id: user, enrolled_at: 0, enrolled_by: 'x', withdrawn_at: null })
        .execute();
    await database.db
      .insertInto('users')
      .values({
        id: 'u3',
        org_id: 'C',
        email: 'u3@c',
        name: 'u3',
        role: 'trainee',
        password_hash: 'x',
        created_at: 0,
      })
      .execute();
    await enrol('u1');
    await enrol('u2');
    let error: unknown;
    await enrol('u3').catch((e: unknown) => (error = e));
    expect((error as Error | undefined)?.message).to.contain('course run is full');
    // the same trainee twice is refused too
    await database.db
      .updateTable('course_enrolments')
      .set({ withdrawn_at: 1 })
      .where('user_id', '=', 'u2')
      .execute();
    error = undefined;
    await enrol('u1').catch((e: unknown) => (error = e));
    expect((error as Error | undefined)?.message).to.match(/UNIQUE/);
  });
});
