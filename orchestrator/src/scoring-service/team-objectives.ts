import type { LocalizedText } from '../scoring/scoring-exercise.ts';
import type { ScoreboardProjection } from '../scoring/scoreboard-projection.ts';
import { checkReason } from './scoring-service.ts';

/** An objective a team cannot work on yet: its title and what it waits for (nothing else of it). */
export interface LockedObjective {
  readonly id: string;
  readonly kind: string;
  readonly title: LocalizedText;
  /** The objectives still to solve before this one opens, in scenario order. */
  readonly requires: readonly { readonly id: string; readonly title: LocalizedText }[];
}

/**
 * What was accepted for each objective the team solved: for flags and questions the team's own
 * accepted text (as submitted, at most MAX_TEXT_EXCERPT_BYTES), for checks the passing run's
 * one-line reason (`''` when it printed none). Objectives solved before accepted texts were kept
 * (older logs) have `''`.
 */
export function acceptedAnswers(projection: ScoreboardProjection, teamId: string): Map<string, string> {
  const accepted = new Map<string, string>();
  const pendingCheck = new Map<string, string>();
  for (const event of projection.timeline(teamId, 'team')) {
    if (event.type === 'submission' && event.outcome === 'correct')
      accepted.set(event.objectiveId, event.textExcerpt ?? '');
    else if (event.type === 'check-result' && event.passed)
      pendingCheck.set(event.objectiveId, checkReason(event.outputExcerpt));
    else if (event.type === 'solve' && event.via === 'check')
      accepted.set(event.objectiveId, pendingCheck.get(event.objectiveId) ?? '');
  }
  // only what is solved now counts (a solve is never undone, but be strict)
  for (const id of [...accepted.keys()]) if (!projection.isSolved(teamId, id)) accepted.delete(id);
  return accepted;
}

/** The team's locked objectives (unsolved `requires`), in scenario order. */
export function lockedObjectives(projection: ScoreboardProjection, teamId: string): LockedObjective[] {
  const objectives = projection.exercise.objectives;
  return objectives
    .filter((o) => !projection.isUnlocked(teamId, o.id))
    .map((o) => ({
      id: o.id,
      kind: o.kind,
      title: o.title,
      requires: objectives
        .filter((r) => o.requires.includes(r.id) && !projection.isSolved(teamId, r.id))
        .map((r) => ({ id: r.id, title: r.title })),
    }));
}
