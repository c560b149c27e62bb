import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { niceTestData } from '../nice/nice-test-data.ts';
import { ScenarioCatalogue } from '../scenarios/scenario-catalogue.ts';
import { computeCoverage } from './coverage.ts';
import { materialsOf } from './materials.ts';

const scenariosDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scenarios');

/** The statement ids of the shipped YAML files, read without the compiler (an independent path). */
function idsInYaml(): Set<string> {
  const ids = new Set<string>();
  for (const dir of readdirSync(scenariosDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    const doc = parse(readFileSync(path.join(scenariosDir, dir.name, 'scenario.yaml'), 'utf8')) as {
      competencies?: { framework: string; statements?: string[] };
      objectives: { competencies?: string[] }[];
    };
    expect(doc.competencies?.framework, dir.name).to.equal('nice-2.1.0');
    for (const id of doc.competencies?.statements ?? []) ids.add(id);
    for (const o of doc.objectives) for (const id of o.competencies ?? []) ids.add(id);
  }
  return ids;
}

describe('analytics coverage of the shipped catalogue against every NIST file', () => {
  const materials = materialsOf(new ScenarioCatalogue(scenariosDir).load().all());
  const catalogues = [
    niceTestData.catalogue('rev0'),
    niceTestData.catalogue('v200'),
    niceTestData.catalogue('v210'),
  ];
  const [rev0, v200, v210] = catalogues;

  it('v2.1.0 (the version every shipped scenario is mapped in): 74 of 2,148 statements, as the YAML files say', () => {
    const ids = idsInYaml();
    const report = computeCoverage(v210!, materials);
    expect(materials).to.have.length(6);
    expect(report.materials).to.deep.equal({
      total: 6,
      direct: 6,
      otherFramework: 0,
      unmapped: 0,
      covering: 6,
    });
    expect(report.otherIds).to.deep.equal([]); // every id is a v2.1.0 statement
    expect(report.overall).to.deep.equal({ covered: ids.size, total: 2148, percent: 3.4 });
    expect(ids.size).to.equal(74); // README.md explains this number
    const byLetter = (l: string) => [...ids].filter((id) => id.startsWith(l)).length;
    expect(report.byType.task).to.deep.include({ covered: byLetter('T'), total: 946 });
    expect(report.byType.knowledge).to.deep.include({ covered: byLetter('K'), total: 662 });
    expect(report.byType.skill).to.deep.include({ covered: byLetter('S'), total: 540 });
    const pd001 = report.byRole.find((r) => r.id === 'PD-WRL-001')!;
    const pd001Ids = new Set(v210!.workRoles.find((r) => r.id === 'PD-WRL-001')!.statements);
    expect(pd001).to.deep.include({
      covered: [...ids].filter((id) => pd001Ids.has(id)).length,
      total: pd001Ids.size,
      namedBy: 3,
    });
  });

  it('other versions: 0 direct; crosswalked only through ids shared with v2.1.0 (74 in v2.0.0, 3 in 2017)', () => {
    for (const [target, crossed] of [
      [v200!, 74],
      [rev0!, 3],
    ] as const) {
      const report = computeCoverage(target, materials, { crosswalk: { catalogues } });
      expect(report.overall.covered, target.framework).to.equal(0);
      expect(report.materials.otherFramework).to.equal(6);
      const shared = [...idsInYaml()].filter((id) => target.statements.some((s) => s.id === id));
      expect(report.crosswalked!.addedOnly.covered).to.equal(shared.length);
      expect(shared.length).to.equal(crossed);
      expect(report.crosswalked!.overall.total).to.equal(report.overall.total);
    }
  });
});
