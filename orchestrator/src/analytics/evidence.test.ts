import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimMembership } from '../accounts/team-members.ts';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import { niceTestData } from '../nice/nice-test-data.ts';
import { ScoringService } from '../scoring-service/scoring-service.ts';
import { ScoringStore } from '../scoring-service/scoring-store.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import {
  answer,
  evidencePlans,
  evidenceScenario,
  insertExercise,
  insertOrg,
  insertUser,
  mappingOf,
} from './analytics-test-data.ts';
import { EvidenceReader, formatRoleProgress, type Evidence } from './evidence.ts';
import { buildTranscript } from './transcript.ts';

const EX = 'ex-evidence';
const DAY0 = Date.UTC(2026, 3, 1, 14, 30); // 2026-04-01 23:30 in Tokyo

describe('analytics evidence (real database, real scoring service)', function () {
  this.timeout(20_000);
  let dir: string;
  let database: OpenedDatabase;
  let scoring: ScoringService;
  let reader: EvidenceReader;
  let plans: EnvironmentPlan[];
  let now = DAY0;
  const v210 = niceTestData.catalogue('v210');

  beforeEach(async () => {
    now = DAY0;
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-evidence-'));
    database = await openDatabase(dir);
    plans = evidencePlans(EX, 2);
    scoring = new ScoringService({
      store: new ScoringStore(database.sqlite),
      plans: (id) => Promise.resolve(id === EX ? plans : []),
      clock: () => now,
    });
    const scenario = mappingOf(evidenceScenario());
    reader = new EvidenceReader({
      db: database.db,
      scenario: (id, version) => (id === scenario.id && version === scenario.version ? scenario : undefined),
      catalogue: (f) => Promise.resolve(f === 'nice-2.1.0' ? v210 : undefined),
    });
    const db = database.db;
    await insertOrg(db, 'org-1', now);
    for (const u of ['alice', 'bob', 'carol', 'late']) await insertUser(db, u, 'org-1', 'trainee', now);
    await insertExercise(db, {
      id: EX,
      orgId: 'org-1',
      scenarioId: 'evidence-test',
      version: '1.0.0',
      at: now,
      teams: plans,
    });
    const join = (teamId: string, userId: string | null, name: string) =>
      claimMembership(db, { exerciseId: EX, teamId, displayName: name, userId, now });
    await join('team-1', 'alice', 'Alice');
    await join('team-1', 'bob', 'Bob');
    await join('team-2', 'carol', 'Carol');
    await join('team-1', null, 'Anonymous');
    await scoring.start(EX);
  });
  afterEach(async () => {
    await scoring.stopTimers();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const submit = async (team: string, objective: string, text: string, user?: string) => {
    now += 60_000;
    return scoring.submit(EX, team, objective, text, user);
  };
  const ids = (e: Evidence) => e.frameworks.flatMap((f) => f.statements.map((s) => s.id)).sort();

  it('a solved objective adds exactly its statements to the trainee, the teammates and the team; the other team none', async () => {
    expect((await submit('team-1', 'recon', '8080', 'alice')).outcome).to.equal('correct');
    const alice = await reader.forTrainee('alice');
    expect(ids(alice)).to.deep.equal(['K1193', 'T1084']);
    const solved = alice.exercises[0]!.objectivesSolved;
    expect(solved.map((o) => [o.id, o.solvedBy, o.solvedAt])).to.deep.equal([
      ['recon', 'alice', DAY0 + 60_000],
    ]);
    // Bob is on the same team: the same statements, and the solve says Alice submitted it
    const bob = await reader.forTrainee('bob');
    expect(ids(bob)).to.deep.equal(['K1193', 'T1084']);
    expect(bob.exercises[0]!.objectivesSolved[0]!.solvedBy).to.equal('alice');
    expect(ids(await reader.forTeam(EX, 'team-1'))).to.deep.equal(['K1193', 'T1084']);
    expect(ids(await reader.forTrainee('carol'))).to.deep.equal([]);
    expect(ids(await reader.forTeam(EX, 'team-2'))).to.deep.equal([]);
    const s = alice.frameworks[0]!.statements.find((x) => x.id === 'T1084')!;
    expect(s.text).to.equal(v210.statements.find((x) => x.id === 'T1084')!.text);
    expect(s.exerciseIds).to.deep.equal([EX]);
  });

  it('wrong answers, locked objectives and another team’s flag add nothing', async () => {
    expect((await submit('team-1', 'recon', '9090', 'alice')).outcome).to.equal('wrong');
    // contain requires capture: locked for team-1
    expect((await submit('team-1', 'contain', answer(plans, 'team-1', 'contain'), 'alice')).outcome).to.equal(
      'locked',
    );
    expect((await submit('team-1', 'capture', answer(plans, 'team-2', 'capture'), 'alice')).outcome).to.equal(
      'wrong',
    );
    const alice = await reader.forTrainee('alice');
    expect(ids(alice)).to.deep.equal([]);
    expect(alice.exercises[0]!.objectivesSolved).to.deep.equal([]);
    expect(alice.exercises[0]!.scenarioStatements).to.equal(null);
  });

  it('competency areas count in no statement list; the scenario’s own statements come with the last objective', async () => {
    await submit('team-1', 'recon', '8080', 'alice');
    await submit('team-1', 'capture', answer(plans, 'team-1', 'capture'), 'bob');
    let team = await reader.forTeam(EX, 'team-1');
    expect(ids(team)).to.deep.equal(['K1089', 'K1193', 'S0875', 'T1084']);
    expect(team.exercises[0]!.objectivesSolved[1]!.statementIds).to.include('NF-COM-007');
    await submit('team-1', 'contain', answer(plans, 'team-1', 'contain'), 'bob');
    team = await reader.forTeam(EX, 'team-1');
    expect(ids(team)).to.deep.equal(['K0939', 'K1089', 'K1193', 'S0156', 'S0875', 'T1084', 'T1323']);
    expect(team.exercises[0]!.scenarioStatements).to.deep.equal({
      at: DAY0 + 180_000,
      statementIds: ['K0939', 'S0156'],
    });
  });

  it('progress per work role counts the role’s statements demonstrated, of NIST’s total for the role', async () => {
    await submit('team-1', 'recon', '8080', 'alice');
    await submit('team-1', 'capture', answer(plans, 'team-1', 'capture'), 'alice');
    const alice = await reader.forTrainee('alice');
    const demonstrated = new Set(ids(alice));
    for (const role of alice.frameworks[0]!.roles) {
      const nist = new Set(v210.workRoles.find((r) => r.id === role.id)!.statements);
      expect(role.total, role.id).to.equal(nist.size);
      expect(role.demonstrated, role.id).to.equal([...nist].filter((id) => demonstrated.has(id)).length);
    }
    // the scenario names PD-WRL-001: it is listed even at 0
    const pd = alice.frameworks[0]!.roles.find((r) => r.id === 'PD-WRL-001')!;
    expect(formatRoleProgress(pd)).to.match(
      /^\d+ of 206 statements of PD-WRL-001 \(Defensive Cybersecurity\) demonstrated$/,
    );
  });

  it('a member who joined after a solve does not get it; an anonymous join has evidence only through the team', async () => {
    await submit('team-1', 'recon', '8080', 'alice');
    now += 60_000;
    await claimMembership(database.db, {
      exerciseId: EX,
      teamId: 'team-1',
      displayName: 'Late',
      userId: 'late',
      now,
    });
    expect(ids(await reader.forTrainee('late'))).to.deep.equal([]);
    await submit('team-1', 'capture', answer(plans, 'team-1', 'capture'), undefined);
    const late = await reader.forTrainee('late');
    expect(ids(late)).to.deep.equal(['K1089', 'S0875']);
    expect(late.exercises[0]!.objectivesSolved[0]!.solvedBy).to.equal(null);
    const klass = await reader.forClass(EX);
    expect(klass.map((m) => [m.displayName, ids(m.evidence).length])).to.deep.equal([
      ['Alice', 4],
      ['Bob', 4],
      ['Carol', 0],
      ['Late', 2],
    ]);
  });

  it('an exercise of a scenario no longer in the catalogue is reported, not silently dropped', async () => {
    await insertExercise(database.db, {
      id: 'ex-gone',
      orgId: 'org-1',
      scenarioId: 'gone',
      version: '9.9.9',
      at: now,
      teams: 1,
    });
    await claimMembership(database.db, {
      exerciseId: 'ex-gone',
      teamId: 'team-1',
      displayName: 'Alice',
      userId: 'alice',
      now,
    });
    const alice = await reader.forTrainee('alice');
    expect(alice.unresolved).to.deep.equal([
      {
        exerciseId: 'ex-gone',
        scenario: 'gone@9.9.9',
        reason: 'the scenario version is not in the catalogue',
      },
    ]);
  });

  it('builds the transcript document: each statement once with its first date (platform time zone), role progress', async () => {
    await submit('team-1', 'recon', '8080', 'alice'); // 23:31 in Tokyo on 04-01
    now += 3_600_000; // the next solve is on 04-02 in Tokyo
    await submit('team-1', 'capture', answer(plans, 'team-1', 'capture'), 'bob');
    const doc = buildTranscript(await reader.forTrainee('alice'), {
      trainee: { name: 'Alice', email: 'alice@example.test' },
      issuedAt: now,
    });
    expect(doc.framework).to.equal('nice-2.1.0');
    expect(doc.issuedOn).to.equal('2026-04-02');
    expect(doc.exercises).to.have.length(1);
    expect(doc.exercises[0]!.startedOn).to.equal('2026-04-01');
    expect(doc.exercises[0]!.scenario.title).to.deep.equal({ en: 'Evidence test', ja: '証跡テスト' });
    expect(doc.exercises[0]!.objectivesSolved.map((o) => [o.id, o.solvedOn, o.title.ja])).to.deep.equal([
      ['recon', '2026-04-01', 'ポートは？'],
      ['capture', '2026-04-02', 'Capture'],
    ]);
    expect(doc.statements.map((s) => [s.id, s.firstDemonstratedOn])).to.deep.equal([
      ['K1193', '2026-04-01'],
      ['T1084', '2026-04-01'],
      ['K1089', '2026-04-02'],
      ['S0875', '2026-04-02'],
    ]);
    expect(doc.roles.find((r) => r.id === 'PD-WRL-001')).to.deep.include({ total: 206 });
  });
});
