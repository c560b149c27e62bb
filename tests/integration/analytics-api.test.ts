import { expect } from 'chai';
import { pdfPages } from '../../orchestrator/src/documents/pdf-test-tools.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Principal } from '../../orchestrator/src/access/principal.ts';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { claimMembership } from '../../orchestrator/src/accounts/team-members.ts';
import { AnalyticsService } from '../../orchestrator/src/analytics/analytics-service.ts';
import {
  answer,
  EVIDENCE_SCENARIO,
  evidencePlans,
  insertExercise,
  insertOrg,
  insertUser,
} from '../../orchestrator/src/analytics/analytics-test-data.ts';
import { createApp } from '../../orchestrator/src/api/create-app.ts';
import { analyticsRoutes } from '../../orchestrator/src/api/routes/analytics-routes.ts';
import type { TranscriptDocument } from '../../orchestrator/src/documents/document-types.ts';
import { PdfRenderer } from '../../orchestrator/src/documents/pdf-renderer.ts';
import { NiceCatalogueStore } from '../../orchestrator/src/nice/nice-catalogue-store.ts';
import { niceTestData } from '../../orchestrator/src/nice/nice-test-data.ts';
import { ScenarioCatalogue } from '../../orchestrator/src/scenarios/scenario-catalogue.ts';
import { ScenarioLibrary } from '../../orchestrator/src/scenarios/scenario-library.ts';
import { ScenarioUploads } from '../../orchestrator/src/scenarios/scenario-uploads.ts';
import { ScoringService } from '../../orchestrator/src/scoring-service/scoring-service.ts';
import { ScoringStore } from '../../orchestrator/src/scoring-service/scoring-store.ts';
import { openDatabase, type OpenedDatabase } from '../../orchestrator/src/store/database.ts';
import { checkedFetch } from '../response-check.ts';

const EX = 'ex-analytics';
const T0 = Date.UTC(2026, 3, 1, 1, 0);
const user = (
  userId: string,
  orgId: string,
  role: 'operator' | 'org-admin' | 'instructor' | 'trainee',
): Principal => ({
  kind: 'user',
  userId,
  orgId,
  role,
  name: userId,
});
const operator = user('op', 'org-op', 'operator');
const alice = user('alice', 'org-1', 'trainee');
const bob = user('bob', 'org-1', 'trainee');
const instr1 = user('instr1', 'org-1', 'instructor');
const admin1 = user('admin1', 'org-1', 'org-admin');
const instr2 = user('instr2', 'org-2', 'instructor');
/** Another instructor of org-1: EX is instr1's class, not theirs (until they are assigned to it). */
const instr3 = user('instr3', 'org-1', 'instructor');
const anon1: Principal = { kind: 'participant', exerciseId: EX, teamId: 'team-1', name: 'Anon' };

describe('analytics API: coverage, gaps, evidence, class, transcript, usage — who may read what', function () {
  this.timeout(30_000);
  let dir: string;
  let database: OpenedDatabase;
  let server: Server;
  let url: string;
  let scoring: ScoringService;
  /** The audit entries the routes wrote: action, target, by whom, details. */
  const audited: { action: string; target: string; by: string; details: Record<string, unknown> }[] = [];
  const pdf = new PdfRenderer();

  const call = async (principal: Principal | undefined, path: string) => {
    const res = await checkedFetch(url + path, {
      headers: principal ? { 'x-test-principal': JSON.stringify(principal) } : {},
    });
    // bytes as sent (fetch's text() would drop a byte-order mark)
    const text = Buffer.from(await res.arrayBuffer()).toString('utf8');
    let body: unknown = text;
    if (res.headers.get('content-type')?.includes('json')) body = JSON.parse(text);
    return {
      status: res.status,
      body: body as Record<string, unknown>,
      text,
      type: res.headers.get('content-type'),
    };
  };

  const send = async (principal: Principal, method: 'PUT' | 'DELETE', path: string) => {
    const res = await fetch(url + path, {
      method,
      headers: { 'x-test-principal': JSON.stringify(principal) },
    });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown> };
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-analytics-api-'));
    const shipped = path.join(dir, 'catalogue');
    mkdirSync(path.join(shipped, 'evidence-test'), { recursive: true });
    writeFileSync(path.join(shipped, 'evidence-test', 'scenario.yaml'), EVIDENCE_SCENARIO);
    const data = path.join(dir, 'data');
    const nice = new NiceCatalogueStore(data);
    await nice.import(niceTestData.path('v210'));
    database = await openDatabase(data);
    const db = database.db;
    for (const org of ['org-op', 'org-1', 'org-2']) await insertOrg(db, org, T0);
    for (const p of [operator, alice, bob, instr1, admin1, instr2, instr3])
      if (p.kind === 'user') await insertUser(db, p.userId, p.orgId, p.role, T0);
    const plans = evidencePlans(EX, 2);
    await insertExercise(db, {
      id: EX,
      orgId: 'org-1',
      scenarioId: 'evidence-test',
      version: '1.0.0',
      at: T0,
      teams: plans,
      createdBy: 'instr1',
    });
    const join = (teamId: string, userId: string | null, name: string) =>
      claimMembership(db, { exerciseId: EX, teamId, displayName: name, userId, now: T0 });
    await join('team-1', 'alice', 'Alice');
    await join('team-2', 'bob', 'Bob');
    await join('team-1', null, 'Anon');
    let now = T0;
    scoring = new ScoringService({
      store: new ScoringStore(database.sqlite),
      plans: () => Promise.resolve(plans),
      clock: () => (now += 60_000),
    });
    await scoring.start(EX);
    expect((await scoring.submit(EX, 'team-1', 'recon', '8080', 'alice')).outcome).to.equal('correct');
    expect(
      (await scoring.submit(EX, 'team-1', 'capture', answer(plans, 'team-1', 'capture'), 'alice')).outcome,
    ).to.equal('correct');
    expect((await scoring.submit(EX, 'team-2', 'recon', '8080', 'bob')).outcome).to.equal('correct');

    const scenarios = await new ScenarioLibrary({
      db,
      catalogue: new ScenarioCatalogue(shipped).load(),
      uploads: new ScenarioUploads(path.join(data, 'scenarios')),
    }).init();
    const accounts = new AccountService({ db });
    const app = createApp({
      scenarios,
      logger: pino({ level: 'silent' }),
      authenticate: (req) => {
        const header = req.headers['x-test-principal'];
        return Promise.resolve(typeof header === 'string' ? (JSON.parse(header) as Principal) : undefined);
      },
      routes: (api) => {
        analyticsRoutes(api, {
          analytics: new AnalyticsService({ db, scenarios, nice, clock: () => T0 + 86_400_000 }),
          canWatch: (p, id) => accounts.canWatchExercise(p, id),
          audit: (actor, action, target, details) => {
            audited.push({ action, target, by: actor.kind === 'user' ? actor.userId : actor.kind, details });
            return Promise.resolve();
          },
          pdf,
        });
      },
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await pdf.close();
    await scoring.stopTimers();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const statementIds = (body: Record<string, unknown>) =>
    (body['frameworks'] as { statements: { id: string }[] }[])
      .flatMap((f) => f.statements.map((s) => s.id))
      .sort();

  it('a trainee reads their own evidence, never another trainee’s', async () => {
    const own = await call(alice, '/api/analytics/trainees/alice/evidence');
    expect(own.status).to.equal(200);
    expect(statementIds(own.body)).to.deep.equal(['K1089', 'K1193', 'S0875', 'T1084']);
    const other = await call(alice, '/api/analytics/trainees/bob/evidence');
    expect(other.status).to.equal(404);
    expect(JSON.stringify(other.body)).to.not.contain('T1084');
    expect((await call(bob, '/api/analytics/trainees/bob/evidence')).status).to.equal(200);
    expect((await call(undefined, '/api/analytics/trainees/alice/evidence')).status).to.equal(401);
  });

  it('staff read the evidence of their organisation’s exercises only; the operator all', async () => {
    for (const p of [instr1, admin1, operator]) {
      const r = await call(p, '/api/analytics/trainees/alice/evidence');
      expect(r.status, p.kind === 'user' ? p.userId : '').to.equal(200);
      expect(statementIds(r.body)).to.deep.equal(['K1089', 'K1193', 'S0875', 'T1084']);
    }
    expect((await call(instr2, '/api/analytics/trainees/alice/evidence')).status).to.equal(404);
    const klass = await call(instr1, `/api/analytics/exercises/${EX}/class`);
    expect(klass.status).to.equal(200);
    const members = klass.body['members'] as { userId: string; evidence: Record<string, unknown> }[];
    expect(members.map((m) => [m.userId, statementIds(m.evidence).length])).to.deep.equal([
      ['alice', 4],
      ['bob', 2],
    ]);
    expect((await call(instr2, `/api/analytics/exercises/${EX}/class`)).status).to.equal(404);
    expect((await call(alice, `/api/analytics/exercises/${EX}/class`)).status).to.equal(403);
  });

  it('an instructor’s class is the exercises they launched or are assigned to: instructor B cannot read instructor A’s', async () => {
    // instr3 is an instructor of the same organisation who did not launch EX
    expect((await call(instr3, `/api/analytics/exercises/${EX}/class`)).status).to.equal(404);
    expect((await call(instr3, `/api/analytics/exercises/${EX}/teams/team-1/evidence`)).status).to.equal(404);
    const hidden = await call(instr3, '/api/analytics/trainees/alice/evidence');
    expect(hidden.status).to.equal(404);
    expect(hidden.text).to.not.contain('T1084');
    expect((await call(instr3, '/api/analytics/trainees/alice/transcript')).status).to.equal(404);
    // the org-admin sees the whole organisation, the launcher their class
    expect((await call(admin1, `/api/analytics/exercises/${EX}/class`)).status).to.equal(200);
    expect((await call(instr1, `/api/analytics/exercises/${EX}/class`)).status).to.equal(200);
    // only an org-admin (or the operator) assigns; instructors cannot assign themselves
    const assign = `/api/exercises/${EX}/instructors/instr3`;
    expect((await send(instr3, 'PUT', assign)).status).to.equal(403);
    expect((await send(instr2, 'PUT', assign)).status).to.equal(403);
    expect((await send(user('admin2', 'org-2', 'org-admin'), 'PUT', assign)).status).to.equal(404);
    // only an instructor of the exercise's organisation can be assigned
    expect((await send(admin1, 'PUT', `/api/exercises/${EX}/instructors/instr2`)).status).to.equal(404);
    expect((await send(admin1, 'PUT', `/api/exercises/${EX}/instructors/alice`)).status).to.equal(404);
    const put = await send(admin1, 'PUT', assign);
    expect(put.status, put.text).to.equal(200);
    expect(put.body).to.deep.equal({ exerciseId: EX, userId: 'instr3', assigned: true });
    expect((await send(admin1, 'PUT', assign)).status, 'idempotent').to.equal(200);
    // assigned to EX, instr3 reads it too
    expect((await call(instr3, `/api/analytics/exercises/${EX}/class`)).status).to.equal(200);
    const shown = await call(instr3, '/api/analytics/trainees/alice/evidence');
    expect(shown.status).to.equal(200);
    expect(statementIds(shown.body)).to.deep.equal(['K1089', 'K1193', 'S0875', 'T1084']);
    // taken off, not any more
    expect((await send(admin1, 'DELETE', assign)).status).to.equal(200);
    expect((await call(instr3, `/api/analytics/exercises/${EX}/class`)).status).to.equal(404);
    expect((await call(instr3, '/api/analytics/trainees/alice/evidence')).status).to.equal(404);
    // each change of who may read the class is audited; refused attempts are not
    expect(audited).to.deep.equal([
      { action: 'exercise.instructor-assign', target: EX, by: 'admin1', details: { instructor: 'instr3' } },
      { action: 'exercise.instructor-assign', target: EX, by: 'admin1', details: { instructor: 'instr3' } },
      { action: 'exercise.instructor-unassign', target: EX, by: 'admin1', details: { instructor: 'instr3' } },
    ]);
  });

  it('a team’s evidence: its own participants (anonymous joins) and the exercise’s staff', async () => {
    const own = await call(anon1, `/api/analytics/exercises/${EX}/teams/team-1/evidence`);
    expect(own.status).to.equal(200);
    expect(statementIds(own.body)).to.deep.equal(['K1089', 'K1193', 'S0875', 'T1084']);
    expect((await call(anon1, `/api/analytics/exercises/${EX}/teams/team-2/evidence`)).status).to.equal(404);
    expect((await call(instr1, `/api/analytics/exercises/${EX}/teams/team-2/evidence`)).status).to.equal(200);
    expect((await call(instr2, `/api/analytics/exercises/${EX}/teams/team-2/evidence`)).status).to.equal(404);
    expect((await call(alice, `/api/analytics/exercises/${EX}/teams/team-1/evidence`)).status).to.equal(404);
    expect((await call(instr1, `/api/analytics/exercises/${EX}/teams/team-9/evidence`)).status).to.equal(404);
  });

  it('the transcript data is a TranscriptDocument, for the same readers as the evidence', async () => {
    const r = await call(alice, '/api/analytics/trainees/alice/transcript');
    expect(r.status).to.equal(200);
    const doc = r.body as unknown as TranscriptDocument;
    expect(doc.issuedOn).to.equal('2026-04-02');
    expect(doc.trainee).to.deep.equal({
      name: 'Name alice',
      email: 'alice@example.test',
      organisation: 'org-1',
    });
    expect(doc.framework).to.equal('nice-2.1.0');
    expect(doc.exercises.map((e) => [e.exerciseId, e.objectivesSolved.map((o) => o.id)])).to.deep.equal([
      [EX, ['recon', 'capture']],
    ]);
    expect(doc.statements.map((s) => s.id).sort()).to.deep.equal(['K1089', 'K1193', 'S0875', 'T1084']);
    expect(doc.roles.find((x) => x.id === 'PD-WRL-001')).to.deep.include({ total: 206 });
    expect((await call(bob, '/api/analytics/trainees/alice/transcript')).status).to.equal(404);
  });

  it('the transcript as PDF in Japanese and English, and as CSV, for the same readers', async () => {
    for (const [lang, words] of [
      ['ja', ['Name alice', 'K1089', 'T1084', 'PD-WRL-001', '2026年4月2日']],
      ['en', ['Name alice', 'K1089', 'T1084', 'PD-WRL-001', '2 April 2026']],
    ] as const) {
      const res = await checkedFetch(
        `${url}/api/analytics/trainees/alice/transcript?format=pdf&lang=${lang}`,
        {
          headers: { 'x-test-principal': JSON.stringify(alice) },
        },
      );
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/pdf');
      expect(res.headers.get('content-disposition')).to.equal(
        `attachment; filename="transcript-2026-04-02-${lang}.pdf"`,
      );
      const text = pdfPages(Buffer.from(await res.arrayBuffer())).join('\n');
      for (const w of words) expect(text, `${lang} PDF`).to.include(w);
    }
    const csv = await call(alice, '/api/analytics/trainees/alice/transcript?format=csv&lang=ja');
    expect(csv.status).to.equal(200);
    expect(csv.text.startsWith('\uFEFF')).to.equal(true);
    expect(csv.text).to.include('K1089');
    expect((await call(bob, '/api/analytics/trainees/alice/transcript?format=pdf')).status).to.equal(404);
  });

  it('the config lists every framework version with NIST’s name and whether it is imported, to anyone signed in', async () => {
    for (const p of [alice, instr1, anon1]) {
      const r = await call(p, '/api/analytics/config');
      expect(r.status, r.text).to.equal(200);
      // only v2.1.0 is imported in this data directory
      expect(r.body['frameworks']).to.deep.equal([
        {
          id: 'nice-sp800-181r0',
          label: 'NICE Framework, NIST SP 800-181 (2017)',
          sourceVersion: null,
          imported: false,
        },
        { id: 'nice-1.0.0', label: 'NICE Framework Components v1.0.0', sourceVersion: null, imported: false },
        { id: 'nice-2.0.0', label: 'NICE Framework Components v2.0.0', sourceVersion: null, imported: false },
        {
          id: 'nice-2.1.0',
          label: 'NICE Framework Components v2.1.0',
          sourceVersion: '2.1.0',
          imported: true,
        },
      ]);
      expect(r.body['defaultFramework']).to.equal('nice-2.1.0');
      // the zone of the transcript's dates (issuedOn below) and of YYYY-MM-DD periods
      expect(r.body['timeZone']).to.equal('Asia/Tokyo');
    }
    expect((await call(undefined, '/api/analytics/config')).status).to.equal(401);
  });

  it('coverage names each category as the framework file does', async () => {
    const r = await call(instr1, '/api/analytics/coverage');
    const categories = r.body['categories'] as { id: string; name: string }[];
    expect(categories.map((c) => c.id).sort()).to.deep.equal(['DD', 'IN', 'IO', 'OG', 'PD']);
    expect(categories.find((c) => c.id === 'OG')?.name).to.equal('OVERSIGHT and GOVERNANCE');
    const roles = r.body['byRole'] as { id: string; category: string }[];
    expect(roles.find((x) => x.id === 'PD-WRL-001')?.category).to.equal('PD');
  });

  it('coverage and gaps for staff, JSON and CSV with a BOM, every figure with its denominator', async () => {
    const r = await call(instr1, '/api/analytics/coverage?role=PD-WRL-001');
    expect(r.status, r.text).to.equal(200);
    // recon + capture + contain + scenario level: T1084 K1193 S0875 K1089 T1323 K0939 S0156
    expect(r.body['overall']).to.deep.equal({ covered: 7, total: 2148, percent: 0.3 });
    const csv = await call(instr1, '/api/analytics/coverage?format=csv');
    expect(csv.type).to.match(/^text\/csv/);
    expect(csv.text.startsWith('\ufeffscope,id,name,type,covered,total,percent,basis\r\n')).to.equal(true);
    expect(csv.text).to.contain('overall,nice-2.1.0,,,7,2148,0.3,direct\r\n');
    expect(csv.text).to.match(/\r\nrole-type,PD-WRL-001,[^,]+,skill,\d+,\d+,/);
    const gaps = await call(admin1, '/api/analytics/gaps?role=PD-WRL-001&format=csv');
    expect(gaps.status).to.equal(200);
    expect(gaps.text.split('\r\n')[0]).to.equal('\ufeffwork_role,statement_id,type,text');
    // crosswalk=true adds its own section (checked against the document like every answer); the
    // direct figures stay as they were
    const crossed = await call(instr1, '/api/analytics/coverage?crosswalk=true');
    expect(crossed.status, crossed.text).to.equal(200);
    expect(crossed.body['overall']).to.deep.equal({ covered: 7, total: 2148, percent: 0.3 });
    const section = crossed.body['crosswalked'] as {
      addedOnly: { total: number };
      sources: unknown[];
      rule: string;
    };
    expect(section.addedOnly.total).to.equal(2148);
    expect(section.sources).to.be.an('array');
    expect(section.rule).to.be.a('string').and.not.equal('');
    expect((await call(instr1, '/api/analytics/coverage')).body).to.not.have.property('crosswalked');
    expect((await call(alice, '/api/analytics/coverage')).status).to.equal(403);
    expect((await call(undefined, '/api/analytics/gaps?role=PD-WRL-001')).status).to.equal(401);
    expect((await call(instr1, '/api/analytics/gaps?role=PD-WRL-999')).status).to.equal(400);
    expect((await call(instr1, '/api/analytics/coverage?framework=nice-2.0.0')).status).to.equal(404); // not imported
    expect((await call(instr1, '/api/analytics/coverage?scope=org&org=org-2')).status).to.equal(404);
    // org-1 uploaded nothing: its own catalogue covers nothing, of the same denominator
    const own = await call(instr1, '/api/analytics/coverage?scope=org');
    expect(own.body['overall']).to.deep.equal({ covered: 0, total: 2148, percent: 0 });
    expect(own.body['scope']).to.deep.equal({ kind: 'org', orgId: 'org-1' });
    const chosen = await call(instr1, '/api/analytics/coverage?scope=scenarios&scenarios=evidence-test');
    expect((chosen.body['overall'] as { covered: number }).covered).to.equal(7);
    expect((await call(instr1, '/api/analytics/coverage?scope=scenarios&scenarios=nope')).status).to.equal(
      404,
    );
  });

  it('material use: staff their organisation, the operator any; trainees none', async () => {
    const own = await call(instr1, '/api/analytics/usage?from=2026-04-01&to=2026-04-30');
    expect(own.status, own.text).to.equal(200);
    expect(own.body['orgId']).to.equal('org-1');
    expect(own.body['utilisation']).to.deep.equal({ covered: 1, total: 1, percent: 100 });
    expect(
      (await call(instr2, '/api/analytics/usage?from=2026-04-01&to=2026-04-30')).body['launches'],
    ).to.equal(0);
    expect(
      (await call(instr2, '/api/analytics/usage?from=2026-04-01&to=2026-04-30&org=org-1')).status,
    ).to.equal(404);
    const all = await call(operator, '/api/analytics/usage?from=2026-04-01&to=2026-04-30&format=csv');
    expect(all.text).to.match(/^\ufeffscenario_id,title,in_catalogue,launches/);
    expect(all.text).to.contain('evidence-test,Evidence test,yes,1,1,2,3,');
    expect((await call(alice, '/api/analytics/usage?from=2026-04-01&to=2026-04-30')).status).to.equal(403);
    expect((await call(operator, '/api/analytics/usage?from=2026-04-30&to=2026-04-01')).status).to.equal(400);
  });
});
