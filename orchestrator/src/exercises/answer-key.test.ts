import { expect } from 'chai';
import type { EnvironmentPlan, PlannedObjective } from '../compiler/environment-plan.ts';
import { answerKeyCsv, answerKeyOf } from './answer-key.ts';

const objective = (
  o: Partial<PlannedObjective> & Pick<PlannedObjective, 'id' | 'kind'>,
): PlannedObjective => ({
  title: { en: `Title ${o.id}`, ja: `課題 ${o.id}` },
  points: 10,
  requires: [],
  competencies: [],
  hints: [],
  ...o,
});

const plan = (team: string, name: string, flag: string): EnvironmentPlan =>
  ({
    team: { id: team, name, index: 1 },
    scenario: { id: 's', version: '1.0.0', sourceHash: 'h' },
    objectives: [
      objective({ id: 'f', kind: 'flag', flag: { exact: flag } }),
      objective({ id: 'r', kind: 'flag', flag: { regex: '=x', caseSensitive: false } }),
      objective({
        id: 'q',
        kind: 'question',
        question: { answers: ['8080', 'tcp/8080'], caseSensitive: false },
      }),
      objective({
        id: 'c',
        kind: 'check',
        check: {
          host: 'web',
          from: 'probe',
          forgeable: false,
          run: ['/opt/x'],
          expect: { exitCode: 0 },
          timeoutMs: 1,
        },
      }),
    ],
  }) as unknown as EnvironmentPlan;

describe('answer key', () => {
  const key = answerKeyOf('ex', [plan('team-1', 'Red, "A"', 'CYROP{1}'), plan('team-2', '青', 'CYROP{2}')]);

  it('gives each team what its plan judges against, objective by objective', () => {
    expect(key.teams.map((t) => [t.teamId, t.objectives.map((o) => o.expected)])).to.deep.equal([
      [
        'team-1',
        [
          { match: 'exact', value: 'CYROP{1}' },
          { match: 'regex', pattern: '=x', caseSensitive: false },
          { match: 'any-of', values: ['8080', 'tcp/8080'], caseSensitive: false },
          { match: 'check', host: 'web', from: 'probe', run: ['/opt/x'] },
        ],
      ],
      [
        'team-2',
        [
          { match: 'exact', value: 'CYROP{2}' },
          { match: 'regex', pattern: '=x', caseSensitive: false },
          { match: 'any-of', values: ['8080', 'tcp/8080'], caseSensitive: false },
          { match: 'check', host: 'web', from: 'probe', run: ['/opt/x'] },
        ],
      ],
    ]);
  });

  it('writes CSV with a BOM, CRLF, quoted names, guarded formulas and titles in the language asked', () => {
    const csv = answerKeyCsv(key, 'ja');
    expect(csv.startsWith('\uFEFFteam_id,team_name,objective_id,')).to.equal(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines).to.have.length(1 + 8 + 1);
    expect(lines[1]).to.equal('team-1,"Red, ""A""",f,課題 f,flag,10,exact,CYROP{1},,true');
    expect(lines[2]).to.equal(`team-1,"Red, ""A""",r,課題 r,flag,10,regex,'=x,,false`);
    expect(lines[3]).to.equal('team-1,"Red, ""A""",q,課題 q,question,10,any-of,8080,tcp/8080,false');
    expect(lines[4]).to.equal('team-1,"Red, ""A""",c,課題 c,check,10,check,probe → web: /opt/x,,');
    expect(lines[5]).to.match(/^team-2,青,f,/);
  });
});
