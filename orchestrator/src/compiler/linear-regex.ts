import { RE2JS } from 're2js';

/**
 * Scenario-authored regular expressions (flag regexes, expected check output) in RE2 syntax, run by
 * a linear-time engine (re2js, the pure-JavaScript port of RE2): matching costs O(pattern × text)
 * whatever the pattern, so `^(a+)+$` against a long answer cannot freeze the server. Constructs
 * that need backtracking (backreferences, lookahead, lookbehind) do not exist in RE2 and are
 * refused when a scenario is validated.
 */
export interface LinearRegex {
  readonly source: string;
  /** Whether the pattern matches somewhere in `text` (like `RegExp.prototype.test`, unanchored). */
  test(text: string): boolean;
}

/** Longest pattern a scenario may hold: compiling costs time in the pattern's size, matching pattern × text. */
export const MAX_PATTERN_LENGTH = 1_000;

/** Compiles a pattern; throws (RE2JSSyntaxException) when it is not valid RE2. */
export function compileLinearRegex(source: string, caseSensitive: boolean): LinearRegex {
  const re = RE2JS.compile(source, caseSensitive ? 0 : RE2JS.CASE_INSENSITIVE);
  return { source, test: (text) => re.matcher(text).find() };
}

/** Why a pattern cannot be used, in words an author understands; undefined when it can. */
export function linearRegexProblem(source: string): string | undefined {
  if (source.length > MAX_PATTERN_LENGTH)
    return `the pattern is ${source.length} characters long; a scenario regex may have at most ${MAX_PATTERN_LENGTH}`;
  try {
    RE2JS.compile(source);
    return undefined;
  } catch (error) {
    const message = (error as Error).message.replace(/^error parsing regexp: /, '');
    const unsupported = unsupportedConstruct(source);
    return unsupported
      ? `${unsupported} is not supported: scenario regexes are RE2 syntax, matched in linear time, which has no constructs that need backtracking`
      : message;
  }
}

function unsupportedConstruct(source: string): string | undefined {
  if (/\(\?<[=!]/.test(source)) return 'lookbehind ((?<= …) or (?<! …))';
  if (/\(\?[=!]/.test(source)) return 'lookahead ((?= …) or (?! …))';
  if (/(^|[^\\])(\\\\)*\\([1-9]|k<)/.test(source)) return 'a backreference (\\1 or \\k<name>)';
  if (/(^|[^\\])(\\\\)*\\u/.test(source)) return 'the JavaScript escape \\u (write \\x{…} instead)';
  return undefined;
}
