import { expect } from 'chai';
import { decideCheckResult, decideSubmission } from '../scoring/scoring-decisions.ts';
import { TestLog, testExercise } from '../scoring/scoring-test-data.ts';
import { acceptedAnswers, lockedObjectives } from './team-objectives.ts';

describe('a team’s objectives beyond the visible ones', () => {
  const start = () => {
    const log = new TestLog(testExercise({ teams: ['red', 'blue'] }));
    log.append([{ type: 'exercise-started', at: 1 }]);
    return log;
  };

  it('lists locked objectives with the unsolved objectives they wait for, until they open', () => {
    const log = start();
    const locked = lockedObjectives(log.projection, 'red');
    expect(locked.map((o) => [o.id, o.requires.map((r) => r.id)])).to.deep.equal([
      ['sqli', ['recon']],
      ['patch', ['recon']],
    ]);
    expect(locked[0]?.title).to.deep.equal({ en: 'Log in as admin' });
    log.append(
      decideSubmission(log.projection, { teamId: 'red', objectiveId: 'recon', text: 'tcp/8080' }, 2).events,
    );
    expect(lockedObjectives(log.projection, 'red')).to.deep.equal([]);
    expect(
      lockedObjectives(log.projection, 'blue').map((o) => o.id),
      'other teams unchanged',
    ).to.deep.equal(['sqli', 'patch']);
  });

  it('gives back the team’s own accepted text and a passing check’s reason, nothing for wrong tries or other teams', () => {
    const log = start();
    const submit = (teamId: string, objectiveId: string, text: string, at: number) =>
      log.append(decideSubmission(log.projection, { teamId, objectiveId, text }, at).events);
    submit('red', 'recon', '9090', 2);
    expect(acceptedAnswers(log.projection, 'red').size, 'a wrong answer is not accepted').to.equal(0);
    submit('red', 'recon', ' TCP/8080 ', 3);
    const check = (stdout: string, exitCode: number, at: number) =>
      log.append(
        decideCheckResult(
          log.projection,
          { teamId: 'red', objectiveId: 'patch', run: { exitCode, stdout }, durationMs: 5 },
          at,
        ).events,
      );
    check('still UNSAFE\n', 1, 4);
    check('\nSAFE: prepared statements everywhere\nmore\n', 0, 5);
    const accepted = acceptedAnswers(log.projection, 'red');
    expect(Object.fromEntries(accepted)).to.deep.equal({
      recon: ' TCP/8080 ',
      patch: 'SAFE: prepared statements everywhere',
    });
    expect(acceptedAnswers(log.projection, 'blue').size).to.equal(0);
  });
});
