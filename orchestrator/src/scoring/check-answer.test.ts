import { expect } from 'chai';
import type { PlannedObjective } from '../compiler/environment-plan.ts';
import { isCyropError } from '../errors.ts';
import {
  AnswerChecker,
  checkAnswer,
  compilePattern,
  evaluateCheck,
  MAX_SUBMISSION_BYTES,
  normalizeAnswer,
  secretEquals,
} from './check-answer.ts';
import { defaultObjectives, teamFlag, testPlans, toFullWidth } from './scoring-test-data.ts';

function objective(teamId: string, id: string): PlannedObjective {
  const found = defaultObjectives(teamId).find((o) => o.id === id);
  if (!found) throw new Error(id);
  return found;
}

describe('check-answer', () => {
  describe('questions', () => {
    const recon = objective('team-a', 'recon');

    it('accepts full-width digits and letters typed with a Japanese IME (NFKC)', () => {
      expect(toFullWidth('8080')).to.equal('８０８０');
      expect(checkAnswer(recon, '８０８０')).to.deep.equal({ verdict: 'correct' });
      expect(checkAnswer(recon, 'ＴＣＰ／８０８０')).to.deep.equal({ verdict: 'correct' });
      expect(checkAnswer(recon, '\u3000８０８０\u3000')).to.deep.equal({ verdict: 'correct' }); // ideographic spaces
    });

    it('trims, collapses inner whitespace and ignores case unless the question is case-sensitive', () => {
      expect(normalizeAnswer('  Hello \t  World\n', false)).to.equal('hello world');
      const phrase: PlannedObjective = {
        ...recon,
        question: { answers: ['Blue  Team'], caseSensitive: false },
      };
      expect(checkAnswer(phrase, '  blue team ').verdict).to.equal('correct');
      expect(checkAnswer(phrase, 'blueteam')).to.deep.equal({ verdict: 'wrong', reason: 'no-match' });
      const strict: PlannedObjective = { ...recon, question: { answers: ['Alice'], caseSensitive: true } };
      expect(checkAnswer(strict, ' Alice ').verdict).to.equal('correct');
      expect(checkAnswer(strict, 'alice').verdict).to.equal('wrong');
      expect(checkAnswer(strict, 'Ａｌｉｃｅ').verdict).to.equal('correct'); // NFKC still applies
    });

    it('accepts any of the accepted answers and refuses near misses', () => {
      expect(checkAnswer(recon, 'tcp/8080').verdict).to.equal('correct');
      expect(checkAnswer(recon, '8081')).to.deep.equal({ verdict: 'wrong', reason: 'no-match' });
      expect(checkAnswer(recon, '80 80').verdict).to.equal('wrong');
      expect(checkAnswer(recon, ' \u3000 ')).to.deep.equal({ verdict: 'wrong', reason: 'empty' });
    });
  });

  describe('flags', () => {
    const sqliA = objective('team-a', 'sqli');

    it('match exactly after trimming surrounding whitespace only', () => {
      const flag = teamFlag('team-a', 'sqli');
      expect(checkAnswer(sqliA, `  ${flag}\r\n`).verdict).to.equal('correct');
      expect(checkAnswer(sqliA, flag.toLowerCase()).verdict).to.equal('wrong');
      expect(checkAnswer(sqliA, flag.replace('{', '{ ')).verdict).to.equal('wrong');
      expect(checkAnswer(sqliA, toFullWidth(flag)).verdict).to.equal('wrong'); // no NFKC for flags
      expect(checkAnswer(sqliA, '')).to.deep.equal({ verdict: 'wrong', reason: 'empty' });
    });

    it('apply regex patterns as written (anchors where the author put them), honouring caseSensitive', () => {
      const token = objective('team-a', 'token');
      expect(checkAnswer(token, 'CYROP{tok-42}').verdict).to.equal('correct');
      expect(checkAnswer(token, ' CYROP{tok-42} ').verdict).to.equal('correct');
      expect(checkAnswer(token, 'xCYROP{tok-42}').verdict).to.equal('wrong');
      expect(checkAnswer(token, 'cyrop{tok-42}').verdict).to.equal('wrong');
      const insensitive: PlannedObjective = {
        ...token,
        flag: { regex: '^CYROP\\{tok-[0-9]+\\}$', caseSensitive: false },
      };
      expect(checkAnswer(insensitive, 'cyrop{TOK-7}').verdict).to.equal('correct');
      const unanchored: PlannedObjective = { ...token, flag: { regex: 'tok-[0-9]+', caseSensitive: true } };
      expect(checkAnswer(unanchored, 'anything tok-1 anything').verdict).to.equal('correct');
    });

    it('match nested-quantifier patterns in linear time, with the verdicts a backtracking engine would give', () => {
      // `^(a+)+$` against 32 a's and a '!' took a backtracking engine 12 s (each extra a doubling it).
      const token = objective('team-a', 'token');
      const evil: PlannedObjective = { ...token, flag: { regex: '^(a+)+$', caseSensitive: true } };
      for (const n of [32, 64, 1000]) {
        expect(checkAnswer(evil, `${'a'.repeat(n)}!`).verdict, `${n} a's and a '!'`).to.equal('wrong');
        expect(checkAnswer(evil, 'a'.repeat(n)).verdict, `${n} a's`).to.equal('correct');
      }
      const unicode: PlannedObjective = {
        ...token,
        flag: { regex: '^フラグ\\{\\p{L}+\\}$', caseSensitive: true },
      };
      expect(checkAnswer(unicode, 'フラグ{ひみつ}').verdict).to.equal('correct');
      expect(checkAnswer(unicode, 'フラグ{123}').verdict).to.equal('wrong');
    });

    it('compiles each pattern once', () => {
      expect(compilePattern('^a+$', true)).to.equal(compilePattern('^a+$', true));
      expect(compilePattern('^a+$', true)).to.not.equal(compilePattern('^a+$', false));
      expect(() => compilePattern('(', true)).to.throw(/does not compile/);
      expect(() => compilePattern('(a)\\1', true)).to.throw(/does not compile/); // no backreferences in RE2
    });

    it('reports another team’s flag as suspected sharing, never as correct', () => {
      const checker = new AnswerChecker(testPlans({ teams: ['team-a', 'team-b', 'team-c'] }));
      expect(checker.check('team-a', 'sqli', teamFlag('team-b', 'sqli'))).to.deep.equal({
        verdict: 'other-team',
        ownerTeamIds: ['team-b'],
      });
      expect(checker.check('team-a', 'sqli', teamFlag('team-a', 'sqli'))).to.deep.equal({
        verdict: 'correct',
      });
      // team-b's flag for a different objective is not a flag of this one
      expect(checker.check('team-a', 'sqli', teamFlag('team-b', 'token')).verdict).to.equal('wrong');
    });

    it('treats a flag shared by every team as correct for each of them', () => {
      const plans = testPlans({
        teams: ['team-a', 'team-b'],
        objectives: (id) =>
          defaultObjectives(id).map((o) => (o.id === 'sqli' ? { ...o, flag: { exact: 'CYROP{same}' } } : o)),
      });
      const checker = new AnswerChecker(plans);
      expect(checker.check('team-a', 'sqli', 'CYROP{same}')).to.deep.equal({ verdict: 'correct' });
      expect(checker.check('team-b', 'sqli', 'CYROP{same}')).to.deep.equal({ verdict: 'correct' });
    });
  });

  it('refuses submissions over 1 KiB of UTF-8 without checking them', () => {
    const recon = objective('team-a', 'recon');
    expect(MAX_SUBMISSION_BYTES).to.equal(1024);
    expect(checkAnswer(recon, `8080${' '.repeat(1020)}`).verdict).to.equal('correct'); // exactly 1024 bytes
    expect(checkAnswer(recon, `8080${' '.repeat(1021)}`)).to.deep.equal({
      verdict: 'wrong',
      reason: 'too-long',
    });
    expect(checkAnswer(recon, 'あ'.repeat(342))).to.deep.equal({ verdict: 'wrong', reason: 'too-long' }); // 342 chars, 1026 bytes
  });

  it('refuses answers to check objectives', () => {
    try {
      checkAnswer(objective('team-a', 'patch'), 'done');
      expect.fail('should throw');
    } catch (error) {
      expect(isCyropError(error) && error.code).to.equal('BAD_REQUEST');
    }
  });

  it('compares secrets in constant time whatever their lengths', () => {
    expect(secretEquals('abc', 'abc')).to.equal(true);
    expect(secretEquals('abc', 'abcd')).to.equal(false);
    expect(secretEquals('', 'x'.repeat(5000))).to.equal(false);
  });

  it('evaluates check runs: exit code, stdout pattern, timeouts', () => {
    const check = objective('team-a', 'patch').check!;
    expect(evaluateCheck(check, { exitCode: 0, stdout: 'login: SAFE\n' })).to.equal(true);
    expect(evaluateCheck(check, { exitCode: 0, stdout: 'unsafe\n' })).to.equal(false);
    expect(evaluateCheck(check, { exitCode: 1, stdout: 'SAFE' })).to.equal(false);
    expect(evaluateCheck(check, { exitCode: null, stdout: 'SAFE' })).to.equal(false);
    expect(evaluateCheck(check, { exitCode: 0, stdout: 'SAFE', timedOut: true })).to.equal(false);
    expect(evaluateCheck({ ...check, expect: { exitCode: 3 } }, { exitCode: 3, stdout: '' })).to.equal(true);
  });
});
