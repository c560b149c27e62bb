import { createHash, timingSafeEqual } from 'node:crypto';
import type { EnvironmentPlan, PlannedObjective } from '../compiler/environment-plan.ts';
import { compileLinearRegex, type LinearRegex } from '../compiler/linear-regex.ts';
import { CyropError } from '../errors.ts';
import type { WrongReason } from './scoring-events.ts';

/** Longer submissions (UTF-8 bytes) are `wrong` with reason `too-long`, unchecked. */
export const MAX_SUBMISSION_BYTES = 1024;

export type AnswerVerdict =
  | { verdict: 'correct' }
  | { verdict: 'wrong'; reason: WrongReason }
  /** Another team's flag: suspected sharing. Never accepted. */
  | { verdict: 'other-team'; ownerTeamIds: readonly string[] };

/** Flag digest (SHA-256 hex of the trimmed flag) → the teams whose flag it is, for one objective. */
export type FlagOwners = ReadonlyMap<string, readonly string[]>;

type PlannedFlag = NonNullable<PlannedObjective['flag']>;
type PlannedQuestion = NonNullable<PlannedObjective['question']>;
type PlannedCheck = NonNullable<PlannedObjective['check']>;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Equality in time independent of where the strings differ and of the expected value's length:
 * both sides are hashed to 32 bytes first, then compared with `timingSafeEqual`.
 */
export function secretEquals(submitted: string, expected: string): boolean {
  return timingSafeEqual(digest(submitted), digest(expected));
}

/**
 * Question answers: Unicode NFKC (full-width `８０８０` → `8080`, ideographic space → space),
 * surrounding whitespace trimmed, inner runs of whitespace collapsed to one space, lower-cased
 * unless the question is case-sensitive.
 */
export function normalizeAnswer(text: string, caseSensitive: boolean): string {
  const normalized = text.normalize('NFKC').trim().replace(/\s+/gu, ' ');
  return caseSensitive ? normalized : normalized.toLowerCase();
}

const REGEX_CACHE_LIMIT = 512;
const regexCache = new Map<string, LinearRegex>();

/**
 * Compiles (once; cached) a pattern from a scenario: RE2 syntax, matched in linear time (see
 * `compiler/linear-regex.ts`), so no pattern and no answer can stall the event loop; case-insensitive
 * unless case-sensitive. Not anchored by us: `^…$` apply exactly where the author wrote them.
 */
export function compilePattern(source: string, caseSensitive: boolean): LinearRegex {
  const key = `${caseSensitive ? 's' : 'i'}/${source}`;
  let regex = regexCache.get(key);
  if (!regex) {
    try {
      regex = compileLinearRegex(source, caseSensitive);
    } catch (error) {
      throw new CyropError('SCENARIO_INVALID', `pattern does not compile: ${source}`, { cause: error });
    }
    if (regexCache.size >= REGEX_CACHE_LIMIT) regexCache.clear();
    regexCache.set(key, regex);
  }
  return regex;
}

/**
 * Flags: surrounding whitespace is trimmed from the submission (and from an exact expected flag),
 * nothing else. Exact flags compare in constant time; regex flags test the trimmed text.
 */
export function checkFlag(flag: PlannedFlag, submitted: string): boolean {
  const candidate = submitted.trim();
  if ('exact' in flag) return secretEquals(candidate, flag.exact.trim());
  return compilePattern(flag.regex, flag.caseSensitive).test(candidate);
}

/** Questions: normalised both sides (see `normalizeAnswer`); every accepted answer is compared, no early exit. */
export function checkQuestion(question: PlannedQuestion, submitted: string): boolean {
  const candidate = normalizeAnswer(submitted, question.caseSensitive);
  let matched = false;
  for (const answer of question.answers) {
    const equal = secretEquals(candidate, normalizeAnswer(answer, question.caseSensitive));
    matched = equal || matched;
  }
  return matched;
}

export interface CheckAnswerOptions {
  /** The submitting team; its own entry in `flagOwners` is ignored. */
  teamId?: string;
  /** Other teams' exact flags for this objective (see `indexFlagOwners`). */
  flagOwners?: FlagOwners;
}

/**
 * Classifies one submission against the submitting team's own objective (from its plan).
 * A flag equal to another team's flag is `other-team`, never `correct` (unless it is also this
 * team's flag, as with a flag shared by all teams). Questions are never classified `other-team`:
 * per-team answers are often drawn from small sets (a user name among three), so a match proves
 * nothing. Throws BAD_REQUEST for `check` objectives, which take no answers.
 */
export function checkAnswer(
  objective: PlannedObjective,
  submitted: string,
  options: CheckAnswerOptions = {},
): AnswerVerdict {
  if (objective.kind === 'check')
    throw new CyropError('BAD_REQUEST', `objective ${objective.id} is scored by a check and takes no answer`);
  if (Buffer.byteLength(submitted, 'utf8') > MAX_SUBMISSION_BYTES)
    return { verdict: 'wrong', reason: 'too-long' };
  if (objective.kind === 'question') {
    if (!objective.question) throw missing(objective, 'question');
    if (normalizeAnswer(submitted, true) === '') return { verdict: 'wrong', reason: 'empty' };
    return checkQuestion(objective.question, submitted)
      ? { verdict: 'correct' }
      : { verdict: 'wrong', reason: 'no-match' };
  }
  if (!objective.flag) throw missing(objective, 'flag');
  if (submitted.trim() === '') return { verdict: 'wrong', reason: 'empty' };
  if (checkFlag(objective.flag, submitted)) return { verdict: 'correct' };
  const owners = options.flagOwners?.get(digest(submitted.trim()).toString('hex'));
  const others = owners?.filter((id) => id !== options.teamId) ?? [];
  return others.length > 0
    ? { verdict: 'other-team', ownerTeamIds: others }
    : { verdict: 'wrong', reason: 'no-match' };
}

function missing(objective: PlannedObjective, what: string): CyropError {
  return new CyropError('INTERNAL', `objective ${objective.id} of kind ${objective.kind} has no ${what}`);
}

/** Index of exact flags per team for one objective: digest of the trimmed flag → owning teams. */
export function indexFlagOwners(
  entries: Iterable<{ teamId: string; objective: PlannedObjective }>,
): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const { teamId, objective } of entries) {
    const flag = objective.flag;
    if (!flag || !('exact' in flag)) continue;
    const key = digest(flag.exact.trim()).toString('hex');
    const owners = index.get(key);
    if (owners) owners.push(teamId);
    else index.set(key, [teamId]);
  }
  return index;
}

/** What a check command produced, as the runtime driver reports it. */
export interface CheckRun {
  exitCode: number | null;
  stdout: string;
  timedOut?: boolean;
}

/** A check passes when it exits by itself with the expected code and, if asked, stdout matches the pattern. */
export function evaluateCheck(check: PlannedCheck, run: CheckRun): boolean {
  if (run.timedOut === true || run.exitCode === null || run.exitCode !== check.expect.exitCode) return false;
  const pattern = check.expect.stdout;
  return pattern === undefined || compilePattern(pattern, true).test(run.stdout);
}

/**
 * Every team's secrets for one exercise, built once from the per-team plans: each team's own
 * objectives (flags, answers, rendered texts) and, per objective, whose exact flag is whose.
 * Regex patterns are compiled here, so a bad one fails at start-up, not at the first submission.
 */
export class AnswerChecker {
  private readonly objectivesByTeam = new Map<string, Map<string, PlannedObjective>>();
  private readonly ownersByObjective = new Map<string, FlagOwners>();

  constructor(plans: readonly EnvironmentPlan[]) {
    const entriesByObjective = new Map<string, { teamId: string; objective: PlannedObjective }[]>();
    for (const plan of plans) {
      const objectives = new Map<string, PlannedObjective>();
      for (const objective of plan.objectives) {
        objectives.set(objective.id, objective);
        if (objective.flag && 'regex' in objective.flag)
          compilePattern(objective.flag.regex, objective.flag.caseSensitive);
        if (objective.check?.expect.stdout !== undefined) compilePattern(objective.check.expect.stdout, true);
        let entries = entriesByObjective.get(objective.id);
        if (!entries) entriesByObjective.set(objective.id, (entries = []));
        entries.push({ teamId: plan.team.id, objective });
      }
      this.objectivesByTeam.set(plan.team.id, objectives);
    }
    for (const [objectiveId, entries] of entriesByObjective)
      this.ownersByObjective.set(objectiveId, indexFlagOwners(entries));
  }

  /** The team's own planned objective (with its secrets), or undefined. */
  objective(teamId: string, objectiveId: string): PlannedObjective | undefined {
    return this.objectivesByTeam.get(teamId)?.get(objectiveId);
  }

  check(teamId: string, objectiveId: string, submitted: string): AnswerVerdict {
    const objective = this.objective(teamId, objectiveId);
    if (!objective) throw new CyropError('NOT_FOUND', `no objective ${objectiveId} for team ${teamId}`);
    const flagOwners = this.ownersByObjective.get(objectiveId);
    return checkAnswer(objective, submitted, { teamId, ...(flagOwners ? { flagOwners } : {}) });
  }
}
