import { expect } from 'chai';
import { CyropError } from '../errors.ts';
import { scoringExerciseFromPlans } from './scoring-exercise.ts';
import { defaultObjectives, testPlans } from './scoring-test-data.ts';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(CyropError);
    expect((error as CyropError).code).to.equal('BAD_REQUEST');
    return (error as CyropError).details as string[];
  }
  return expect.fail('expected BAD_REQUEST');
}

describe('scoring-exercise', () => {
  it('takes the shared objectives, teams, rules and rate limit from the per-team plans', () => {
    const exercise = scoringExerciseFromPlans(
      testPlans({ teams: ['red', 'blue'], wrongSubmissionsPerMinute: 7 }),
    );
    expect(exercise.exerciseId).to.equal('ex-1');
    expect(exercise.teams).to.deep.equal([
      { id: 'red', name: 'Team red', index: 0 },
      { id: 'blue', name: 'Team blue', index: 1 },
    ]);
    expect(exercise.objectives.map((o) => o.id)).to.deep.equal(['recon', 'sqli', 'token', 'patch', 'notes']);
    expect(exercise.objectives[1]).to.deep.include({
      requires: ['recon'],
      hints: [
        { id: 'h1', cost: 20 },
        { id: 'h2', cost: 30 },
      ],
    });
    expect(JSON.stringify(exercise.objectives)).to.not.include('CYROP{');
    expect(exercise.rateLimit).to.deep.equal({ maxWrong: 7, windowMs: 60_000 });
    expect(exercise.answers.objective('blue', 'sqli')?.flag).to.deep.equal({
      exact: 'CYROP{sqli-blue-7f3a}',
    });
  });

  it('refuses plans that do not make one exercise, listing every problem', () => {
    expect(problems(() => scoringExerciseFromPlans([]))).to.equal(undefined);
    const [a, b] = testPlans({ teams: ['a', 'b'] });
    const other = { ...b!, exercise: { id: 'ex-2' } };
    const cheaper = {
      ...b!,
      team: { ...b!.team, id: 'c' },
      objectives: defaultObjectives('c').map((o) => (o.id === 'sqli' ? { ...o, points: 1 } : o)),
    };
    expect(problems(() => scoringExerciseFromPlans([a!, other, a!, cheaper]))).to.deep.equal([
      'team b belongs to exercise ex-2, not ex-1',
      'team a has more than one plan',
      "team c's objectives or scoring differ from team a's",
    ]);
  });
});
