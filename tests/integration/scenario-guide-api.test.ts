import { expect } from 'chai';
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import type { EnvironmentPlan } from '../../orchestrator/src/compiler/environment-plan.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import type { AnswerKey } from '../../orchestrator/src/exercises/answer-key.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { compileScenarioFile } from '../../orchestrator/src/scenarios/scenario-folder.ts';
import { FakeRuntimeDriver } from '../../orchestrator/src/runtime/fake/fake-runtime-driver.ts';
import type { ScenarioGuide } from '../../orchestrator/src/scenarios/scenario-guide.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';
import { cyrop, REPO, tinyScenario } from './helpers.ts';
import { checkedFetch } from '../response-check.ts';

type Client = ReturnType<typeof apiClient>;

/**
 * The instructor's scenario page and the per-team answer key through the real server (SQLite store,
 * the shipped catalogue, the in-memory engine): who may read them (the exercise's staff and org
 * admins, the operator; not a trainee, a team participant, another organisation's instructor or an
 * anonymous caller), and that the key is what `cyrop plan --secret` derives for each team.
 */
describe('scenario page and answer key API (real server, SQLite, in-memory engine)', function () {
  this.timeout(120_000);
  let dir: string;
  let platform: RunningPlatform;
  const c: Record<'operator' | 'adminA' | 'instrA' | 'traineeA' | 'instrB' | 'anon' | 'team1', Client> =
    {} as never;
  let exerciseId = '';
  let orgA = '';

  const user = async (operator: Client, orgId: string, email: string, role: string) => {
    const password = `${email} long secret 1`;
    const made = await operator('POST', `/api/organisations/${orgId}/users`, {
      email,
      name: email.split('@')[0],
      role,
      password,
    });
    expect(made.status, made.text).to.equal(201);
    const client = apiClient(platform.url, { checkResponses: true });
    const login = await client('POST', '/api/auth/login', { email, password });
    expect(login.status, login.text).to.equal(200);
    return client;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-guide-api-'));
    const dataDir = path.join(dir, 'data');
    // An imported NICE catalogue (the stored form `cyrop nice import` writes) naming every id the
    // scenario uses: the page gives their names.
    const compiled = compileScenarioFile(path.join(REPO, 'scenarios/web-sqli-pivot/scenario.yaml')).compiled!;
    const used = [
      ...(compiled.scenario.competencies?.statements ?? []),
      ...compiled.scenario.objectives.flatMap((o) => o.competencies ?? []),
    ];
    mkdirSync(path.join(dataDir, 'nice'), { recursive: true });
    writeFileSync(
      path.join(dataDir, 'nice', 'nice-2.1.0.json'),
      JSON.stringify({
        format: 'cyrop-nice-catalogue',
        formatVersion: 1,
        catalogue: {
          framework: 'nice-2.1.0',
          sourceVersion: '2.1.0',
          sourceName: 'test.json',
          sourceTitle: 'test',
          categories: [],
          workRoles: (compiled.scenario.competencies?.workRoles ?? []).map((id) => ({
            id,
            name: `Role ${id}`,
            description: '',
            category: id.slice(0, 2),
            opmCodes: [],
            statements: [],
          })),
          statements: [...new Set(used)].map((id) => ({
            id,
            type: id.startsWith('K') ? 'knowledge' : id.startsWith('S') ? 'skill' : 'task',
            text: `Statement ${id}`,
          })),
          competencyAreas: [],
          warnings: [],
        },
      }),
    );
    const database = await openDatabase(dataDir);
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    platform = await startPlatform(
      loadConfig(
        { CYROP_ENGINE: 'none', CYROP_SUBNET_POOL: '10.251.0.0/16' },
        { port: 0, dataDir, scenariosDir: path.join(REPO, 'scenarios') },
      ),
      pino({ level: 'silent' }),
      { driver: new FakeRuntimeDriver() },
    );
    c.operator = apiClient(platform.url, { checkResponses: true });
    await c.operator('POST', '/api/auth/login', { email: first.email, password: first.password });
    const changed = await c.operator('POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: 'operator secret password 1',
    });
    expect(changed.status, changed.text).to.equal(200);
    const a = await c.operator('POST', '/api/organisations', { name: 'Org A', kind: 'training-company' });
    const b = await c.operator('POST', '/api/organisations', { name: 'Org B', kind: 'customer' });
    orgA = a.body.id as string;
    c.adminA = await user(c.operator, orgA, 'admin@a.example', 'org-admin');
    c.instrA = await user(c.operator, orgA, 'instr@a.example', 'instructor');
    c.traineeA = await user(c.operator, orgA, 'trainee@a.example', 'trainee');
    c.instrB = await user(c.operator, b.body.id as string, 'instr@b.example', 'instructor');
    c.anon = apiClient(platform.url, { checkResponses: true });

    const created = await c.instrA('POST', '/api/exercises', { scenario: 'web-sqli-pivot', teams: 2 });
    expect(created.status, created.text).to.equal(202);
    exerciseId = created.body.id as string;
    const code = await c.instrA('POST', `/api/exercises/${exerciseId}/teams/team-1/join-codes`, {});
    expect(code.status, code.text).to.equal(201);
    c.team1 = apiClient(platform.url, { checkResponses: true });
    const joined = await c.team1('POST', '/api/join', { code: code.body.code, displayName: 'Tomo' });
    expect(joined.status, joined.text).to.equal(200);
    // org A's private scenario
    const upload = await c.instrA('POST', '/api/scenarios', {
      files: { 'scenario.yaml': tinyScenario('a-private'), 'README.md': '# A\n\n## 解き方\n\nAnswer 42.\n' },
    });
    expect(upload.status, upload.text).to.equal(201);
  });
  after(async () => {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives staff a shipped scenario's page: objectives in order, requires, hints, NICE ids, topology, solution", async () => {
    const res = await c.instrA('GET', '/api/scenarios/web-sqli-pivot/versions/1.1.0/guide');
    expect(res.status, res.text).to.equal(200);
    const guide = res.body as unknown as ScenarioGuide;
    expect(guide.objectives.map((o) => [o.id, o.kind, o.points, o.requires])).to.deep.equal([
      ['recon', 'question', 50, []],
      ['login-bypass', 'flag', 150, ['recon']],
      ['dump-token', 'question', 150, ['login-bypass']],
      ['pivot', 'flag', 200, ['dump-token']],
      ['patch', 'check', 250, ['dump-token']],
    ]);
    expect(guide.objectives[1]?.hints.length).to.be.greaterThan(0);
    for (const o of guide.objectives) for (const h of o.hints) expect(h.cost).to.be.a('number');
    expect(guide.objectives[1]?.competencies).to.include('K1079');
    expect(guide.competencies.workRoles).to.deep.equal(['PD-WRL-007', 'DD-WRL-005']);
    expect(guide.competencies.framework).to.equal('nice-2.1.0');
    // names from the imported catalogue
    expect(guide.niceNames['PD-WRL-007']).to.equal('Role PD-WRL-007');
    expect(guide.niceNames['K1079']).to.equal('Statement K1079');
    expect(guide.networks.map((n) => n.name)).to.deep.equal(['dmz', 'internal']);
    expect(guide.hosts.map((h) => [h.name, h.networks.map((n) => n.name), h.console])).to.deep.equal([
      ['attacker', ['dmz'], true],
      ['shop', ['dmz', 'internal'], false],
      ['backup', ['internal'], false],
    ]);
    expect(guide.solution).to.match(/nmap/);
    // the scenario file's story, in both languages (the README's "Story" section is the fallback)
    const story = guide.story as unknown as { en: string; ja: string };
    expect(story.en).to.match(/Kitahama Tea Shop/);
    expect(story.ja).to.match(/北浜茶舗/);
    expect(guide.solution).not.to.match(/^## /m);
    expect(typeof guide.title === 'object' && guide.title.ja).to.be.a('string');
    // no per-team value and no answer in the page of the scenario
    expect(res.text).not.to.match(/"flag"\s*:\s*\{|"answers"/);
    const adminA = await c.adminA('GET', '/api/scenarios/web-sqli-pivot/versions/1.1.0/guide');
    expect(adminA.status).to.equal(200);
  });

  it('refuses the scenario page to anonymous callers and trainees, and hides a private one from other organisations', async () => {
    const shipped = '/api/scenarios/web-sqli-pivot/versions/1.1.0/guide';
    expect((await c.anon('GET', shipped)).status).to.equal(401);
    expect((await c.traineeA('GET', shipped)).status).to.equal(403);
    expect((await c.team1('GET', shipped)).status).to.equal(403);
    expect((await c.instrA('GET', '/api/scenarios/web-sqli-pivot/versions/9.9.9/guide')).status).to.equal(
      404,
    );
    const own = '/api/scenarios/a-private/versions/1.0.0/guide';
    const mine = await c.adminA('GET', own);
    expect(mine.status, mine.text).to.equal(200);
    expect((mine.body as unknown as ScenarioGuide).niceNames).to.deep.equal({});
    expect((mine.body as unknown as ScenarioGuide).solution).to.equal('Answer 42.');
    expect((await c.operator('GET', own)).status).to.equal(200);
    const other = await c.instrB('GET', own);
    expect(other.status).to.equal(404);
    expect(other.text).not.to.match(/42/);
  });

  it("gives the exercise's staff the answer key cyrop plan derives from the exercise secret, per team", async () => {
    const res = await c.instrA('GET', `/api/exercises/${exerciseId}/answer-key`);
    expect(res.status, res.text).to.equal(200);
    const raw = await checkedFetch(new URL(`/api/exercises/${exerciseId}/answer-key`, platform.url), {
      headers: { cookie: c.instrA.cookie() },
    });
    expect(raw.headers.get('cache-control')).to.equal('no-store');
    expect(res.text).not.to.match(/secret/i);
    const key = res.body as unknown as AnswerKey;
    expect(key.teams.map((t) => t.teamId)).to.deep.equal(['team-1', 'team-2']);
    // The same derivation, independently: `cyrop plan` with the secret the store holds.
    const sqlite = new Database(path.join(dir, 'data', 'cyrop.db'), { readonly: true, fileMustExist: true });
    const row = sqlite.prepare('select secret from exercises where id = ?').get(exerciseId) as {
      secret: string;
    };
    sqlite.close();
    const planned = cyrop([
      'plan',
      path.join(REPO, 'scenarios/web-sqli-pivot'),
      '--teams',
      '2',
      '--secret',
      row.secret,
      '--exercise',
      exerciseId,
      '--format',
      'json',
    ]);
    expect(planned.status, planned.stderr).to.equal(0);
    const plans = JSON.parse(planned.stdout) as EnvironmentPlan[];
    for (const [i, team] of key.teams.entries()) {
      const plan = plans[i] as EnvironmentPlan;
      expect(team.objectives.map((o) => o.objectiveId)).to.deep.equal(plan.objectives.map((o) => o.id));
      for (const o of team.objectives) {
        const p = plan.objectives.find((x) => x.id === o.objectiveId)!;
        if (o.expected.match === 'exact') expect(p.flag).to.deep.equal({ exact: o.expected.value });
        if (o.expected.match === 'any-of') expect(p.question?.answers).to.deep.equal(o.expected.values);
        if (o.expected.match === 'check') expect(p.check?.run).to.deep.equal(o.expected.run);
        expect(o.description).to.deep.equal(p.description);
      }
    }
    const flag = (t: number, id: string) => {
      const e = key.teams[t]?.objectives.find((o) => o.objectiveId === id)?.expected;
      return e?.match === 'exact' ? e.value : undefined;
    };
    expect(flag(0, 'login-bypass')).to.be.a('string').and.not.equal(flag(1, 'login-bypass'));
    for (const who of ['adminA', 'operator'] as const) {
      const other = await c[who]('GET', `/api/exercises/${exerciseId}/answer-key`);
      expect(other.status, who).to.equal(200);
      expect((other.body as unknown as AnswerKey).teams).to.deep.equal(key.teams);
    }
  });

  it('refuses the answer key to a trainee, a team participant, another organisation and anonymous callers', async () => {
    const key = (await c.instrA('GET', `/api/exercises/${exerciseId}/answer-key`))
      .body as unknown as AnswerKey;
    const flag = key.teams[0]?.objectives.find((o) => o.expected.match === 'exact');
    const secretText = flag?.expected.match === 'exact' ? flag.expected.value : 'no flag';
    const expected = { anon: 401, traineeA: 403, team1: 403, instrB: 404 } as const;
    for (const [who, status] of Object.entries(expected) as [keyof typeof expected, number][]) {
      for (const url of [
        `/api/exercises/${exerciseId}/answer-key`,
        `/api/exercises/${exerciseId}/answer-key?format=csv`,
        `/api/exercises/${exerciseId}/scenario-guide`,
      ]) {
        const res = await c[who]('GET', url);
        expect(res.status, `${who} ${url}`).to.equal(status);
        expect(res.text, `${who} ${url}`).not.to.include(secretText);
      }
    }
    // an exercise that does not exist answers the same as another organisation's
    expect((await c.instrA('GET', '/api/exercises/no-such-exercise/answer-key')).status).to.equal(404);
  });

  it('downloads the answer key as CSV (UTF-8 with BOM, one row per team and objective, titles in the language asked)', async () => {
    const res = await checkedFetch(
      new URL(`/api/exercises/${exerciseId}/answer-key?format=csv&lang=ja`, platform.url),
      {
        headers: { cookie: c.instrA.cookie() },
      },
    );
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/csv; charset=utf-8/);
    expect(res.headers.get('content-disposition')).to.equal(
      `attachment; filename="${exerciseId}-answer-key.csv"`,
    );
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes.slice(3)).trimEnd().split('\r\n');
    expect(lines[0]).to.equal(
      'team_id,team_name,objective_id,objective_title,kind,points,match,answer,also_accepted,case_sensitive',
    );
    expect(lines.length).to.equal(1 + 2 * 5);
    const key = (await c.instrA('GET', `/api/exercises/${exerciseId}/answer-key`))
      .body as unknown as AnswerKey;
    const bypass = key.teams[0]?.objectives.find((o) => o.objectiveId === 'login-bypass')?.expected;
    expect(bypass?.match).to.equal('exact');
    const row = lines.find((l) => l.startsWith('team-1,Team 1,login-bypass,'));
    expect(row).to.include(bypass?.match === 'exact' ? `,exact,${bypass.value},` : 'missing');
    expect(row).to.match(/[\u3040-\u30ff\u4e00-\u9fff]/); // the Japanese title
  });

  it('audits each reading of the answer key, for the organisation of the exercise', async () => {
    const res = await c.adminA('GET', `/api/audit?action=exercise.answer-key`);
    expect(res.status, res.text).to.equal(200);
    const entries = res.body.entries as { action: string; target: string; details: { format: string } }[];
    expect(entries.length).to.be.greaterThan(3);
    expect(entries.every((e) => e.action === 'exercise.answer-key' && e.target === exerciseId)).to.equal(
      true,
    );
    expect(entries.map((e) => e.details.format)).to.include.members(['csv', 'json']);
  });

  it("gives the exercise's staff the page of the version it was planned from (pinned hash)", async () => {
    const res = await c.instrA('GET', `/api/exercises/${exerciseId}/scenario-guide`);
    expect(res.status, res.text).to.equal(200);
    const body = res.body as { pinned: { version: string; current: boolean }; guide: ScenarioGuide };
    expect(body.pinned).to.include({ version: '1.1.0', current: true });
    expect(body.guide.id).to.equal('web-sqli-pivot');
    expect((await c.adminA('GET', `/api/exercises/${exerciseId}/scenario-guide`)).status).to.equal(200);
  });

  it('still gives the answer key when the files the exercise was planned from no longer compile', async () => {
    const created = await c.instrA('POST', '/api/exercises', { scenario: 'a-private', teams: 1 });
    expect(created.status, created.text).to.equal(202);
    const id = created.body.id as string;
    writeFileSync(
      path.join(dir, 'data', 'scenarios', 'a-private', '1.0.0', 'scenario.yaml'),
      'kind: [broken\n',
    );
    const page = await c.instrA('GET', `/api/exercises/${id}/scenario-guide`);
    expect(page.status, page.text).to.equal(422);
    expect((page.body.error as { code: string }).code).to.equal('SCENARIO_INVALID');
    const key = await c.instrA('GET', `/api/exercises/${id}/answer-key`);
    expect(key.status, key.text).to.equal(200);
    expect((key.body as unknown as AnswerKey).teams[0]?.objectives[0]?.expected).to.deep.equal({
      match: 'any-of',
      values: ['42'],
      caseSensitive: false,
    });
  });

  it('documents the three operations in the OpenAPI document with typed responses', async () => {
    const doc = (await c.anon('GET', '/api/openapi.json')).body as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.paths['/api/scenarios/{id}/versions/{version}/guide']?.get?.operationId).to.equal(
      'getScenarioGuide',
    );
    expect(doc.paths['/api/exercises/{id}/answer-key']?.get?.operationId).to.equal('getExerciseAnswerKey');
    expect(doc.paths['/api/exercises/{id}/scenario-guide']?.get?.operationId).to.equal(
      'getExerciseScenarioGuide',
    );
    expect(doc.components.schemas).to.include.keys('ScenarioGuide', 'AnswerKey');
  });
});
