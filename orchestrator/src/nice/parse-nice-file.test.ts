import { expect } from 'chai';
import { CyropError } from '../errors.ts';
import {
  countStatements,
  findWorkRole,
  type NiceCatalogue,
  type NiceStatementCounts,
} from './nice-catalogue.ts';
import { niceTestData } from './nice-test-data.ts';
import { parseNiceFile } from './parse-nice-file.ts';

function statementCounts(catalogue: NiceCatalogue): NiceStatementCounts {
  return countStatements(
    catalogue,
    catalogue.statements.map((s) => s.id),
  );
}

function linkCounts(catalogue: NiceCatalogue): NiceStatementCounts {
  return countStatements(
    catalogue,
    catalogue.workRoles.flatMap((r) => r.statements),
  );
}

function formatError(input: unknown, sourceName = 'input.json'): CyropError {
  try {
    parseNiceFile(input, sourceName);
  } catch (error) {
    expect(error).to.be.instanceOf(CyropError);
    return error as CyropError;
  }
  throw new Error('expected parseNiceFile to throw');
}

/** A small, valid CPRT document to break in the malformed-input tests. */
function tinyCprt(version = '2.1.0'): Record<string, unknown> {
  return {
    documents: [{ doc_identifier: 'SP_800_181', name: 'Tiny', version }],
    relationship_types: [{ relationship_identifier: 'projection' }],
    elements: [
      { element_type: 'category', element_identifier: 'PD', title: 'PROTECTION', text: 'Protects.' },
      { element_type: 'work_role', element_identifier: 'PD-WRL-001', title: 'Defence', text: 'Defends.' },
      { element_type: 'task', element_identifier: 'T0001', title: '', text: 'Do a task.' },
      { element_type: 'knowledge', element_identifier: 'K0001', title: '', text: 'Know a thing.' },
      { element_type: 'sort', element_identifier: 'S-PD', title: '00001', text: '' },
    ],
    relationships: [
      {
        source_element_identifier: 'PD',
        dest_element_identifier: 'PD-WRL-001',
        relationship_identifier: 'projection',
      },
      {
        source_element_identifier: 'PD-WRL-001',
        dest_element_identifier: 'T0001',
        relationship_identifier: 'projection',
      },
      {
        source_element_identifier: 'PD-WRL-001',
        dest_element_identifier: 'K0001',
        relationship_identifier: 'projection',
      },
      {
        source_element_identifier: 'PD',
        dest_element_identifier: 'S-PD',
        relationship_identifier: 'projection',
      },
    ],
  };
}

describe('parseNiceFile on the real NIST files', () => {
  it('reads the SP 800-181 rev0 (2017) catalogue', () => {
    const catalogue = niceTestData.catalogue('rev0');
    expect(catalogue.framework).to.equal('nice-sp800-181r0');
    expect(catalogue.sourceVersion).to.equal('2017');
    expect(catalogue.sourceName).to.equal('nice_2017_sp800-181r0.json');
    expect(catalogue.workRoles).to.have.length(52);
    expect(catalogue.categories).to.have.length(7);
    expect(catalogue.competencyAreas).to.deep.equal([]);
    expect(statementCounts(catalogue)).to.deep.equal({
      task: 1006,
      knowledge: 630,
      skill: 374,
      ability: 176,
    });
    expect(linkCounts(catalogue)).to.deep.equal({ task: 1316, knowledge: 2120, skill: 709, ability: 437 });
    expect(catalogue.warnings).to.deep.equal([]);
    const role = findWorkRole(catalogue, 'PR-CDA-001')!;
    expect(role.name).to.equal('Cyber Defense Analyst');
    expect(role.statements.slice(0, 2)).to.deep.equal(['T0020', 'T0023']);
    expect(role.statements.filter((id) => id.startsWith('T'))).to.have.length(34);
  });

  it('reads the CPRT v2.0.0 file and reports its 4 dangling links', () => {
    const catalogue = niceTestData.catalogue('v200');
    expect(catalogue.framework).to.equal('nice-2.0.0');
    expect(catalogue.sourceVersion).to.equal('2.0.0');
    expect(catalogue.workRoles).to.have.length(41);
    expect(catalogue.categories.map((c) => c.id)).to.deep.equal(['OG', 'DD', 'IO', 'PD', 'IN']);
    expect(catalogue.competencyAreas).to.have.length(11);
    expect(statementCounts(catalogue)).to.deep.equal({ task: 942, knowledge: 631, skill: 538, ability: 0 });
    expect(linkCounts(catalogue)).to.deep.equal({ task: 1429, knowledge: 2856, skill: 1051, ability: 0 });
    expect(catalogue.warnings).to.deep.equal([
      'dangling link PD-WRL-001 → T1385: T1385 is not defined in the file; left out',
      'dangling link PD-WRL-001 → S0873: S0873 is not defined in the file; left out',
      'dangling link PD-WRL-005 → K1139: K1139 is not defined in the file; left out',
      'dangling link IN-WRL-001 → K1139: K1139 is not defined in the file; left out',
    ]);
    expect(findWorkRole(catalogue, 'PD-WRL-001')?.statements).not.to.include('T1385');
    const resiliency = catalogue.competencyAreas.find((a) => a.id === 'NF-COM-007')!;
    expect(resiliency.name).to.equal('Cyber Resiliency');
    expect(countStatements(catalogue, resiliency.statements)).to.deep.equal({
      task: 0,
      knowledge: 56,
      skill: 67,
      ability: 0,
    });
  });

  it('reads the wrapped CPRT v2.1.0 export', () => {
    const catalogue = niceTestData.catalogue('v210');
    expect(catalogue.framework).to.equal('nice-2.1.0');
    expect(catalogue.sourceVersion).to.equal('2.1.0');
    expect(catalogue.sourceTitle).to.equal(
      'Workforce Framework for Cybersecurity (NICE Framework) (NIST SP 800-181 Rev 1)',
    );
    expect(catalogue.workRoles).to.have.length(41);
    expect(catalogue.competencyAreas).to.have.length(11);
    expect(statementCounts(catalogue)).to.deep.equal({ task: 946, knowledge: 662, skill: 540, ability: 0 });
    expect(linkCounts(catalogue)).to.deep.equal({ task: 1429, knowledge: 2857, skill: 1048, ability: 0 });
    expect(catalogue.warnings).to.deep.equal([]);
    const role = findWorkRole(catalogue, 'PD-WRL-001')!;
    expect(role).to.include({ name: 'Defensive Cybersecurity', category: 'PD' });
    expect(role.opmCodes).to.deep.equal(['511']);
    // 40 role→OPM links: DD-WRL-004 has two codes, PD-WRL-005 and DD-WRL-009 have none
    expect(catalogue.workRoles.filter((r) => r.opmCodes.length === 0).map((r) => r.id)).to.deep.equal([
      'PD-WRL-005',
      'DD-WRL-009',
    ]);
    expect(findWorkRole(catalogue, 'DD-WRL-004')?.opmCodes).to.deep.equal(['631', '632']);
    // no sort elements leak in as statements or roles
    expect(catalogue.statements.some((s) => s.id.startsWith('S-'))).to.be.false;
  });

  for (const [cprt, normalized] of [
    ['v200', 'normalizedV200'],
    ['v210', 'normalizedV210'],
  ] as const) {
    it(`agrees role by role with the independently derived ${niceTestData.files[normalized]}`, () => {
      const catalogue = niceTestData.catalogue(cprt);
      const reference = niceTestData.json(normalized) as {
        work_roles: {
          id: string;
          name: string;
          category: string;
          tasks: string[];
          knowledge: string[];
          skills: string[];
        }[];
      };
      expect(catalogue.workRoles.map((r) => r.id).sort()).to.deep.equal(
        reference.work_roles.map((r) => r.id).sort(),
      );
      for (const expected of reference.work_roles) {
        const role = findWorkRole(catalogue, expected.id)!;
        expect(role.name, expected.id).to.equal(expected.name);
        expect(role.category, expected.id).to.equal(expected.category);
        expect([...role.statements].sort(), expected.id).to.deep.equal(
          [...expected.tasks, ...expected.knowledge, ...expected.skills].sort(),
        );
      }
    });
  }
});

describe('parseNiceFile on other input', () => {
  it('parses a minimal CPRT document, ignoring sort elements', () => {
    const catalogue = parseNiceFile(tinyCprt(), 'tiny.json');
    expect(catalogue.framework).to.equal('nice-2.1.0');
    expect(catalogue.workRoles).to.deep.equal([
      {
        id: 'PD-WRL-001',
        name: 'Defence',
        description: 'Defends.',
        category: 'PD',
        opmCodes: [],
        statements: ['T0001', 'K0001'],
      },
    ]);
    expect(catalogue.statements.map((s) => s.id)).to.deep.equal(['T0001', 'K0001']);
    expect(catalogue.warnings).to.deep.equal([]);
  });

  it('maps CPRT version 1.0.0 to nice-1.0.0 and accepts the {response:{elements}} wrapper', () => {
    expect(
      parseNiceFile({ response: { requestType: 4, elements: tinyCprt('1.0.0') } }, 'x').framework,
    ).to.equal('nice-1.0.0');
  });

  for (const [label, input, found] of [
    ['null', null, 'found null'],
    ['a number', 42, 'found a number (42)'],
    ['a string', 'PD-WRL-001', 'found a string ("PD-WRL-001")'],
    ['an array', [1, 2], 'found an array (2 items)'],
  ] as const) {
    it(`rejects ${label} at the top level with NICE_FORMAT_UNKNOWN`, () => {
      const error = formatError(input);
      expect(error.code).to.equal('NICE_FORMAT_UNKNOWN');
      expect(error.message).to.include('input.json: not a NICE Framework file: expected a JSON object');
      expect(error.message).to.include(found);
      expect(error.message).to.include('Accepted formats: NIST CPRT JSON');
    });
  }

  it('names the top-level keys of an unknown object', () => {
    const error = formatError({ foo: 1, bar: [] }, 'odd.json');
    expect(error.code).to.equal('NICE_FORMAT_UNKNOWN');
    expect(error.message).to.include(
      'odd.json: not a NICE Framework file: found an object with top-level keys {foo, bar}',
    );
    expect(error.message).to.include('SP 800-181 rev0 (2017) catalogue JSON');
    expect(formatError({}).message).to.include('found an object with no keys');
    expect(formatError({ sheets: {} }).message).to.include('a spreadsheet dump');
  });

  it('refuses the derived normalized files, pointing at the official CPRT JSON', () => {
    const error = formatError(niceTestData.json('normalizedV210'), 'nice_v2.1.0_normalized.json');
    expect(error.code).to.equal('NICE_FORMAT_UNKNOWN');
    expect(error.message).to.include('derived "normalized" NICE file');
  });

  it('rejects a CPRT file of an unsupported version, naming it and the supported ones', () => {
    const error = formatError(tinyCprt('2.2.0'), 'v2-2-0_nf_components.json');
    expect(error.code).to.equal('NICE_FORMAT_UNKNOWN');
    expect(error.message).to.include('unsupported NICE Framework version "2.2.0" in documents[0].version');
    expect(error.message).to.include(
      'supported versions: 1.0.0 (nice-1.0.0), 2.0.0 (nice-2.0.0), 2.1.0 (nice-2.1.0)',
    );
    const wrapped = formatError({ response: { elements: tinyCprt('3') } });
    expect(wrapped.message).to.include('"3" in response.elements.documents[0].version');
  });

  it('rejects CPRT files with missing or mistyped parts, naming each problem', () => {
    const noDocuments = tinyCprt();
    delete noDocuments['documents'];
    expect(formatError(noDocuments).message).to.include('documents must be a non-empty array');

    expect(formatError({ ...tinyCprt(), documents: [{ version: 2.1 }] }).message).to.include(
      'documents[0].version must be a string such as "2.1.0", found a number (2.1)',
    );
    expect(formatError({ ...tinyCprt(), documents: [null] }).message).to.include(
      'documents[0] must be an object, found null',
    );

    const notArrays = formatError({ ...tinyCprt(), elements: {}, relationships: 'none' });
    expect(notArrays.code).to.equal('NICE_FORMAT_UNKNOWN');
    expect(notArrays.message).to.include('malformed NIST CPRT JSON, 2 problems');
    expect(notArrays.message).to.include('elements must be an array, found an object with keys {}');
    expect(notArrays.message).to.include('relationships must be an array, found a string ("none")');

    const badItems = tinyCprt();
    badItems['elements'] = [
      ...(badItems['elements'] as unknown[]),
      null,
      { element_type: 'task', element_identifier: 7, text: 'x' },
      { element_type: 'task', element_identifier: 'T0002', text: ['x'] },
    ];
    badItems['relationships'] = [
      ...(badItems['relationships'] as unknown[]),
      { source_element_identifier: 'PD' },
    ];
    const error = formatError(badItems, 'bad.json');
    expect(error.message).to.include('bad.json: malformed NIST CPRT JSON, 5 problems');
    expect(error.message).to.include('elements[5] must be an object, found null');
    expect(error.message).to.include(
      'elements[6].element_identifier must be a non-empty string, found a number (7)',
    );
    expect(error.message).to.include('elements[7].text must be a string, found an array (1 items)');
    expect(error.message).to.include('relationships[4].dest_element_identifier must be a non-empty string');
    expect(error.message).to.include('relationships[4].relationship_identifier must be a string');
    expect((error.details as { problems: string[] }).problems).to.have.length(5);
  });

  it('does not read inherited properties as data', () => {
    const error = formatError(
      JSON.parse('{"documents":[{"version":"constructor"}],"elements":[],"relationships":[]}'),
    );
    expect(error.message).to.include('unsupported NICE Framework version "constructor"');
  });

  it('rejects a CPRT file without work roles', () => {
    expect(formatError({ ...tinyCprt(), elements: [], relationships: [] }).message).to.include(
      'defines no work_role elements',
    );
  });

  it('keeps dangling links out and reports them in warnings', () => {
    const input = tinyCprt();
    input['relationships'] = [
      ...(input['relationships'] as unknown[]),
      {
        source_element_identifier: 'PD-WRL-001',
        dest_element_identifier: 'S9999',
        relationship_identifier: 'projection',
      },
      {
        source_element_identifier: 'XX-WRL-001',
        dest_element_identifier: 'T0001',
        relationship_identifier: 'projection',
      },
    ];
    const catalogue = parseNiceFile(input, 'dangling.json');
    expect(catalogue.workRoles[0]?.statements).to.deep.equal(['T0001', 'K0001']);
    expect(catalogue.warnings).to.deep.equal([
      'dangling link PD-WRL-001 → S9999: S9999 is not defined in the file; left out',
      'dangling link XX-WRL-001 → T0001: XX-WRL-001 is not defined in the file; left out',
    ]);
  });

  it('rejects a rev0 catalogue with mistyped parts', () => {
    const rev0 = niceTestData.json('rev0') as Record<string, unknown>;
    const roles = rev0['work_roles'] as Record<string, unknown>[];
    const broken = {
      ...rev0,
      statements: [{ id: 'K0001', type: 'wisdom', text: 'x' }],
      work_roles: [{ ...roles[0], tasks: 'T0001' }, { ...roles[1], abilities: [3] }, 'PR-CDA-001'],
    };
    const error = formatError(broken, '2017.json');
    expect(error.code).to.equal('NICE_FORMAT_UNKNOWN');
    expect(error.message).to.include(
      '2017.json: malformed SP 800-181 rev0 (2017) catalogue JSON, 4 problems',
    );
    expect(error.message).to.include(
      'statements[0].type must be one of task, knowledge, skill, ability, found "wisdom"',
    );
    expect(error.message).to.include('work_roles[0].tasks must be an array of ids, found a string ("T0001")');
    expect(error.message).to.include('work_roles[1].abilities[0] must be an id string, found a number (3)');
    expect(error.message).to.include('work_roles[2] must be an object, found a string ("PR-CDA-001")');

    expect(formatError({ work_roles: null, statements: [] }).message).to.include(
      'work_roles must be an array, found null',
    );
  });

  it('reports rev0 role links to undefined statements as warnings', () => {
    const catalogue = parseNiceFile(
      {
        work_roles: [
          {
            id: 'PR-CDA-001',
            name: 'Analyst',
            category: 'PR',
            tasks: ['T0001', 'T0002'],
            knowledge: [],
            skills: [],
            abilities: [],
          },
        ],
        statements: [{ id: 'T0001', type: 'task', text: 'Do.' }],
      },
      'small-2017.json',
    );
    expect(catalogue.workRoles[0]?.statements).to.deep.equal(['T0001']);
    expect(catalogue.warnings).to.deep.equal([
      'dangling link PR-CDA-001 → T0002: T0002 is not defined in the file; left out',
    ]);
  });
});
