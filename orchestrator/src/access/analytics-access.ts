import { isStaff, type Principal } from './principal.ts';

/**
 * Competency analytics. Pure rules; the analytics service applies them.
 *
 * Whose evidence: a trainee's evidence is read by the trainee (all of it), by the operator (all of
 * it), by an organisation's org-admins restricted to that organisation's exercises, and by an
 * instructor restricted to their class: the organisation's exercises they launched
 * (`exercises.created_by`) or are assigned to (`exercise_staff`). Anybody else is told there is
 * nothing (404).
 */
export type EvidenceScope =
  | { kind: 'all' }
  | { kind: 'org'; orgId: string }
  | { kind: 'class'; orgId: string; instructorId: string }
  | { kind: 'none' };

export function traineeEvidenceScope(principal: Principal | undefined, userId: string): EvidenceScope {
  if (!principal) return { kind: 'none' };
  if (principal.kind === 'participant')
    return principal.userId !== undefined && principal.userId === userId ? { kind: 'all' } : { kind: 'none' };
  if (principal.userId === userId || principal.role === 'operator') return { kind: 'all' };
  if (principal.role === 'org-admin') return { kind: 'org', orgId: principal.orgId };
  if (principal.role === 'instructor')
    return { kind: 'class', orgId: principal.orgId, instructorId: principal.userId };
  return { kind: 'none' };
}

/** Who stands behind an exercise, for `mayReadClass`. */
export interface ExerciseStaff {
  orgId: string | null;
  /** The account that launched it (null: the platform, the CLI, or before launchers were recorded). */
  createdBy: string | null;
  /** Instructors assigned to it. */
  assigned: readonly string[];
}

/**
 * An exercise's class evidence (the class report, a team's evidence as staff): the operator, the
 * owning organisation's org-admins, and an instructor of that organisation who launched the exercise
 * or is assigned to it. Other instructors of the organisation may still run and watch the exercise;
 * they do not read its trainees' evidence.
 */
export function mayReadClass(principal: Principal | undefined, exercise: ExerciseStaff | undefined): boolean {
  if (!isStaff(principal) || exercise === undefined) return false;
  if (principal.role === 'operator') return true;
  if (exercise.orgId !== principal.orgId) return false;
  if (principal.role === 'org-admin') return true;
  return exercise.createdBy === principal.userId || exercise.assigned.includes(principal.userId);
}

/** A team's evidence: its own participants, and whoever may watch the exercise (`canWatch`). */
export function mayReadTeamEvidence(
  principal: Principal | undefined,
  team: { exerciseId: string; teamId: string },
  canWatch: boolean,
): boolean {
  if (principal?.kind === 'participant')
    return principal.exerciseId === team.exerciseId && principal.teamId === team.teamId;
  return canWatch;
}

/**
 * Material use: the operator platform-wide or for any organisation; org-admins and instructors for
 * their own organisation only. Returns the organisation the report must be limited to (null: all), or
 * undefined when the caller may not have it.
 */
export function usageScope(
  principal: Principal | undefined,
  asked: string | undefined,
): { orgId: string | null } | undefined {
  if (!isStaff(principal)) return undefined;
  if (principal.role === 'operator') return { orgId: asked ?? null };
  if (asked !== undefined && asked !== principal.orgId) return undefined;
  return { orgId: principal.orgId };
}

/** Coverage of an organisation's own materials: its staff and the operator. */
export function mayReadOrgCoverage(principal: Principal | undefined, orgId: string): boolean {
  return isStaff(principal) && (principal.role === 'operator' || principal.orgId === orgId);
}
