import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimMembership } from '../accounts/team-members.ts';
import { ScoringStore } from '../scoring-service/scoring-store.ts';
import { ScoringService } from '../scoring-service/scoring-service.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import { evidencePlans, insertExercise, insertOrg, insertUser } from './analytics-test-data.ts';
import { usageReport } from './usage.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 3, 1);

describe('analytics material use (real database)', function () {
  this.timeout(20_000);
  let dir: string;
  let database: OpenedDatabase;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-usage-'));
    database = await openDatabase(dir);
    await insertOrg(database.db, 'org-1', T0);
    await insertOrg(database.db, 'org-2', T0);
    for (const u of ['u1', 'u2', 'u3']) await insertUser(database.db, u, 'org-1', 'trainee', T0);
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const materials = [
    { id: 'alpha', title: 'Alpha' },
    { id: 'beta', title: 'Beta' },
    { id: 'gamma', title: 'Gamma' },
    { id: 'delta', title: 'Delta' },
  ];
  const join = (exerciseId: string, teamId: string, userId: string | null, now: number) =>
    claimMembership(database.db, { exerciseId, teamId, displayName: userId ?? 'anon', userId, now });

  it('counts a material as used only when a launch had a real team; trainee-hours from joining to the end', async () => {
    const db = database.db;
    // alpha: launched at T0, two members join at T0 and T0+1h, ended by the scoring log at T0+3h
    await insertExercise(db, {
      id: 'a1',
      orgId: 'org-1',
      scenarioId: 'alpha',
      version: '1',
      at: T0,
      teams: 2,
    });
    await join('a1', 'team-1', 'u1', T0);
    await join('a1', 'team-2', 'u2', T0 + HOUR);
    const plans = evidencePlans('a1', 2);
    const scoring = new ScoringService({
      store: new ScoringStore(database.sqlite),
      plans: () => Promise.resolve(plans),
      clock: () => T0 + 3 * HOUR,
    });
    await scoring.start('a1');
    await scoring.end('a1');
    await scoring.stopTimers();
    // beta: launched twice, nobody joined (rehearsals); gamma: an anonymous join, still running
    await insertExercise(db, {
      id: 'b1',
      orgId: 'org-1',
      scenarioId: 'beta',
      version: '1',
      at: T0,
      teams: 3,
    });
    await insertExercise(db, {
      id: 'b2',
      orgId: 'org-1',
      scenarioId: 'beta',
      version: '1',
      at: T0,
      teams: 1,
    });
    await insertExercise(db, {
      id: 'g1',
      orgId: 'org-2',
      scenarioId: 'gamma',
      version: '1',
      at: T0 + HOUR,
      teams: 1,
    });
    await join('g1', 'team-1', null, T0 + HOUR);
    // outside the catalogue, and outside the period
    await insertExercise(db, {
      id: 'x1',
      orgId: 'org-1',
      scenarioId: 'removed',
      version: '1',
      at: T0,
      teams: 1,
    });
    await join('x1', 'team-1', 'u3', T0);
    await insertExercise(db, {
      id: 'old',
      orgId: 'org-1',
      scenarioId: 'delta',
      version: '1',
      at: T0 - 10 * HOUR,
      teams: 1,
    });
    await join('old', 'team-1', 'u1', T0 - 10 * HOUR);

    const report = await usageReport(db, { from: T0, to: T0 + 24 * HOUR, now: T0 + 5 * HOUR, materials });
    // alpha and gamma of 4 materials
    expect(report.utilisation).to.deep.equal({ covered: 2, total: 4, percent: 50 });
    expect(report.launches).to.equal(5);
    expect(report.neverUsed.map((m) => m.id)).to.deep.equal(['beta', 'delta']);
    const alpha = report.materials.find((m) => m.id === 'alpha')!;
    // u1: 3 h, u2: 2 h
    expect(alpha).to.deep.include({
      launches: 1,
      realLaunches: 1,
      realTeams: 2,
      trainees: 2,
      traineeHours: 5,
    });
    expect(report.materials.find((m) => m.id === 'beta')).to.deep.include({
      launches: 2,
      realLaunches: 0,
      realTeams: 0,
    });
    // gamma runs until now (T0+5h): 4 h
    expect(report.materials.find((m) => m.id === 'gamma')).to.deep.include({ realTeams: 1, traineeHours: 4 });
    expect(report.outsideCatalogue.map((m) => [m.id, m.traineeHours])).to.deep.equal([['removed', 5]]);
    expect(report.traineeHours).to.equal(5 + 4 + 5);

    const org2 = await usageReport(db, {
      from: T0,
      to: T0 + 24 * HOUR,
      now: T0 + 5 * HOUR,
      orgId: 'org-2',
      materials,
    });
    expect(org2.utilisation).to.deep.equal({ covered: 1, total: 4, percent: 25 });
    expect(org2.launches).to.equal(1);

    // the period's end cuts the hours: to = T0+2h
    const cut = await usageReport(db, { from: T0, to: T0 + 2 * HOUR, now: T0 + 5 * HOUR, materials });
    expect(cut.materials.find((m) => m.id === 'alpha')!.traineeHours).to.equal(2 + 1);
  });

  it('refuses a period that ends before it starts, naming both ends', async () => {
    let error: unknown;
    try {
      await usageReport(database.db, { from: T0, to: T0, now: T0, materials });
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/from \(2026-04-01T00:00:00.000Z\) must be before to/);
  });
});
