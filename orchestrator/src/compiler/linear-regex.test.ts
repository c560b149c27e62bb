import { expect } from 'chai';
import { compileLinearRegex, linearRegexProblem, MAX_PATTERN_LENGTH } from './linear-regex.ts';

describe('linear-time regexes (RE2 syntax)', () => {
  it('search like RegExp.test: unanchored unless the author anchors, case-insensitive on request', () => {
    expect(compileLinearRegex('tok-[0-9]+', true).test('xx tok-12 yy')).to.equal(true);
    expect(compileLinearRegex('^tok-[0-9]+$', true).test('xx tok-12')).to.equal(false);
    expect(compileLinearRegex('^CYROP\\{[a-z]+\\}$', false).test('cyrop{ABC}')).to.equal(true);
    expect(compileLinearRegex('^CYROP\\{[a-z]+\\}$', true).test('cyrop{abc}')).to.equal(false);
    expect(compileLinearRegex('^\\p{Han}+$', true).test('漢字')).to.equal(true);
  });

  it('answer catastrophic-backtracking patterns on long inputs with the right verdict', () => {
    for (const pattern of ['^(a+)+$', '^(a|a)*$', '^(a|aa)+$', '^(.*a){20}$']) {
      const re = compileLinearRegex(pattern, true);
      for (const n of [32, 64, 1000])
        expect(re.test(`${'a'.repeat(n)}!`), `${pattern} on ${n}`).to.equal(false);
    }
    expect(compileLinearRegex('^(a+)+$', true).test('a'.repeat(1000))).to.equal(true);
  });

  it('refuse what RE2 cannot run, naming the construct', () => {
    expect(linearRegexProblem('^CYROP\\{[a-z0-9]+\\}$')).to.equal(undefined);
    expect(linearRegexProblem('(a)\\1')).to.match(/^a backreference .* RE2 syntax/);
    expect(linearRegexProblem('(?<x>a)\\k<x>')).to.match(/^a backreference/);
    expect(linearRegexProblem('a(?=b)')).to.match(/^lookahead/);
    expect(linearRegexProblem('a(?!b)')).to.match(/^lookahead/);
    expect(linearRegexProblem('(?<=a)b')).to.match(/^lookbehind/);
    expect(linearRegexProblem('(?<!a)b')).to.match(/^lookbehind/);
    expect(linearRegexProblem('\\u0041')).to.match(/\\x\{…\}/);
    expect(linearRegexProblem('\\\\1')).to.equal(undefined); // an escaped backslash, then 1
    expect(linearRegexProblem('[a-')).to.match(/missing closing \]/);
    expect(linearRegexProblem('((a{1000}){1000}){1000}')).to.match(/repeat count/);
    expect(linearRegexProblem('a'.repeat(MAX_PATTERN_LENGTH))).to.equal(undefined);
    expect(linearRegexProblem('a'.repeat(MAX_PATTERN_LENGTH + 1))).to.equal(
      `the pattern is ${MAX_PATTERN_LENGTH + 1} characters long; a scenario regex may have at most ${MAX_PATTERN_LENGTH}`,
    );
  });
});
