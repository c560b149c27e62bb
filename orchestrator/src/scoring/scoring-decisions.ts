import { sha256Hex } from '../compiler/environment-plan.ts';
import { CyropError } from '../errors.ts';
import { evaluateCheck, type CheckRun } from './check-answer.ts';
import { admitSubmission } from './rate-limiter.ts';
import type { ScoreboardProjection } from './scoreboard-projection.ts';
import {
  MAX_OUTPUT_EXCERPT_BYTES,
  MAX_TEXT_EXCERPT_BYTES,
  utf8Excerpt,
  type ScoringEventDraft,
  type SubmissionOutcome,
  type WrongReason,
} from './scoring-events.ts';

/**
 * The write side of scoring, pure: given the projection (the state after every logged event) and
 * the injected time, say what a request means and which events to append. The server appends the
 * returned drafts (numbering them) in the transaction that acknowledges the request, then applies
 * them to the projection. Requests of one team are decided one at a time (single writer per team);
 * decisions only read that team's state and the exercise status, so teams never wait for each other.
 */

export interface SubmissionInput {
  readonly teamId: string;
  readonly objectiveId: string;
  readonly text: string;
  readonly userId?: string;
}

/** What the submitting team may be told: another team's flag is reported to it as `wrong`. */
export type TeamReply = Exclude<SubmissionOutcome, 'other-team'>;

export interface SubmissionDecision {
  readonly outcome: SubmissionOutcome;
  readonly reply: TeamReply;
  readonly reason?: WrongReason;
  /** For `rate-limited`: when the window reopens. */
  readonly retryAfterMs?: number;
  /** For `other-team`: whose flag it is (instructors only). */
  readonly ownerTeamIds?: readonly string[];
  /** Always one `submission`, followed by a `solve` when correct. */
  readonly events: ScoringEventDraft[];
}

/**
 * Order of checks: the exercise must be running (`closed`), the objective unlocked (`locked`, not a
 * wrong attempt), not yet solved by the team (`already-solved`, a no-op whatever the text), the
 * rate limit not reached (`rate-limited`, not checked); only then is the answer checked. Throws
 * NOT_FOUND for an unknown team or objective and BAD_REQUEST for a check objective.
 */
export function decideSubmission(
  projection: ScoreboardProjection,
  input: SubmissionInput,
  now: number,
): SubmissionDecision {
  const { teamId, objectiveId, text, userId } = input;
  const objective = projection.exercise.answers.objective(teamId, objectiveId);
  if (!objective) throw new CyropError('NOT_FOUND', `no objective ${objectiveId} for team ${teamId}`);
  if (objective.kind === 'check')
    throw new CyropError('BAD_REQUEST', `objective ${objectiveId} is scored by a check and takes no answer`);
  const base = {
    type: 'submission' as const,
    at: now,
    teamId,
    objectiveId,
    textSha256: sha256Hex(text),
    ...(userId !== undefined ? { userId } : {}),
  };
  const unchecked = (outcome: TeamReply, extra: { retryAfterMs?: number } = {}): SubmissionDecision => ({
    outcome,
    reply: outcome,
    ...extra,
    events: [{ ...base, outcome }],
  });

  if (projection.status !== 'running') return unchecked('closed');
  if (!projection.isUnlocked(teamId, objectiveId)) return unchecked('locked');
  if (projection.isSolved(teamId, objectiveId)) return unchecked('already-solved');
  const admitted = admitSubmission(
    projection.rateLimiterState(teamId, objectiveId),
    now,
    projection.exercise.rateLimit,
  );
  if (!admitted.decision.allowed)
    return unchecked('rate-limited', { retryAfterMs: admitted.decision.retryAfterMs });

  const verdict = projection.exercise.answers.check(teamId, objectiveId, text);
  switch (verdict.verdict) {
    case 'correct':
      return {
        outcome: 'correct',
        reply: 'correct',
        events: [
          // the team's own accepted text: shown back to that team on its solved objective
          { ...base, outcome: 'correct', textExcerpt: utf8Excerpt(text, MAX_TEXT_EXCERPT_BYTES) },
          {
            type: 'solve',
            at: now,
            teamId,
            objectiveId,
            via: objective.kind,
            ...(userId !== undefined ? { userId } : {}),
          },
        ],
      };
    case 'wrong':
      return {
        outcome: 'wrong',
        reply: 'wrong',
        reason: verdict.reason,
        events: [
          {
            ...base,
            outcome: 'wrong',
            reason: verdict.reason,
            textExcerpt: utf8Excerpt(text, MAX_TEXT_EXCERPT_BYTES),
          },
        ],
      };
    case 'other-team':
      return {
        outcome: 'other-team',
        reply: 'wrong',
        reason: 'no-match',
        ownerTeamIds: verdict.ownerTeamIds,
        events: [{ ...base, outcome: 'other-team', ownerTeamIds: [...verdict.ownerTeamIds] }],
      };
  }
}

export interface HintInput {
  readonly teamId: string;
  readonly objectiveId: string;
  readonly hintId: string;
  readonly userId?: string;
}

export type HintOutcome = 'unlocked' | 'already-unlocked' | 'already-solved' | 'locked' | 'closed';

export interface HintDecision {
  readonly outcome: HintOutcome;
  /** Points charged by this request (0 unless `unlocked`). */
  readonly cost: number;
  /** One `hint-unlock` when `unlocked`, otherwise none. */
  readonly events: ScoringEventDraft[];
}

/**
 * A hint is charged once, when unlocked, whether or not the objective is later solved; no balance is
 * required. Hints of a solved objective are free to read (no event). Locked objectives' hints cannot
 * be unlocked, nor any hint outside the running exercise. Throws NOT_FOUND for an unknown hint.
 */
export function decideHintUnlock(
  projection: ScoreboardProjection,
  input: HintInput,
  now: number,
): HintDecision {
  const { teamId, objectiveId, hintId, userId } = input;
  const objective = projection.exercise.objectives.find((o) => o.id === objectiveId);
  const hint = objective?.hints.find((h) => h.id === hintId);
  if (!objective || !hint) throw new CyropError('NOT_FOUND', `no hint ${hintId} of objective ${objectiveId}`);
  const none = (outcome: HintOutcome): HintDecision => ({ outcome, cost: 0, events: [] });
  if (projection.status !== 'running') return none('closed');
  if (!projection.isUnlocked(teamId, objectiveId)) return none('locked');
  if (projection.isSolved(teamId, objectiveId)) return none('already-solved');
  if (projection.hintUnlocked(teamId, objectiveId, hintId)) return none('already-unlocked');
  return {
    outcome: 'unlocked',
    cost: hint.cost,
    events: [
      {
        type: 'hint-unlock',
        at: now,
        teamId,
        objectiveId,
        hintId,
        cost: hint.cost,
        ...(userId !== undefined ? { userId } : {}),
      },
    ],
  };
}

export interface CheckResultInput {
  readonly teamId: string;
  readonly objectiveId: string;
  readonly run: CheckRun;
  readonly durationMs: number;
  /** What to keep for the instructor (stdout and stderr as the server combines them); default stdout. */
  readonly output?: string;
}

export interface CheckDecision {
  readonly passed: boolean;
  readonly solved: boolean;
  /** A `check-result`, followed by a `solve` when it passed on an unlocked, unsolved objective of a running exercise. */
  readonly events: ScoringEventDraft[];
}

export function decideCheckResult(
  projection: ScoreboardProjection,
  input: CheckResultInput,
  now: number,
): CheckDecision {
  const { teamId, objectiveId, run } = input;
  const objective = projection.exercise.answers.objective(teamId, objectiveId);
  if (!objective) throw new CyropError('NOT_FOUND', `no objective ${objectiveId} for team ${teamId}`);
  if (!objective.check) throw new CyropError('BAD_REQUEST', `objective ${objectiveId} has no check`);
  const passed = evaluateCheck(objective.check, run);
  const events: ScoringEventDraft[] = [
    {
      type: 'check-result',
      at: now,
      teamId,
      objectiveId,
      passed,
      exitCode: run.timedOut === true ? null : run.exitCode,
      outputExcerpt: utf8Excerpt(input.output ?? run.stdout, MAX_OUTPUT_EXCERPT_BYTES),
      durationMs: Math.max(0, Math.round(input.durationMs)),
    },
  ];
  const solved =
    passed &&
    projection.status === 'running' &&
    projection.isUnlocked(teamId, objectiveId) &&
    !projection.isSolved(teamId, objectiveId);
  if (solved) events.push({ type: 'solve', at: now, teamId, objectiveId, via: 'check' });
  return { passed, solved, events };
}
