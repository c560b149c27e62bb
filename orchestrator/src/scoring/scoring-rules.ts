import type { PlannedScoring } from '../compiler/environment-plan.ts';

/**
 * The arithmetic of scoring. All values are integers.
 *
 * Static model: an objective is worth its `points`.
 *
 * Dynamic model: every scored objective follows the exercise's curve (I = initial, m = minimum,
 * δ = decay ≥ 1) by its number of solves n, counting every team's solve including the current one;
 * k = max(n − 1, 0), so the first solver is valued at I:
 *   linear     V(n) = max(m, ⌈I − (I − m)·k/δ⌉)
 *   parabolic  V(n) = max(m, ⌈I − (I − m)·k²/δ²⌉)    (CTFd's "logarithmic", which is a parabola)
 * Both reach m at k = δ, i.e. at solve number δ + 1: `decay` is the number of solves after the
 * first that take the value down to the minimum. The parabolic formula is CTFd's exactly. CTFd's
 * linear function reads δ as *points lost per solve* instead; ours reads it as a solve count for
 * both functions (one meaning per field). The two coincide when CTFd's δ equals (I − m)/δ, as in the
 * note's worked example (500, 100, 20). Objectives whose `points` is 0 stay at 0 (unscored).
 * The scenario's per-objective `points` is otherwise not used in the dynamic model, as in CTFd
 * (a dynamic challenge's value *is* its curve): the crowd's solve count sets the relative worth.
 *
 * Re-valuation: decay is **retroactive**, as in CTFd, rCTF and noCTF: every solver of an objective
 * holds its current value V(n), so earlier solvers lose points when later teams solve it. Nobody
 * can gain by solving late, the board always adds up from the objectives' displayed values, and
 * the value can be re-derived from the log at any time. The freeze makes it freeze-proof: the
 * public board keeps the values of the freeze moment (see ScoreboardProjection).
 *
 * First blood: the first team to solve an objective (first in log order) gets ⌊V·p/100⌋ on top,
 * with V the objective's current value (so the bonus decays with it), p = `firstBloodBonusPercent`.
 * Only one team per objective ever holds it.
 *
 * Hints: a hint costs its `cost` from the moment it is unlocked, whether or not the objective is
 * ever solved (the help was received; otherwise giving up after reading every hint would be free).
 * Unlocking does not require a positive balance: a struggling team may go below zero rather than be
 * refused help. Once an objective is solved its hints are shown free, with no unlock event.
 *
 * Ranking: points descending, then the time of the team's last scoring event ascending (whoever
 * reached the score first wins), then team id (code-unit order). Scoring events are solves of
 * objectives with points > 0, awards ≠ 0 and hint unlocks with cost > 0; a team with none ranks
 * after the teams with the same points that have one.
 */
export type DynamicScoring = NonNullable<PlannedScoring['dynamic']>;

/** ⌊a / b⌋ for non-negative safe integers, exact even where the float quotient rounds up. */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/** V(n) of the dynamic curve for n solves (n = 0 is valued as the first solve). */
export function dynamicValue(curve: DynamicScoring, solves: number): number {
  const initial = curve.initial;
  const minimum = Math.min(curve.minimum, initial);
  const decay = Math.max(1, curve.decay);
  const k = Math.min(Math.max(solves - 1, 0), decay); // beyond δ the value is m anyway
  const span = initial - minimum;
  const lost =
    curve.function === 'parabolic' ? floorDiv(span * k * k, decay * decay) : floorDiv(span * k, decay);
  return Math.max(minimum, initial - lost);
}

/** The value of an objective worth `basePoints` in the scenario, after `solves` solves. */
export function objectiveValue(scoring: PlannedScoring, basePoints: number, solves: number): number {
  if (basePoints <= 0) return 0;
  if (scoring.model === 'dynamic' && scoring.dynamic) return dynamicValue(scoring.dynamic, solves);
  return basePoints;
}

export function firstBloodBonus(value: number, percent: number): number {
  if (percent <= 0 || value <= 0) return 0;
  return floorDiv(value * percent, 100);
}

export interface StandingKey {
  readonly teamId: string;
  readonly points: number;
  readonly lastScoringAt: number | null;
}

/** Board order: negative when `a` ranks above `b`. Total: equal only for the same team id. */
export function compareStandings(a: StandingKey, b: StandingKey): number {
  if (a.points !== b.points) return b.points - a.points;
  if (a.lastScoringAt !== b.lastScoringAt) {
    if (a.lastScoringAt === null) return 1;
    if (b.lastScoringAt === null) return -1;
    return a.lastScoringAt - b.lastScoringAt;
  }
  return compareTeamIds(a.teamId, b.teamId);
}

/**
 * Team ids in the order people count them: digit runs by value (`team-2` before `team-10`), the rest
 * by character code; ids that differ only in leading zeros fall back to plain order, so it is total.
 */
export function compareTeamIds(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let si = i;
      let sj = j;
      while (a.charCodeAt(si) === 48) si++;
      while (b.charCodeAt(sj) === 48) sj++;
      let ei = si;
      let ej = sj;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      if (ei - si !== ej - sj) return ei - si - (ej - sj);
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k);
        if (d !== 0) return d;
      }
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca - cb;
    i++;
    j++;
  }
  const rest = a.length - i - (b.length - j);
  if (rest !== 0) return rest;
  return a < b ? -1 : a > b ? 1 : 0;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** When the server should append `freeze`: `freezeBeforeEndMs` before the planned end, if both exist. */
export function freezeDueAt(scoring: PlannedScoring, endsAt: number | undefined): number | undefined {
  if (endsAt === undefined || scoring.freezeBeforeEndMs === undefined) return undefined;
  return endsAt - scoring.freezeBeforeEndMs;
}
