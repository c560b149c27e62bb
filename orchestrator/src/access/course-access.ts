import type { Principal } from './principal.ts';

/**
 * Courses and their runs. A course belongs to a training company; a run of it is for one customer
 * organisation. Callers answer 404 (never 403) when these say no about a thing the caller may not
 * know exists.
 */

/** Create, edit, run, enrol and launch: the owning company's org-admins and instructors, and the operator. */
export function mayManageCourse(principal: Principal | undefined, course: { orgId: string }): boolean {
  if (principal?.kind !== 'user') return false;
  if (principal.role === 'operator') return true;
  return (
    (principal.role === 'org-admin' || principal.role === 'instructor') && principal.orgId === course.orgId
  );
}

/**
 * See a run (its dates, enrolments and exercises): who may manage its course, and the customer's
 * org-admins (read only). A trainee sees only their own enrolments (`myCourses`), never a run.
 */
export function mayReadRun(
  principal: Principal | undefined,
  run: { companyOrgId: string; customerOrgId: string },
): boolean {
  if (mayManageCourse(principal, { orgId: run.companyOrgId })) return true;
  return (
    principal?.kind === 'user' && principal.role === 'org-admin' && principal.orgId === run.customerOrgId
  );
}

/** An organisation's usage figures and flags: the operator for any, an org-admin for their own. */
export function mayReadUsage(principal: Principal | undefined, orgId: string): boolean {
  if (principal?.kind !== 'user') return false;
  return principal.role === 'operator' || (principal.role === 'org-admin' && principal.orgId === orgId);
}
