/**
 * Wrong-answer rate limit, per team per objective, over a sliding window: at most `maxWrong` wrong
 * submissions in any `windowMs`. Once reached, further submissions inside the window are refused
 * (`rate-limited`) without being checked, and refusals do not extend the window.
 *
 * Pure and deterministic: the state is the times of recent wrong submissions taken from the event
 * log, and the caller passes `now`. The two transitions are
 *   `admitSubmission(state, now, policy)  → { decision, state }`  (before checking an answer)
 *   `recordWrongSubmission(state, at, policy) → state`            (when a wrong outcome is logged)
 * The server applies both for one team at a time (single writer per team), which is what makes the
 * limit race-free: no accepted attempt beyond the limit however many requests arrive at once.
 */
export interface RateLimitPolicy {
  /** Wrong submissions allowed per window; the plan's `settings.wrongSubmissionsPerMinute`. */
  readonly maxWrong: number;
  readonly windowMs: number;
}

export const RATE_LIMIT_WINDOW_MS = 60_000;

export function rateLimitPolicy(wrongSubmissionsPerMinute: number): RateLimitPolicy {
  return { maxWrong: Math.max(1, Math.floor(wrongSubmissionsPerMinute)), windowMs: RATE_LIMIT_WINDOW_MS };
}

/** Times (epoch ms, ascending) of the most recent wrong submissions; never more than `maxWrong`. */
export interface RateLimiterState {
  readonly wrongAt: readonly number[];
}

export const EMPTY_RATE_LIMITER_STATE: RateLimiterState = Object.freeze({ wrongAt: Object.freeze([]) });

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/** Entries older than the window at `now` are dropped; a wrong time in the future (clock skew) still counts. */
function inWindow(state: RateLimiterState, now: number, policy: RateLimitPolicy): readonly number[] {
  const from = now - policy.windowMs;
  let first = 0;
  while (first < state.wrongAt.length && (state.wrongAt[first] ?? 0) <= from) first++;
  return first === 0 ? state.wrongAt : state.wrongAt.slice(first);
}

/** May a submission made at `now` be checked? Returns the decision and the pruned state. */
export function admitSubmission(
  state: RateLimiterState,
  now: number,
  policy: RateLimitPolicy,
): { decision: RateLimitDecision; state: RateLimiterState } {
  const recent = inWindow(state, now, policy);
  const next = recent === state.wrongAt ? state : { wrongAt: recent };
  if (recent.length < policy.maxWrong) return { decision: { allowed: true }, state: next };
  // The window reopens when the oldest of the last `maxWrong` wrong submissions slides out.
  const oldest = recent[recent.length - policy.maxWrong] ?? now;
  return {
    decision: { allowed: false, retryAfterMs: Math.max(1, oldest + policy.windowMs - now) },
    state: next,
  };
}

/** A wrong (or other-team) outcome at `at` was logged. The input is not modified. */
export function recordWrongSubmission(
  state: RateLimiterState,
  at: number,
  policy: RateLimitPolicy,
): RateLimiterState {
  const times = [...state.wrongAt];
  recordWrongInPlace(times, at, policy);
  return { wrongAt: times };
}

/**
 * The same transition on an array its owner keeps private (the projection, which replays a million
 * events and should not allocate a state per wrong answer): drops times out of the window at `at`,
 * inserts `at` in order (even if the clock stepped back), keeps the newest `maxWrong`.
 */
export function recordWrongInPlace(times: number[], at: number, policy: RateLimitPolicy): void {
  const from = at - policy.windowMs;
  let expired = 0;
  while (expired < times.length && (times[expired] ?? 0) <= from) expired++;
  if (expired > 0) times.splice(0, expired);
  let i = times.length;
  while (i > 0 && (times[i - 1] ?? 0) > at) i--;
  if (i === times.length) times.push(at);
  else times.splice(i, 0, at);
  if (times.length > policy.maxWrong) times.splice(0, times.length - policy.maxWrong);
}
