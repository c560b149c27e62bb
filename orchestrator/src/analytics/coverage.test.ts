import { expect } from 'chai';
import type { NiceCatalogue, NiceFramework, NiceStatementType } from '../nice/nice-catalogue.ts';
import { niceTestData } from '../nice/nice-test-data.ts';
import { computeCoverage, roleGaps, type Material } from './coverage.ts';
import { coverageCsv, gapsCsv } from './analytics-format.ts';

const TYPE: Record<string, NiceStatementType> = { T: 'task', K: 'knowledge', S: 'skill', A: 'ability' };

/** A small catalogue: statements by id (type from the first letter), roles with their statements. */
function catalogue(
  framework: NiceFramework,
  statements: string[],
  roles: { id: string; opm?: string; statements: string[] }[],
  categories: { id: string; name: string }[] = [],
): NiceCatalogue {
  return {
    framework,
    sourceVersion: 'test',
    sourceName: 'test.json',
    sourceTitle: 'hand-made',
    categories: categories.map((c) => ({ ...c, description: '' })),
    competencyAreas: [],
    warnings: [],
    statements: statements.map((id) => ({ id, type: TYPE[id[0]!]!, text: `text of ${id}` })),
    workRoles: roles.map((r) => ({
      id: r.id,
      name: `role ${r.id}`,
      description: '',
      category: r.id.slice(0, 2),
      opmCodes: r.opm ? [r.opm] : [],
      statements: r.statements,
    })),
  };
}

const v21 = catalogue(
  'nice-2.1.0',
  ['T0001', 'T0002', 'T0003', 'K0001', 'K0002', 'K0003', 'K0004', 'S0001', 'S0002', 'S0003'],
  [
    { id: 'PD-WRL-001', opm: '511', statements: ['T0001', 'T0002', 'K0001', 'K0002', 'S0001'] },
    { id: 'PD-WRL-002', opm: '521', statements: ['T0003', 'K0003', 'K0004', 'S0002', 'S0003'] },
  ],
);
const rev0 = catalogue(
  'nice-sp800-181r0',
  ['T0003', 'K0004', 'K0009', 'S0002', 'A0001'],
  [{ id: 'PR-CIR-001', opm: '521', statements: ['T0003', 'K0009', 'A0001'] }],
);

const m = (
  id: string,
  framework: NiceFramework | undefined,
  statements: string[],
  workRoles: string[] = [],
): Material => ({
  id,
  framework,
  statements,
  workRoles,
});

describe('analytics coverage (hand-made catalogues)', () => {
  it('counts each statement once, by type and by role, with numerator and denominator', () => {
    const report = computeCoverage(v21, [
      m('a', 'nice-2.1.0', ['T0001', 'K0001', 'K0001'], ['PD-WRL-001']),
      m('b', 'nice-2.1.0', ['K0001', 'S0003', 'NF-COM-007', 'K9999']),
      m('c', undefined, []),
    ]);
    // T0001, K0001, S0003 of 10 statements
    expect(report.overall).to.deep.equal({ covered: 3, total: 10, percent: 30 });
    expect(report.byType.task).to.deep.equal({ covered: 1, total: 3, percent: 33.3 });
    expect(report.byType.knowledge).to.deep.equal({ covered: 1, total: 4, percent: 25 });
    expect(report.byType.skill).to.deep.equal({ covered: 1, total: 3, percent: 33.3 });
    expect(report.byType.ability).to.equal(undefined);
    // PD-WRL-001: T0001, K0001 of its 5; PD-WRL-002: S0003 of its 5
    expect(report.byRole.map((r) => [r.id, r.covered, r.total, r.namedBy])).to.deep.equal([
      ['PD-WRL-001', 2, 5, 1],
      ['PD-WRL-002', 1, 5, 0],
    ]);
    expect(report.materials).to.deep.equal({
      total: 3,
      direct: 2,
      otherFramework: 0,
      unmapped: 1,
      covering: 2,
    });
    expect(report.otherIds).to.deep.equal([
      { material: 'b', id: 'K9999', reason: 'unknown' },
      { material: 'b', id: 'NF-COM-007', reason: 'competency-area' },
    ]);
  });

  it('gives each work role its figures by statement type (the role × type grid)', () => {
    const grid = catalogue(
      'nice-sp800-181r0',
      ['T0001', 'T0002', 'K0001', 'K0002', 'K0003', 'S0001', 'A0001', 'A0002'],
      [
        { id: 'PR-CDA-001', statements: ['T0001', 'T0002', 'K0001', 'K0002', 'S0001', 'A0001'] },
        // no skill and no task: those cells are 0 of 0 with no percentage
        { id: 'OV-LGA-001', statements: ['K0002', 'K0003', 'A0002'] },
      ],
      [
        { id: 'PR', name: 'Protect and Defend' },
        { id: 'OV', name: 'Oversee and Govern' },
      ],
    );
    const report = computeCoverage(grid, [
      m('a', 'nice-sp800-181r0', ['T0002', 'K0002', 'A0001']),
      m('b', 'nice-sp800-181r0', ['K0003', 'K0002']),
    ]);
    const pr = report.byRole.find((r) => r.id === 'PR-CDA-001')!;
    expect(pr).to.include({ covered: 3, total: 6, category: 'PR' });
    expect(pr.byType).to.deep.equal({
      task: { covered: 1, total: 2, percent: 50 },
      knowledge: { covered: 1, total: 2, percent: 50 },
      skill: { covered: 0, total: 1, percent: 0 },
      ability: { covered: 1, total: 1, percent: 100 },
    });
    const ov = report.byRole.find((r) => r.id === 'OV-LGA-001')!;
    expect(ov).to.include({ covered: 2, total: 3, category: 'OV' });
    expect(ov.byType).to.deep.equal({
      task: { covered: 0, total: 0, percent: null },
      knowledge: { covered: 2, total: 2, percent: 100 },
      skill: { covered: 0, total: 0, percent: null },
      ability: { covered: 0, total: 1, percent: 0 },
    });
    // the category names come from the catalogue, in its order
    expect(report.categories).to.deep.equal([
      { id: 'PR', name: 'Protect and Defend' },
      { id: 'OV', name: 'Oversee and Govern' },
    ]);
  });

  it('gives the crosswalked role rows their own figures by type', () => {
    const materials = [m('old', 'nice-sp800-181r0', ['T0003', 'K0004', 'S0002'])];
    const x = computeCoverage(v21, materials, { crosswalk: { catalogues: [rev0] } }).crosswalked!;
    // PD-WRL-002 has T0003 / K0003, K0004 / S0002, S0003
    expect(x.byRole.find((r) => r.id === 'PD-WRL-002')!.byType).to.deep.equal({
      task: { covered: 1, total: 1, percent: 100 },
      knowledge: { covered: 1, total: 2, percent: 50 },
      skill: { covered: 1, total: 2, percent: 50 },
    });
  });

  it('a work role named by a material covers none of its statements', () => {
    const report = computeCoverage(v21, [m('a', 'nice-2.1.0', [], ['PD-WRL-002'])]);
    expect(report.overall.covered).to.equal(0);
    expect(report.byRole.find((r) => r.id === 'PD-WRL-002')).to.include({ covered: 0, total: 5, namedBy: 1 });
  });

  it('an empty catalogue has no percentage rather than 0% or NaN', () => {
    const empty = catalogue('nice-2.1.0', [], []);
    expect(computeCoverage(empty, []).overall).to.deep.equal({ covered: 0, total: 0, percent: null });
  });

  it('counts materials of another version only when asked, only through shared ids, separately', () => {
    const materials = [
      m('new', 'nice-2.1.0', ['T0001']),
      // T0003, K0004, S0002 exist in both; K0009 and A0001 do not exist in v2.1.0
      m('old', 'nice-sp800-181r0', ['T0003', 'K0004', 'K0009', 'A0001', 'S0002'], ['PR-CIR-001']),
    ];
    const plain = computeCoverage(v21, materials);
    expect(plain.overall).to.deep.equal({ covered: 1, total: 10, percent: 10 });
    expect(plain.crosswalked).to.equal(undefined);
    expect(plain.materials.otherFramework).to.equal(1);

    const crossed = computeCoverage(v21, materials, { crosswalk: { catalogues: [rev0] } });
    // the direct figures do not move
    expect(crossed.overall).to.deep.equal(plain.overall);
    const x = crossed.crosswalked!;
    expect(x.overall).to.deep.equal({ covered: 4, total: 10, percent: 40 });
    expect(x.addedOnly).to.deep.equal({ covered: 3, total: 10, percent: 30 });
    expect(x.sources).to.deep.equal([
      { material: 'old', framework: 'nice-sp800-181r0', crossed: 3, notCrossed: 2 },
    ]);
    // role PD-WRL-002 (OPM 521) gains T0003, K0004, S0002 and is named through PR-CIR-001's OPM code
    expect(x.byRole.find((r) => r.id === 'PD-WRL-002')).to.include({ covered: 3, total: 5, namedBy: 1 });
    // without the other catalogue nothing crosses
    const blind = computeCoverage(v21, materials, { crosswalk: { catalogues: [] } });
    expect(blind.crosswalked!.addedOnly.covered).to.equal(0);
  });

  it('lists a role’s gaps sorted by type then id, with text, as CSV with a BOM', () => {
    const gaps = roleGaps(v21, [m('a', 'nice-2.1.0', ['K0001', 'T0002'])], 'PD-WRL-001');
    expect(gaps.coverage).to.deep.equal({ covered: 2, total: 5, percent: 40 });
    expect(gaps.gaps.map((g) => g.id)).to.deep.equal(['T0001', 'K0002', 'S0001']);
    const text = gapsCsv(gaps);
    expect(text.startsWith('\ufeffwork_role,statement_id,type,text\r\n')).to.equal(true);
    expect(text).to.contain('PD-WRL-001,K0002,knowledge,text of K0002\r\n');
    expect(() => roleGaps(v21, [], 'PD-WRL-999')).to.throw(/unknown work role PD-WRL-999 in nice-2.1.0/);
  });

  it('writes coverage CSV rows with both numbers and the basis of each', () => {
    const report = computeCoverage(v21, [m('a', 'nice-2.1.0', ['T0001'])], { role: 'PD-WRL-001' });
    const lines = coverageCsv(report).replace('\ufeff', '').trim().split('\r\n');
    expect(lines[0]).to.equal('scope,id,name,type,covered,total,percent,basis');
    expect(lines).to.include('overall,nice-2.1.0,,,1,10,10,direct');
    expect(lines).to.include('type,task,,task,1,3,33.3,direct');
    expect(lines).to.include('role,PD-WRL-001,role PD-WRL-001,,1,5,20,direct');
    expect(lines.filter((l) => l.startsWith('role,'))).to.have.length(1);
    // the role's cells of the role × type grid: T0001 of its T0001, T0002; none of K0001, K0002; none of S0001
    expect(lines.filter((l) => l.startsWith('role-type,'))).to.deep.equal([
      'role-type,PD-WRL-001,role PD-WRL-001,task,1,2,50,direct',
      'role-type,PD-WRL-001,role PD-WRL-001,knowledge,0,2,0,direct',
      'role-type,PD-WRL-001,role PD-WRL-001,skill,0,1,0,direct',
    ]);
  });
});

describe('analytics coverage (NIST files)', () => {
  const all = () => [
    niceTestData.catalogue('rev0'),
    niceTestData.catalogue('v200'),
    niceTestData.catalogue('v210'),
    niceTestData.normalizedCatalogue('normalizedV100'),
  ];

  it('has the denominators NIST publishes for each version', () => {
    const [r0, v2, v21f] = all();
    const none: Material[] = [];
    expect(computeCoverage(r0!, none).overall.total).to.equal(1006 + 630 + 374 + 176);
    expect(computeCoverage(v2!, none).overall.total).to.equal(942 + 631 + 538);
    const v21report = computeCoverage(v21f!, none);
    expect(v21report.overall.total).to.equal(946 + 662 + 540);
    expect(v21report.byType).to.deep.equal({
      task: { covered: 0, total: 946, percent: 0 },
      knowledge: { covered: 0, total: 662, percent: 0 },
      skill: { covered: 0, total: 540, percent: 0 },
    });
    expect(v21report.byRole).to.have.length(41);
    // each role's cells by type add up to the role's own denominator
    for (const role of v21report.byRole) {
      const cells = Object.values(role.byType);
      expect(
        cells.reduce((n, f) => n + f.total, 0),
        role.id,
      ).to.equal(role.total);
      expect(
        v21report.categories.map((c) => c.id),
        role.id,
      ).to.include(role.category);
    }
    expect(v21report.categories.find((c) => c.id === 'PD')?.name).to.equal('PROTECTION and DEFENSE'); // NIST's spelling
  });

  it('crosswalked counts never exceed the direct denominators, in every direction', () => {
    const catalogues = all();
    for (const target of catalogues) {
      // every statement of every other version, as one material each
      const materials = catalogues
        .filter((c) => c !== target)
        .map((c) =>
          m(
            c.framework,
            c.framework,
            c.statements.map((s) => s.id),
            c.workRoles.map((r) => r.id),
          ),
        );
      const report = computeCoverage(target, materials, { crosswalk: { catalogues } });
      const x = report.crosswalked!;
      expect(report.overall.covered, target.framework).to.equal(0);
      expect(x.overall.total).to.equal(report.overall.total);
      expect(x.overall.covered).to.be.at.most(x.overall.total);
      for (const [type, f] of Object.entries(x.byType)) {
        expect(f.total, type).to.equal(report.byType[type as NiceStatementType]!.total);
        expect(f.covered).to.be.at.most(f.total);
      }
      for (const [i, r] of x.byRole.entries()) {
        expect(r.total).to.equal(report.byRole[i]!.total);
        expect(r.covered).to.be.at.most(r.total);
      }
    }
  });

  it('reads the derived normalized files as the official ones (checked on v2.1.0)', () => {
    const official = computeCoverage(niceTestData.catalogue('v210'), []);
    const derived = computeCoverage(niceTestData.normalizedCatalogue('normalizedV210'), []);
    expect(derived.overall).to.deep.equal(official.overall);
    expect(derived.byType).to.deep.equal(official.byType);
    const rows = (r: typeof official) =>
      [...r.byRole].sort((a, b) => a.id.localeCompare(b.id)).map((x) => [x.id, x.total, x.byType]);
    expect(rows(derived)).to.deep.equal(rows(official));
  });

  it('nice-1.0.0 (NIST’s v1.0.0 workbook, through the derived file): its denominators, roles by type, categories', () => {
    const v100 = niceTestData.normalizedCatalogue('normalizedV100');
    const report = computeCoverage(v100, []);
    // the workbook's counts (shared/nice README): 1,084 tasks, 640 knowledge, 556 skills; 52 roles, 7 categories
    expect(report.framework).to.equal('nice-1.0.0');
    expect(report.overall).to.deep.equal({ covered: 0, total: 1084 + 640 + 556, percent: 0 });
    expect(report.byType).to.deep.equal({
      task: { covered: 0, total: 1084, percent: 0 },
      knowledge: { covered: 0, total: 640, percent: 0 },
      skill: { covered: 0, total: 556, percent: 0 },
    });
    expect(report.byRole).to.have.length(52);
    expect(report.categories).to.have.length(7);
    for (const role of report.byRole) {
      expect(
        Object.values(role.byType).reduce((n, f) => n + f.total, 0),
        role.id,
      ).to.equal(role.total);
      expect(report.categories.map((c) => c.id)).to.include(role.category);
    }
    // a material mapped in v1.0.0 covers its own ids; a v2.1.0 one only through the crosswalk
    const role = v100.workRoles.find((r) => r.id === 'PD-WRL-001')!;
    const three = role.statements.slice(0, 3);
    const direct = computeCoverage(v100, [m('a', 'nice-1.0.0', three)], { role: 'PD-WRL-001' });
    expect(direct.overall.covered).to.equal(3);
    expect(direct.byRole[0]).to.include({
      id: 'PD-WRL-001',
      covered: 3,
      total: new Set(role.statements).size,
    });
    const v21f = niceTestData.catalogue('v210');
    const crossed = computeCoverage(
      v100,
      [
        m(
          'b',
          'nice-2.1.0',
          v21f.statements.map((s) => s.id),
        ),
      ],
      {
        crosswalk: { catalogues: [v21f] },
      },
    );
    expect(crossed.overall.covered).to.equal(0);
    const shared = v100.statements.filter((s) =>
      v21f.statements.some((t) => t.id === s.id && t.type === s.type),
    ).length;
    expect(crossed.crosswalked!.addedOnly.covered).to.equal(shared);
    expect(crossed.crosswalked!.addedOnly.covered).to.be.at.most(crossed.crosswalked!.addedOnly.total);
  });

  it('crosses exactly the ids shared by 2017 and v2.1.0 (107, per the shared crosswalk note)', () => {
    const [r0, , v21f] = all();
    const everything2017 = m(
      'all-2017',
      'nice-sp800-181r0',
      r0!.statements.map((s) => s.id),
    );
    const x = computeCoverage(v21f!, [everything2017], { crosswalk: { catalogues: [r0!] } }).crosswalked!;
    const shared = r0!.statements.filter((s) =>
      v21f!.statements.some((t) => t.id === s.id && t.type === s.type),
    );
    expect(x.addedOnly.covered).to.equal(shared.length);
    expect(shared.length).to.be.within(100, 110);
  });
});
