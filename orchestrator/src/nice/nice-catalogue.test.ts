import { expect } from 'chai';
import {
  countStatements,
  findCategory,
  findCompetencyArea,
  findNiceEntry,
  findStatement,
  findWorkRole,
  idSyntaxProblem,
  isNiceFramework,
  NICE_FRAMEWORKS,
  suggestNiceIds,
  unknownNiceIdMessage,
  workRolesWithStatement,
} from './nice-catalogue.ts';
import { niceTestData } from './nice-test-data.ts';

describe('nice-catalogue lookups', () => {
  it('knows exactly the four framework versions', () => {
    expect(NICE_FRAMEWORKS).to.deep.equal(['nice-sp800-181r0', 'nice-1.0.0', 'nice-2.0.0', 'nice-2.1.0']);
    expect(isNiceFramework('nice-2.1.0')).to.be.true;
    expect(isNiceFramework('nice-2.2.0')).to.be.false;
    expect(isNiceFramework(2)).to.be.false;
  });

  it('finds 2017 work roles and statements by id', () => {
    const catalogue = niceTestData.catalogue('rev0');
    const role = findWorkRole(catalogue, 'PR-CDA-001');
    expect(role?.name).to.equal('Cyber Defense Analyst');
    expect(role?.category).to.equal('PR');
    expect(role?.opmCodes).to.deep.equal(['511']);
    expect(countStatements(catalogue, role!.statements)).to.deep.equal({
      task: 34,
      knowledge: 70,
      skill: 15,
      ability: 6,
    });
    expect(findStatement(catalogue, 'A0010')?.type).to.equal('ability');
    expect(findStatement(catalogue, 'K0001')?.text).to.equal(
      'Knowledge of computer networking concepts and protocols, and network security methodologies.',
    );
    expect(findStatement(catalogue, 'T0979')).to.be.undefined;
    expect(findCategory(catalogue, 'PR')?.name).to.equal('Protect and Defend');
    expect(findCompetencyArea(catalogue, 'NF-COM-001')).to.be.undefined;
    expect(workRolesWithStatement(catalogue, 'T0020')).to.include('PR-CDA-001');
  });

  it('finds v2.1.0 work roles, statements and competency areas by id', () => {
    const catalogue = niceTestData.catalogue('v210');
    expect(findWorkRole(catalogue, 'PD-WRL-001')?.name).to.equal('Defensive Cybersecurity');
    expect(findStatement(catalogue, 'K0018')).to.deep.equal({
      id: 'K0018',
      type: 'knowledge',
      text: 'Knowledge of encryption algorithms',
    });
    expect(findCompetencyArea(catalogue, 'NF-COM-010')?.name).to.equal(
      'Operational Technology (OT) Security',
    );
    expect(findNiceEntry(catalogue, 'NF-COM-010')?.kind).to.equal('competencyArea');
    expect(findNiceEntry(catalogue, 'PD')?.kind).to.equal('category');
    expect(findNiceEntry(catalogue, 'PR-CDA-001')).to.be.undefined;
    expect(findWorkRole(catalogue, 'K0018')).to.be.undefined;
  });

  it('suggests the closest valid ids of the same kind', () => {
    const catalogue = niceTestData.catalogue('v210');
    expect(suggestNiceIds(catalogue, 'statement', 'K9999')).to.deep.equal(['K0999', 'K0699', 'K0799']);
    expect(suggestNiceIds(catalogue, 'statement', 'T1O15')).to.deep.equal(['T1015', 'T1115', 'T1215']);
    expect(suggestNiceIds(catalogue, 'statement', 'NF-COM-012')).to.deep.equal([
      'NF-COM-002',
      'NF-COM-010',
      'NF-COM-011',
    ]);
    expect(suggestNiceIds(catalogue, 'workRole', 'PD-WLR-001')).to.deep.equal([
      'PD-WRL-001',
      'DD-WRL-001',
      'PD-WRL-002',
    ]);
    expect(unknownNiceIdMessage(catalogue, 'statement', 'K9999')).to.equal(
      'unknown statement K9999 in nice-2.1.0 (closest: K0999, K0699, K0799)',
    );
    expect(unknownNiceIdMessage(catalogue, 'workRole', 'PD-WRL-099')).to.equal(
      'unknown work role PD-WRL-099 in nice-2.1.0 (closest: PD-WRL-001, PD-WRL-002, PD-WRL-003)',
    );
  });
});

describe('idSyntaxProblem', () => {
  it('accepts well-formed 2017 ids', () => {
    for (const id of ['PR-CDA-001', 'OM-ADM-001']) {
      expect(idSyntaxProblem('nice-sp800-181r0', 'workRole', id), id).to.be.undefined;
    }
    for (const id of ['T0020', 'K0001', 'S0027', 'A0010']) {
      expect(idSyntaxProblem('nice-sp800-181r0', 'statement', id), id).to.be.undefined;
    }
  });

  it('accepts well-formed v1.0.0+ ids, competency areas in statement slots', () => {
    for (const framework of ['nice-1.0.0', 'nice-2.0.0', 'nice-2.1.0'] as const) {
      expect(idSyntaxProblem(framework, 'workRole', 'PD-WRL-007')).to.be.undefined;
      for (const id of ['T1015', 'K0018', 'S0462', 'NF-COM-007']) {
        expect(idSyntaxProblem(framework, 'statement', id), id).to.be.undefined;
      }
    }
  });

  it('names the expected 2017 shapes', () => {
    expect(idSyntaxProblem('nice-sp800-181r0', 'workRole', 'PR-CDA-1')).to.equal(
      '"PR-CDA-1" is not a nice-sp800-181r0 work role id: expected XX-XXX-NNN (category-specialty area-number, e.g. PR-CDA-001)',
    );
    expect(idSyntaxProblem('nice-sp800-181r0', 'workRole', 'PD-WRL-007'))
      .to.include('expected XX-XXX-NNN')
      .and.to.include('v1.0.0+ shape XX-WRL-NNN');
    expect(idSyntaxProblem('nice-sp800-181r0', 'statement', 'X0001')).to.include('expected [TKSA]NNNN');
    expect(idSyntaxProblem('nice-sp800-181r0', 'statement', 'K001')).to.include('expected [TKSA]NNNN');
    expect(idSyntaxProblem('nice-sp800-181r0', 'statement', 'NF-COM-001')).to.include(
      'competency areas (NF-COM-NNN) exist only in nice-1.0.0 and later',
    );
  });

  it('names the expected v1.0.0+ shapes', () => {
    expect(idSyntaxProblem('nice-2.1.0', 'workRole', 'PR-CDA-001'))
      .to.include('expected XX-WRL-NNN')
      .and.to.include('use nice-sp800-181r0 for 2017 ids');
    expect(idSyntaxProblem('nice-2.1.0', 'statement', 'A0010'))
      .to.include('expected [TKS]NNNN')
      .and.to.include('abilities (ANNNN) exist only in nice-sp800-181r0');
    expect(idSyntaxProblem('nice-1.0.0', 'statement', 'NF-COM-1')).to.include('NF-COM-NNN');
    expect(idSyntaxProblem('nice-2.0.0', 'statement', 'k0018')).to.include('did you mean K0018?');
    expect(idSyntaxProblem('nice-2.0.0', 'workRole', ' PD-WRL-001')).to.include('did you mean PD-WRL-001?');
    expect(idSyntaxProblem('nice-2.0.0', 'statement', '')).to.equal('empty NICE statement id');
  });
});
