import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { cyrop, REPO } from './helpers.ts';

/**
 * `cyrop course …` and `cyrop billing usage` on a data directory, as an operator's script runs them:
 * a course with a pinned scenario (a bad pin names its field), a run for a customer, enrolment by
 * e-mail within capacity, usage in JSON and text, and audit entries by `system:cli`.
 */
describe('cyrop CLI: courses and metering in the data directory', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape it expects
  const json = <T>(args: string[]): T => {
    const r = cyrop([...args, '--format', 'json'], env);
    expect(r.status, `cyrop ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return JSON.parse(r.stdout) as T;
  };

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-courses-cli-'));
    env = {
      CYROP_DATA_DIR: path.join(dir, 'data'),
      CYROP_SCENARIOS_DIR: path.join(REPO, 'tests/fixtures/valid'),
    };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a course and a run, enrols by e-mail, and reports usage', async () => {
    const company = json<{ id: string }>([
      'org',
      'create',
      '--name',
      'Acme',
      '--kind',
      'training-company',
    ]).id;
    const customer = json<{ id: string }>(['org', 'create', '--name', 'Cust', '--kind', 'customer']).id;
    for (const n of [1, 2])
      json([
        'user',
        'create',
        '--org',
        customer,
        '--email',
        `t${n}@c.example`,
        '--name',
        `T${n}`,
        '--role',
        'trainee',
      ]);
    const course = [
      'course',
      'create',
      '--org',
      company,
      '--title-ja',
      'ウェブ入門',
      '--title-en',
      'Web basics',
      '--price',
      '30000',
      '--capacity',
      '1',
      '--days',
      '1',
      '--hours-per-day',
      '6',
    ];
    const bad = cyrop([...course, '--scenario', 'web-sqli-basics@2.0.0'], env);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.equal(
      'cyrop: BAD_REQUEST: scenarios/0/version: no scenario web-sqli-basics@2.0.0 that this training company may use\n' +
        '  /scenarios/0/version  no scenario web-sqli-basics@2.0.0 that this training company may use\n',
    );
    const made = json<{ id: string; scenarios: unknown[] }>([
      ...course,
      '--scenario',
      'web-sqli-basics@1.0.0',
    ]);
    expect(made.scenarios).to.deep.equal([{ id: 'web-sqli-basics', version: '1.0.0' }]);
    const run = json<{ id: string; capacity: number }>([
      'course',
      'run-create',
      made.id,
      '--customer',
      customer,
      '--from',
      '2026-12-01',
      '--to',
      '2026-12-02',
    ]);
    expect(run.capacity).to.equal(1);
    const enrolled = json<{ enrolled: string[] }>(['course', 'enrol', run.id, 't1@c.example']);
    expect(enrolled.enrolled).to.have.length(1);
    const full = cyrop(['course', 'enrol', run.id, 't2@c.example'], env);
    expect(full.status).to.equal(2);
    expect(full.stderr).to.match(
      /^cyrop: CONFLICT: course run '.+' holds 1 trainees: 1 enrolled, 1 more would exceed it/,
    );
    const runs = cyrop(['course', 'runs', made.id], env);
    expect(runs.stdout).to.contain(`${run.id}  course ${made.id}  customer ${customer}`);
    expect(runs.stdout).to.contain('1/1 enrolled');

    const usage = json<{ courseRuns: number; exercises: number; flagged: string[] }>([
      'billing',
      'usage',
      '--org',
      company,
      '--from',
      '2026-12-01',
      '--to',
      '2027-01-01',
    ]);
    // a run in the period, nothing launched yet: nothing used, nothing flagged
    expect(usage).to.deep.include({ courseRuns: 1, exercises: 0, flagged: [] });
    const text = cyrop(
      ['billing', 'usage', '--org', company, '--from', '2026-12-01', '--to', '2027-01-01'],
      env,
    );
    expect(text.stdout).to.contain(
      'course runs 1  exercises 0  team-hours 0  trainee-hours 0  distinct trainees 0',
    );
    const wrong = cyrop(
      ['billing', 'usage', '--org', company, '--from', '2026-12-32', '--to', '2027-01-01'],
      env,
    );
    expect(wrong.status).to.equal(2);
    expect(wrong.stderr).to.contain("cyrop: BAD_REQUEST: from: '2026-12-32' is not a date");

    const database = await openDatabase(env.CYROP_DATA_DIR!);
    const audit = await database.db
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .where('action', 'like', 'course%')
      .execute();
    await database.close();
    expect(audit).to.deep.equal([
      { actor: 'system:cli', action: 'course.created' },
      { actor: 'system:cli', action: 'course-run.created' },
      { actor: 'system:cli', action: 'course-run.enrolled' },
    ]);
  });
});
