import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimMembership } from '../../orchestrator/src/accounts/team-members.ts';
import { insertExercise } from '../../orchestrator/src/analytics/analytics-test-data.ts';
import { niceTestData } from '../../orchestrator/src/nice/nice-test-data.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { cyrop, REPO } from './helpers.ts';

describe('cyrop nice coverage | nice gaps | usage (the real command on a data directory)', function () {
  this.timeout(60_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-analytics-cli-'));
    env = { CYROP_DATA_DIR: path.join(dir, 'data'), CYROP_SCENARIOS_DIR: path.join(REPO, 'scenarios') };
    for (const file of ['v210', 'rev0'] as const)
      expect(cyrop(['nice', 'import', niceTestData.path(file)], env).status).to.equal(0);
    // one launch of a shipped scenario with one trainee, on 2026-04-01 (Tokyo), ended two hours later
    const database = await openDatabase(env['CYROP_DATA_DIR']!);
    const at = Date.UTC(2026, 3, 1, 1, 0);
    await insertExercise(database.db, {
      id: 'ex-1',
      orgId: null,
      scenarioId: 'web-sqli-pivot',
      version: '1.0.0',
      at,
      teams: 1,
      state: 'ended',
    });
    await database.db
      .updateTable('exercises')
      .set({ updated_at: at + 2 * 3_600_000 })
      .execute();
    await claimMembership(database.db, {
      exerciseId: 'ex-1',
      teamId: 'team-1',
      displayName: 'A',
      userId: null,
      now: at,
    });
    await database.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the shipped catalogue’s coverage with its denominators, as text, JSON and CSV', () => {
    const text = cyrop(['nice', 'coverage'], env);
    expect(text.status, text.stderr).to.equal(0);
    expect(text.stdout).to.contain('statements covered: 74 of 2148 (3.4%)');
    expect(text.stdout).to.contain('denominator: every task/knowledge/skill statement of nice-2.1.0 (2148)');
    const json = cyrop(['nice', 'coverage', '--format', 'json', '--role', 'PD-WRL-001'], env);
    const report = JSON.parse(json.stdout) as {
      overall: unknown;
      byRole: {
        id: string;
        covered: number;
        total: number;
        byType: Record<string, { covered: number; total: number }>;
      }[];
    };
    expect(report.overall).to.deep.equal({ covered: 74, total: 2148, percent: 3.4 });
    expect(report.byRole.map((r) => [r.id, r.covered, r.total])).to.deep.equal([['PD-WRL-001', 33, 206]]);
    // the role × type cells: one per type of v2.1.0, adding up to the role's 33 of 206
    const cells = Object.entries(report.byRole[0]!.byType);
    expect(cells.map(([t]) => t)).to.deep.equal(['task', 'knowledge', 'skill']);
    expect(cells.reduce((n, [, f]) => n + f.covered, 0)).to.equal(33);
    expect(cells.reduce((n, [, f]) => n + f.total, 0)).to.equal(206);
    const csv = cyrop(['nice', 'coverage', '--format', 'csv'], env);
    expect(csv.stdout.startsWith('\ufeffscope,id,name,type,covered,total,percent,basis\r\n')).to.equal(true);
    const roleTypeRows = csv.stdout.split('\r\n').filter((l) => l.startsWith('role-type,PD-WRL-001,'));
    expect(roleTypeRows.map((l) => l.split(',').slice(-5, -2).join(','))).to.deep.equal(
      cells.map(([t, f]) => `${t},${f.covered},${f.total}`),
    );
  });

  it('shows crosswalked figures apart, and only when asked', () => {
    const plain = cyrop(['nice', 'coverage', '--framework', 'nice-sp800-181r0'], env);
    expect(plain.stdout).to.contain('statements covered: 0 of 2186');
    expect(plain.stdout).to.not.contain('CROSSWALKED');
    const crossed = cyrop(['nice', 'coverage', '--framework', 'nice-sp800-181r0', '--crosswalk'], env);
    expect(crossed.stdout).to.contain('statements covered: 0 of 2186'); // the direct figure does not move
    expect(crossed.stdout).to.contain('CROSSWALKED (not part of the figures above)');
    expect(crossed.stdout).to.contain('added only by the crosswalk: 3 of 2186');
  });

  it('lists a role’s gaps with NIST’s text, and names what was wrong', () => {
    const gaps = cyrop(['nice', 'gaps', '--role', 'PD-WRL-007', '--format', 'json'], env);
    expect(gaps.status, gaps.stderr).to.equal(0);
    const report = JSON.parse(gaps.stdout) as {
      coverage: { covered: number; total: number };
      gaps: { id: string; text: string }[];
    };
    expect(report.gaps.length).to.equal(report.coverage.total - report.coverage.covered);
    expect(report.gaps.every((g) => g.text.length > 0)).to.equal(true);
    const bad = cyrop(['nice', 'gaps', '--role', 'PD-WRL-999'], env);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.contain('unknown work role PD-WRL-999 in nice-2.1.0');
    const unknown = cyrop(['nice', 'coverage', '--scenarios', 'no-such-scenario'], env);
    expect(unknown.stderr).to.contain("no scenario 'no-such-scenario'");
  });

  it('reports material use for a period: used, never used, trainee-hours', () => {
    const r = cyrop(['usage', '--from', '2026-04-01', '--to', '2026-04-30'], env);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('materials used with real teams: 1 of 6 (16.7%)');
    expect(r.stdout).to.contain('launches: 1; real teams: 1; trainee-hours: 2');
    expect(r.stdout).to.match(/not used in the period: compromised-server-ir, .*usb-leak-forensics/);
    const before = cyrop(['usage', '--from', '2026-03-01', '--to', '2026-03-31', '--format', 'json'], env);
    expect((JSON.parse(before.stdout) as { launches: number }).launches).to.equal(0);
    expect(cyrop(['usage', '--from', '2026-04-31', '--to', '2026-05-01'], env).stderr).to.contain(
      "'2026-04-31' is not a calendar date",
    );
  });
});
