import { isStaff, type Principal } from './principal.ts';

/**
 * Competency analytics. Pure rules; the analytics service applies them.
 *
 * Whose evidence: a trainee's evidence is read by the trainee (all of it), by the operator (all of
 * it), and by an organisation's org-admins and instructors restricted to that organisation's exercises
 * (their classes, their course runs). Anybody else is told there is nothing (404).
 */
export type EvidenceScope = { kind: 'all' } | { kind: 'org'; orgId: string } | { kind: 'none' };

export function traineeEvidenceScope(principal: Principal | undefined, userId: string): EvidenceScope {
  if (!principal) return { kind: 'none' };
  if (principal.kind === 'participant')
    return principal.userId !== undefined && principal.userId === userId ? { kind: 'all' } : { kind: 'none' };
  if (principal.userId === userId || principal.role === 'operator') return { kind: 'all' };
  if (principal.role === 'org-admin' || principal.role === 'instructor')
    return { kind: 'org', orgId: principal.orgId };
  return { kind: 'none' };
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
